/**
 * Builds the Lambda bundles the way a deploy builds them (esbuild with serverless.yml's options:
 * bundled, minified ESM for Node 20, linked source maps without sources, code split so `import()`ed cloud SDK code lands in chunks of its
 * own) and reads each build's metafile: what loads at import, what only loads later, and which
 * packages it reached.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { deflateRawSync } from 'node:zlib';
import { build, type Metafile } from 'esbuild';
import { parse } from 'yaml';
import { REPO_ROOT } from './repo-paths';

/** The first request a variant's handler is timed with after its import, if any. */
export type FirstRequest = 'hello' | 'embed' | undefined;

/** One bundle measured: an entry point and where its build goes. */
export interface BundleVariant {
  readonly id: string;
  readonly label: string;
  /** Absolute path of the entry source. */
  readonly entry: string;
  /** `hello`: GET / (the bare handlers); `embed`: POST /embed of one text, through the backend. */
  readonly firstRequest: FirstRequest;
}

/** One output file of a build. */
export interface ChunkInfo {
  readonly file: string;
  readonly bytes: number;
  /** Loaded when the entry is imported (reached from it by static imports). */
  readonly eager: boolean;
  /** Cloud SDK package families whose code this chunk holds (`@aws-sdk`, `@google-cloud`, ...). */
  readonly cloudSdk: readonly string[];
}

/** What one build produced. */
export interface BuildInfo {
  readonly outdir: string;
  /** Absolute path of the entry's output file, the module Lambda imports. */
  readonly entryFile: string;
  readonly entryBytes: number;
  /** The entry and every chunk it imports statically: what a cold start reads and evaluates. */
  readonly eagerBytes: number;
  readonly eagerFiles: readonly string[];
  /** Every JavaScript output, lazy chunks included. */
  readonly totalJsBytes: number;
  readonly sourceMapBytes: number;
  readonly chunks: readonly ChunkInfo[];
  /** What the import-time files hold: bytes per package or project folder, largest first. */
  readonly eagerComposition: ReadonlyArray<{ readonly name: string; readonly bytes: number }>;
  /** Node built-ins the import-time files import statically (each one Node must load at init). */
  readonly eagerBuiltins: readonly string[];
  /** Packages whose code is in the bundle, by name. */
  readonly packages: readonly string[];
  /** Inputs that must not be in this bundle (engine packages, dev dependencies, test files). */
  readonly forbidden: readonly string[];
  readonly warnings: number;
}

/** Zip sizes of a build, and how they were measured. */
export interface ZipInfo {
  /** Every output file, source maps included: the deploy artifact. */
  readonly allBytes: number;
  /** The JavaScript files only. */
  readonly jsBytes: number;
  readonly method: string;
}

/** Output extension: `.mjs` makes Node load the bundle as ESM without a package.json beside it. */
const OUT_EXTENSION = '.mjs';

/**
 * The banner serverless.yml gives every output file (`custom.esbuild.banner.js`): bundled CommonJS
 * packages call `require` for Node built-ins and google-gax reads `__dirname` at load, which an
 * ESM bundle lacks. Read from serverless.yml, so the benchmark builds what a deploy builds.
 */
export function serverlessBanner(serverlessYml: string): string {
  const banner = (parse(serverlessYml) as { custom?: { esbuild?: { banner?: { js?: unknown } } } })?.custom?.esbuild?.banner?.js;
  if (typeof banner !== 'string' || banner === '') throw new Error('serverless.yml has no custom.esbuild.banner.js');
  return banner;
}

