/**
 * The in-process engine's dependencies (onnxruntime-node, about 290 MB of native binaries, and
 * the tokenizer library) stay out of the Lambda handler's import graph: bundled the way a deploy
 * bundles it (esbuild), the handler must not reach them. A bundle of the engine worker, which
 * does load them, shows the check would see them.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { build, type Metafile } from 'esbuild';

const ENGINE_PACKAGES = ['onnxruntime-node', 'onnxruntime-common', '@huggingface/tokenizers'];
/** Metrics on Lambda leave as EMF log lines; the Prometheus client is for long-lived servers only. */
const SERVER_ONLY_PACKAGES = ['prom-client'];

/**
 * Loaded with `import()` only when needed: the cloud SDKs when an ecs:// or cloudrun:// backend
 * is configured, cron-parser (and luxon) only by the warm-up, the Redis client only with CACHE_URL.
 */
const LAZY_ONLY = /^(@aws-sdk\/|@google-cloud\/|google-auth-library|cron-parser|luxon|ioredis)/;

/** The entry's bundle graph: each input file and what it imports. */
async function graphOf(entry: string): Promise<{ root: string; metafile: Metafile }> {
  const root = new URL(entry, import.meta.url).pathname;
  const result = await build({
    entryPoints: [root],
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    // Packages are listed as imports rather than bundled: the graph is what matters, and native
    // addons cannot be bundled anyway.
    packages: 'external',
    write: false,
    metafile: true,
    logLevel: 'silent',
  });
  return { root, metafile: result.metafile };
}

/** Every package the entry's import graph reaches, static or `import()`. */
async function packagesReached(entry: string): Promise<Set<string>> {
  const { metafile } = await graphOf(entry);
  return new Set(Object.values(metafile.inputs).flatMap((input) => input.imports.filter((item) => item.external).map((item) => item.path)));
}

/** The packages loaded when the entry loads: static imports only, followed from the entry. */
async function packagesLoadedEagerly(entry: string): Promise<Set<string>> {
  const { root, metafile } = await graphOf(entry);
  const start = Object.keys(metafile.inputs).find((file) => root.endsWith(file));
  const seen = new Set<string>();
  const packages = new Set<string>();
  const queue = start === undefined ? [] : [start];
  while (queue.length > 0) {
    const file = queue.pop() as string;
    if (seen.has(file)) continue;
    seen.add(file);
    for (const item of metafile.inputs[file]?.imports ?? []) {
      if (item.kind === 'dynamic-import') continue;
      if (item.external) packages.add(item.path);
      else queue.push(item.path);
    }
  }
  return packages;
}

describe('Lambda bundle', () => {
  test('functions/embed/handler.ts reaches neither onnxruntime-node, the tokenizer library nor prom-client', async () => {
    const reached = await packagesReached('../../functions/embed/handler.ts');
    assert.ok(reached.has('hono/aws-lambda'), 'the graph was walked');
    for (const name of [...ENGINE_PACKAGES, ...SERVER_ONLY_PACKAGES]) assert.ok(!reached.has(name), `${name} is in the Lambda handler's graph`);
  });

  test('the cloud SDKs and cron-parser are reached only through import(): the embed function loads them only when needed', async () => {
    const reached = await packagesReached('../../functions/embed/handler.ts');
    assert.ok(reached.has('@aws-sdk/client-ecs') && reached.has('@google-cloud/run'), 'the discovery code is in the graph');
    assert.ok(reached.has('ioredis'), 'the shared cache is in the graph');
    const eager = await packagesLoadedEagerly('../../functions/embed/handler.ts');
    assert.ok(eager.has('hono/aws-lambda'), 'the static graph was walked');
    assert.deepEqual([...eager].filter((name) => LAZY_ONLY.test(name)), []);
    // Control: the walk does see a static SDK import where there is one.
    assert.ok((await packagesLoadedEagerly('../../shared/aws/ecs-source.ts')).has('@aws-sdk/client-ecs'));
  });

  test('control: the engine worker does reach them', async () => {
    const reached = await packagesReached('../../shared/upstream/local/engine-worker.ts');
    assert.ok(reached.has('onnxruntime-node') && reached.has('@huggingface/tokenizers'));
  });
});
