/**
 * Builds the embedding worker's bundle as serverless.yml does (esbuild: bundled, minified ESM for
 * Node 20, code split, onnxruntime-node left external by infra/aws/esbuild-plugins.mjs) into a
 * folder under .esbuild/, inside the repository so the bundle's `import('onnxruntime-node')`
 * resolves to node_modules as it does beside the bundle in the deployed zip.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { build, type Plugin } from 'esbuild';
import { REPO_ROOT } from './repo-paths';

/** The same banner as serverless.yml's custom.esbuild.banner: CommonJS globals for bundled CommonJS code. */
const BANNER = [
  "const require = process.getBuiltinModule('node:module').createRequire(import.meta.url);",
  "const __filename = process.getBuiltinModule('node:url').fileURLToPath(import.meta.url);",
  "const __dirname = process.getBuiltinModule('node:path').dirname(__filename);",
].join(' ');

export interface WorkerBundle {
  /** Absolute path of the handler module. */
  readonly entryFile: string;
  remove(): Promise<void>;
}

/** Bundles functions/embed-worker/handler.ts; remove() deletes the build. */
export async function buildWorkerBundle(): Promise<WorkerBundle> {
  // By URL: the plugins file is plain JavaScript for osls, outside the TypeScript project.
  const { default: plugins } = await import(pathToFileURL(join(REPO_ROOT, 'infra/aws/esbuild-plugins.mjs')).href) as { default: Plugin[] };
  const outdir = await mkdtemp(join(REPO_ROOT, '.esbuild', 'bench-worker-'));
  await build({
    entryPoints: { 'functions/embed-worker/handler': join(REPO_ROOT, 'functions/embed-worker/handler.ts') },
    outdir,
    bundle: true,
    minify: true,
    platform: 'node',
    target: 'node20',
    format: 'esm',
    splitting: true,
    outExtension: { '.js': '.mjs' },
    mainFields: ['module', 'main'],
    banner: { js: BANNER },
    plugins,
    logLevel: 'error',
  });
  return { entryFile: join(outdir, 'functions/embed-worker/handler.mjs'), remove: () => rm(outdir, { recursive: true, force: true }) };
}
