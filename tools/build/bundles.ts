/**
 * The production bundles of the long-lived entry points: the Google Cloud function
 * (functions/gcp/index.ts, what package.json `main` names and the Functions Framework loads) and
 * the Node server (functions/server/main.ts, what the Dockerfile runs). esbuild compiles the
 * TypeScript and bundles the packages, so neither runs `tsx` or reads TypeScript at run time.
 * The Lambda handlers are bundled by serverless-esbuild from serverless.yml instead.
 */
import { mkdirSync, rmSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { isAbsolute, join, relative } from 'node:path';
import { build } from 'esbuild';

/**
 * Packages left out of a bundle, imported from node_modules at run time:
 * - the Functions Framework, because the function registers itself with `http()` in the
 *   framework's own module-level registry, which must be the copy the framework's server reads;
 * - onnxruntime-node, a native addon (about 290 MB, every platform), imported only when the
 *   in-process engine is configured (`local:`, or no backends under `npm start`).
 */
const FUNCTIONS_FRAMEWORK = '@google-cloud/functions-framework';
const ONNX_RUNTIME = 'onnxruntime-node';

/**
 * What a bundle may leave to node_modules. `@huggingface/tokenizers` is pure JavaScript and is
 * bundled; only these stay external.
 */
export const BUNDLE_TARGETS = {
  gcp: {
    entry: 'functions/gcp/index.ts',
    outdir: 'dist/gcp',
    /** The entry's output, relative to the package root: package.json `main`. */
    output: 'dist/gcp/index.mjs',
    external: [FUNCTIONS_FRAMEWORK, ONNX_RUNTIME],
  },
  server: {
    entry: 'functions/server/main.ts',
    outdir: 'dist/server',
    output: 'dist/server/main.mjs',
    external: [ONNX_RUNTIME],
  },
} as const;

export type BundleTarget = keyof typeof BUNDLE_TARGETS;

/**
 * The in-process engine's worker thread starts from `engine-worker.mjs` beside the chunk that
 * starts it (shared/upstream/local/worker-script.ts), so it is an entry of every bundle.
 */
const ENGINE_WORKER_ENTRY = 'shared/upstream/local/engine-worker.ts';

/**
 * Bundled CommonJS packages call `require` for Node's built-ins and google-gax reads `__dirname`
 * at load, which an ES module lacks: every output file gets the CommonJS globals, through
 * `process.getBuiltinModule` (Node 20.16+). The same banner as serverless.yml's Lambda bundles.
 */
const COMMONJS_GLOBALS = [
  "const require = process.getBuiltinModule('node:module').createRequire(import.meta.url);",
  "const __filename = process.getBuiltinModule('node:url').fileURLToPath(import.meta.url);",
  "const __dirname = process.getBuiltinModule('node:path').dirname(__filename);",
].join(' ');

/** What one build produced. */
export interface BundleResult {
  /** Absolute path of the entry's output file. */
  readonly entryFile: string;
  /** Every output file, relative to the output folder. */
  readonly files: readonly string[];
  /** Packages the output imports from node_modules at run time (Node built-ins excluded). */
  readonly externalPackages: readonly string[];
}

/** The package a bare import specifier names (`@scope/name` or `name`). */
function packageName(specifier: string): string {
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : (parts[0] ?? specifier);
}

/**
 * Builds one target under `root` (the package root): minified ES modules for Node 20+, linked
 * source maps without sources, `import()`ed code (cloud SDKs, the engine) in chunks of its own,
 * so a front door that does not use a cloud never parses its SDK. The output folder is emptied
 * first. `outdir` overrides the target's folder (tests build into a temporary one).
 */
export async function buildBundle(target: BundleTarget, root: string, outdir?: string): Promise<BundleResult> {
  const spec = BUNDLE_TARGETS[target];
  const out = outdir === undefined ? join(root, spec.outdir) : isAbsolute(outdir) ? outdir : join(root, outdir);
  rmSync(out, { recursive: true, force: true });
  mkdirSync(out, { recursive: true });
  const entryName = spec.output.slice(spec.output.lastIndexOf('/') + 1).replace(/\.mjs$/, '');
  const result = await build({
    entryPoints: { [entryName]: join(root, spec.entry), 'engine-worker': join(root, ENGINE_WORKER_ENTRY) },
    absWorkingDir: root,
    bundle: true,
    minify: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    sourcemap: 'linked',
    sourcesContent: false,
    splitting: true,
    mainFields: ['module', 'main'],
    external: [...spec.external],
    outdir: out,
    entryNames: '[name]',
    chunkNames: '[name]-[hash]',
    // .mjs: Node loads the files as ES modules with or without a package.json beside them.
    outExtension: { '.js': '.mjs' },
    banner: { js: COMMONJS_GLOBALS },
    metafile: true,
    logLevel: 'warning',
  });
  const outputs = Object.entries(result.metafile.outputs);
  const externalPackages = new Set<string>();
  for (const [, output] of outputs) {
    for (const item of output.imports) {
      if (item.external && !item.path.startsWith('node:') && !item.path.startsWith('.')) externalPackages.add(packageName(item.path));
    }
  }
  const builtins = new Set(builtinModules);
  return {
    entryFile: join(out, `${entryName}.mjs`),
    files: outputs.map(([file]) => relative(out, join(root, file))).sort(),
    externalPackages: [...externalPackages].filter((name) => !builtins.has(name)).sort(),
  };
}
