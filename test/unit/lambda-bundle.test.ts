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

/** Every package the entry's import graph reaches, static or `import()`. */
async function packagesReached(entry: string): Promise<Set<string>> {
  const result = await build({
    entryPoints: [new URL(entry, import.meta.url).pathname],
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
  const metafile: Metafile = result.metafile;
  return new Set(Object.values(metafile.inputs).flatMap((input) => input.imports.filter((item) => item.external).map((item) => item.path)));
}

describe('Lambda bundle', () => {
  test('functions/embed/handler.ts reaches neither onnxruntime-node, the tokenizer library nor prom-client', async () => {
    const reached = await packagesReached('../../functions/embed/handler.ts');
    assert.ok(reached.has('hono/aws-lambda'), 'the graph was walked');
    for (const name of [...ENGINE_PACKAGES, ...SERVER_ONLY_PACKAGES]) assert.ok(!reached.has(name), `${name} is in the Lambda handler's graph`);
  });

  test('control: the engine worker does reach them', async () => {
    const reached = await packagesReached('../../shared/upstream/local/engine-worker.ts');
    assert.ok(reached.has('onnxruntime-node') && reached.has('@huggingface/tokenizers'));
  });
});
