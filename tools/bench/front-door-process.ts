/**
 * The front door exactly as `npm start` runs it (functions/server/main.ts), or as its container
 * image runs it (the server bundle), in its own process, configured only through its environment.
 * Whatever embedder that entry point builds is what gets measured.
 */
import { execFileSync } from 'node:child_process';
import type { ProcessRegistry, TrackedProcess } from './child-processes';
import { ENTRY_POINTS, REPO_ROOT, SERVER_BUNDLE, tsxCommand } from './repo-paths';

/**
 * How the front door runs: `bundle`, the server bundle as the container image runs it (`node
 * --enable-source-maps dist/server/main.mjs`, what Cloud Run and Fargate bill), or `tsx`, the
 * TypeScript sources as `npm start` runs them (what a CPU profile can name by source file).
 */
export const FRONT_DOOR_ENTRIES = ['bundle', 'tsx'] as const;
export type FrontDoorEntry = (typeof FRONT_DOOR_ENTRIES)[number];

/** Builds a checkout's server bundle (`npm run build -- --target server`, run without npm). */
export function buildServerBundle(repoRoot: string = REPO_ROOT): void {
  execFileSync(...tsxCommand('tools/build/main.ts', ['--target', 'server']), { cwd: repoRoot, stdio: 'pipe' });
}

/** A running front door. */
export interface FrontDoorProcess {
  readonly process: TrackedProcess;
  /** `http://127.0.0.1:PORT` */
  readonly url: string;
}

const READY_TIMEOUT_MS = 30_000;
/** Backend keys from the caller's shell that must not reach the measured front door. */
const OTHER_BACKEND_KEYS = ['DJL_URLS', 'DJL_URL', 'GPU_BACKENDS'] as const;

/** The URL of the `{"event":"listening","url":...}` log line; undefined for any other line. */
export function parseListeningLine(line: string): string | undefined {
  if (!line.startsWith('{')) return undefined;
  try {
    const entry = JSON.parse(line) as { event?: unknown; url?: unknown };
    return entry.event === 'listening' && typeof entry.url === 'string' ? entry.url : undefined;
  } catch {
    return undefined;
  }
}

/** What a benchmark may add to the front door's configuration. */
export interface FrontDoorOptions {
  /** The GPU overflow tier (GPU_BACKENDS); none unless given. */
  readonly gpuBackends?: readonly string[];
  /** More settings (`OVERFLOW_WAIT_MS`, ...); where it listens and its backends stay as set here. */
  readonly env?: Readonly<Record<string, string>>;
  /** Another checkout to run the entry point from (an older commit, to compare); default this one. */
  readonly repoRoot?: string;
  /** Node flags before the entry (`--cpu-prof`, ...). */
  readonly nodeArgs?: readonly string[];
  /** The sources through tsx (default) or the built bundle, built beforehand by {@link buildServerBundle}. */
  readonly entry?: FrontDoorEntry;
}

/**
 * Starts the front door over `backends` (its CPU tier) on a free 127.0.0.1 port. The caller's
 * environment is passed on, so `UPSTREAM_CONNECTIONS=...` and the like can be tried from the
 * shell; where it listens and what it serves are set here.
 */
export async function startFrontDoor(
  registry: ProcessRegistry,
  backends: readonly string[],
  options: FrontDoorOptions = {},
): Promise<FrontDoorProcess> {
  const [command, entryArgs] = options.entry === 'bundle'
    ? [process.execPath, ['--enable-source-maps', SERVER_BUNDLE]]
    : tsxCommand(ENTRY_POINTS.frontDoor);
  const args = [...(options.nodeArgs ?? []), ...entryArgs];
  const env: NodeJS.ProcessEnv = {
    // No access log, as nginx runs with `access_log off`: both proxies are measured without one.
    ...process.env, LOG_LEVEL: 'info', ACCESS_LOG: 'false', ...options.env, HOST: '127.0.0.1', PORT: '0', CPU_BACKENDS: backends.join(','),
  };
  // The config refuses CPU_BACKENDS next to its aliases, and a GPU tier would change what is measured.
  for (const key of OTHER_BACKEND_KEYS) delete env[key];
  if (options.gpuBackends !== undefined) env.GPU_BACKENDS = options.gpuBackends.join(',');
  const started = registry.start('front door', command, args, { cwd: options.repoRoot ?? REPO_ROOT, env });
  const url = await started.waitForLine(parseListeningLine, READY_TIMEOUT_MS);
  return { process: started, url };
}