/** Cloud SDK package families, by the path of their files in the metafile. */
const CLOUD_SDK_FAMILIES: ReadonlyArray<readonly [string, RegExp]> = [
  ['@aws-sdk', /node_modules\/(@aws-sdk|@smithy|@aws-crypto)\//],
  ['@google-cloud', /node_modules\/(@google-cloud|google-auth-library|google-gax|gaxios|gcp-metadata|gtoken)\//],
];

/** The in-process engine's packages: never in a Lambda bundle. */
const ENGINE_PACKAGES = ['onnxruntime-node', 'onnxruntime-common', '@huggingface/tokenizers'];

/** The package a metafile input belongs to (`@scope/name` or `name`), or undefined for project files. */
export function packageOf(input: string): string | undefined {
  // The last node_modules: a nested copy belongs to the package it is named after.
  const match = /(?:^|\/)node_modules\/((?:@[^/]+\/)?[^/]+)\/(?:(?!node_modules\/).)*$/.exec(input);
  return match?.[1];
}

/** Source of the bare Hono hello-world Lambda handler: the baseline of the budget. */
const BARE_HONO_SOURCE = `import { Hono } from 'hono';
import { handle } from 'hono/aws-lambda';

const app = new Hono();
app.get('/', (c) => c.text('Hello Hono!'));

export const handler = handle(app);
`;

/**
 * The deploy issue's second reference point: the bare handler with undici's Pool bundled ("560 KB
 * and about 87 ms" against the bare handler's "about 11 ms"). Measured beside the others, the two
 * points show how much of the issue's figures was fixed cost rather than the bundles' own.
 */
const BARE_HONO_UNDICI_SOURCE = `import { Hono } from 'hono';
import { handle } from 'hono/aws-lambda';
import { Pool } from 'undici';

const pool = new Pool('http://127.0.0.1:9');
const app = new Hono();
app.get('/', (c) => c.text(pool.closed ? 'closed' : 'Hello Hono!'));

export const handler = handle(app);
`;

/** How the deployed embed handler builds its transport; the variants swap exactly these two. */
const DEPLOYED_IMPORT = "import { createNodeHttpTransport } from '../../shared/upstream/node-http-transport';";
const DEPLOYED_CALL = 'createNodeHttpTransport()';

/** The transports a variant of the embed handler can be built with, besides the deployed one. */
const TRANSPORT_SWAPS = {
  fetch: {
    importLine: "import { createFetchTransport } from '../../shared/upstream/fetch-transport';",
    call: 'createFetchTransport()',
  },
  undici: {
    importLine: "import { createUndiciTransport } from '../../shared/upstream/undici-transport';",
    call: 'createUndiciTransport({ connectionsPerOrigin: config.upstream.connectionsPerOrigin })',
  },
} as const;

/**
 * The embed handler with another transport: the handler's own source with its transport import
 * and call swapped, so the variants build exactly the same modules otherwise.
 */
export function transportVariantSource(handlerSource: string, repoRoot: string, transport: keyof typeof TRANSPORT_SWAPS): string {
  if (!handlerSource.includes(DEPLOYED_IMPORT) || !handlerSource.includes(DEPLOYED_CALL)) {
    throw new Error(`functions/embed/handler.ts no longer has "${DEPLOYED_IMPORT}" and "${DEPLOYED_CALL}"; update the transport variants`);
  }
  const root = repoRoot.endsWith('/') ? repoRoot : `${repoRoot}/`;
  const swap = TRANSPORT_SWAPS[transport];
  return handlerSource
    .replace(DEPLOYED_IMPORT, swap.importLine)
    .replace(DEPLOYED_CALL, swap.call)
    .replaceAll("from '../../", `from '${root}`);
}

/** Writes the generated entries into `dir` and lists the six variants measured. */
export function prepareVariants(dir: string): BundleVariant[] {
  const generated = (name: string, source: string): string => {
    const path = join(dir, name);
    writeFileSync(path, source);
    return path;
  };
  const handlerSource = readFileSync(join(REPO_ROOT, 'functions/embed/handler.ts'), 'utf8');
  return [
    { id: 'bare-hono', label: '(a) bare Hono hello-world', entry: generated('bare-hono.ts', BARE_HONO_SOURCE), firstRequest: 'hello' },
    { id: 'embed', label: '(b) embed, node:http (deployed)', entry: join(REPO_ROOT, 'functions/embed/handler.ts'), firstRequest: 'embed' },
    { id: 'embed-fetch', label: '(c) embed, fetch', entry: generated('embed-fetch.ts', transportVariantSource(handlerSource, REPO_ROOT, 'fetch')), firstRequest: 'embed' },
    { id: 'embed-undici', label: '(d) embed, undici', entry: generated('embed-undici.ts', transportVariantSource(handlerSource, REPO_ROOT, 'undici')), firstRequest: 'embed' },
    { id: 'warmup', label: '(e) warm-up (deployed)', entry: join(REPO_ROOT, 'functions/warmup/handler.ts'), firstRequest: undefined },
    { id: 'bare-hono-undici', label: "(f) bare Hono + undici's Pool", entry: generated('bare-hono-undici.ts', BARE_HONO_UNDICI_SOURCE), firstRequest: 'hello' },
  ];
}

/** The output files the entry imports statically, transitively, the entry included. */
function eagerClosure(metafile: Metafile, entryOutput: string): Set<string> {
  const seen = new Set<string>();
  const queue = [entryOutput];
  while (queue.length > 0) {
    const file = queue.pop() as string;
    if (seen.has(file)) continue;
    seen.add(file);
    for (const item of metafile.outputs[file]?.imports ?? []) {
      if (item.kind === 'import-statement' && !item.external && metafile.outputs[item.path] !== undefined) queue.push(item.path);
    }
  }
  return seen;
}

/** Bytes of the import-time files per package (or top-level project folder), largest first. */
function composition(metafile: Metafile, eager: ReadonlySet<string>): Array<{ name: string; bytes: number }> {
  const bytes = new Map<string, number>();
  for (const file of eager) {
    for (const [input, { bytesInOutput }] of Object.entries(metafile.outputs[file]?.inputs ?? {})) {
      const name = packageOf(input) ?? input.split('/').slice(0, 2).join('/');
      bytes.set(name, (bytes.get(name) ?? 0) + bytesInOutput);
    }
  }
  return [...bytes].map(([name, total]) => ({ name, bytes: total })).sort((a, b) => b.bytes - a.bytes);
}

/** Inputs that must not be in the bundle: the engine's packages, dev dependencies, test files. */
function forbiddenInputs(metafile: Metafile, devDependencies: readonly string[]): string[] {
  const banned = new Set([...ENGINE_PACKAGES, ...devDependencies]);
  return Object.keys(metafile.inputs).filter((input) => {
    const name = packageOf(input);
    if (name !== undefined) return banned.has(name);
    // Inputs are relative to the project root; the generated entries sit outside it.
    return input.startsWith('test/');
  });
}

/** Builds one variant into `outdir` and reads its metafile. */
export async function buildVariant(variant: BundleVariant, outdir: string): Promise<BuildInfo> {
  mkdirSync(outdir, { recursive: true });
  const result = await build({
    entryPoints: [variant.entry],
    absWorkingDir: REPO_ROOT,
    // The generated entries live in a temp dir; their packages resolve from the project.
    nodePaths: [join(REPO_ROOT, 'node_modules')],
    bundle: true,
    minify: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    sourcemap: 'linked',
    sourcesContent: false,
    splitting: true,
    // The SDKs' ES module builds, as serverless.yml asks for.
    mainFields: ['module', 'main'],
    outdir,
    entryNames: 'entry',
    outExtension: { '.js': OUT_EXTENSION },
    banner: { js: serverlessBanner(readFileSync(join(REPO_ROOT, 'serverless.yml'), 'utf8')) },
    metafile: true,
    logLevel: 'silent',
  });
  const { metafile } = result;
  const outputs = Object.keys(metafile.outputs).filter((file) => file.endsWith(OUT_EXTENSION));
  // With splitting, every import()ed module is an entry point of its own; ours is the one we named.
  const entryPoint = relative(REPO_ROOT, variant.entry);
  const entryOutput = outputs.find((file) => metafile.outputs[file]?.entryPoint === entryPoint);
  if (entryOutput === undefined) throw new Error(`${variant.id}: esbuild reported no entry output`);
  const eager = eagerClosure(metafile, entryOutput);
  const bytesOf = (file: string): number => metafile.outputs[file]?.bytes ?? 0;
  const chunks = outputs.map((file) => {
    const inputs = Object.keys(metafile.outputs[file]?.inputs ?? {});
    const cloudSdk = CLOUD_SDK_FAMILIES.filter(([, pattern]) => inputs.some((input) => pattern.test(input))).map(([name]) => name);
    return { file: file.slice(file.lastIndexOf('/') + 1), bytes: bytesOf(file), eager: eager.has(file), cloudSdk };
  }).sort((a, b) => Number(b.eager) - Number(a.eager) || b.bytes - a.bytes);
  const devDependencies = Object.keys((JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { devDependencies?: Record<string, string> }).devDependencies ?? {});
  const packages = [...new Set(Object.keys(metafile.inputs).map(packageOf).filter((name): name is string => name !== undefined))].sort();
  return {
    outdir,
    entryFile: join(REPO_ROOT, entryOutput),
    entryBytes: bytesOf(entryOutput),
    eagerBytes: [...eager].reduce((sum, file) => sum + bytesOf(file), 0),
    eagerFiles: [...eager].map((file) => file.slice(file.lastIndexOf('/') + 1)),
    totalJsBytes: outputs.reduce((sum, file) => sum + bytesOf(file), 0),
    sourceMapBytes: Object.keys(metafile.outputs).filter((file) => file.endsWith('.map')).reduce((sum, file) => sum + bytesOf(file), 0),
    chunks,
    eagerComposition: composition(metafile, eager),
    eagerBuiltins: [...new Set([...eager].flatMap((file) => (metafile.outputs[file]?.imports ?? [])
      .filter((item) => item.external && item.kind === 'import-statement').map((item) => item.path.replace(/^node:/, ''))))].sort(),
    packages,
    forbidden: forbiddenInputs(metafile, devDependencies),
    warnings: result.warnings.length,
  };
}

/** Whether Info-ZIP's `zip` is on PATH. */
function hasZip(): boolean {
  try {
    execFileSync('zip', ['-v'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/**
 * Zip sizes of a build's outputs: with `zip` (default level, as a deploy zips) when it is on PATH,
 * else the sum of each file deflated by zlib plus no archive overhead (a close lower bound).
 */
export function zipSizes(outdir: string, zipPath: string): ZipInfo {
  const files = readdirSync(outdir).sort();
  const jsFiles = files.filter((file) => file.endsWith(OUT_EXTENSION));
  if (hasZip()) {
    const zipped = (list: readonly string[], suffix: string): number => {
      const target = `${zipPath}${suffix}.zip`;
      execFileSync('zip', ['-q', '-X', target, ...list], { cwd: outdir });
      return statSync(target).size;
    };
    return { allBytes: zipped(files, ''), jsBytes: zipped(jsFiles, '-js'), method: 'zip (Info-ZIP, default level 6)' };
  }
  const deflated = (list: readonly string[]): number =>
    list.reduce((sum, file) => sum + deflateRawSync(readFileSync(join(outdir, file))).length, 0);
  return { allBytes: deflated(files), jsBytes: deflated(jsFiles), method: 'zlib deflate per file, summed (zip not on PATH)' };
}
