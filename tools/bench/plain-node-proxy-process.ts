/**
 * The plain Node proxy (plain-node-proxy.ts) as a benchmark setup: bundled once per run with
 * esbuild, so it runs on plain node as the front door's own bundle does, then started over a
 * workload's instances.
 */
import { join } from 'node:path';
import { build } from 'esbuild';
import { errorMessage } from '../load/load-engine';
import type { ProcessRegistry, TrackedProcess } from './child-processes';
import { parseListeningLine } from './front-door-process';
import { REPO_ROOT } from './repo-paths';

/** A running plain Node proxy. */
export interface PlainNodeProxyProcess {
  readonly process: TrackedProcess;
  /** `http://127.0.0.1:PORT` */
  readonly url: string;
}

const READY_TIMEOUT_MS = 20_000;

/** Bundles the proxy (undici included) into `dir`; returns the file to run. */
export async function buildPlainNodeProxy(dir: string): Promise<string> {
  const outfile = join(dir, 'plain-node-proxy.cjs');
  await build({
    entryPoints: [join(REPO_ROOT, 'tools/bench/plain-node-proxy.ts')],
    outfile,
    bundle: true,
    minify: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    logLevel: 'error',
  });
  return outfile;
}

/** The proxy's bundle, or why the setup is skipped. */
export type NodeProxyBuild = { readonly bundle: string } | { readonly skipped: string };

/** Builds the bundle into `dir` for a run; a failed build skips the setup (with its reason) rather than the run. */
export async function buildNodeProxySetup(dir: string, log: (line: string) => void): Promise<NodeProxyBuild> {
  try {
    return { bundle: await buildPlainNodeProxy(dir) };
  } catch (error) {
    const message = errorMessage(error);
    log(`The plain Node proxy could not be built: ${message}`);
    return { skipped: `not built: ${message.split('\n')[0] ?? message}` };
  }
}

/** Starts the bundled proxy in front of `backends` and waits for its address. */
export async function startPlainNodeProxy(registry: ProcessRegistry, bundle: string, backends: readonly string[]): Promise<PlainNodeProxyProcess> {
  const started = registry.start('plain Node proxy', process.execPath, [bundle, backends.join(',')], { cwd: REPO_ROOT, env: process.env });
  const url = await started.waitForLine(parseListeningLine, READY_TIMEOUT_MS);
  return { process: started, url };
}
