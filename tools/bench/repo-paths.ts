/**
 * Where the benchmark finds the project's entry points, and how it runs a TypeScript file as its
 * own Node process (through tsx, like `npm start`, with no shell or npm process in between, so
 * the pid the runner holds is the process doing the work).
 */
import { fileURLToPath } from 'node:url';

/** The repository root. */
export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** Entry points, relative to {@link REPO_ROOT}. */
export const ENTRY_POINTS = {
  frontDoor: 'functions/server/main.ts',
  simulator: 'tools/djl-simulator/cli.ts',
  loadGenerator: 'tools/bench/load-generator.ts',
} as const;

/** The server bundle `npm run build -- --target server` writes, relative to a checkout's root. */
export const SERVER_BUNDLE = 'dist/server/main.mjs';

/** Where results are written. */
export const RESULTS_DIR = fileURLToPath(new URL('./results/', import.meta.url));

/** `node --import tsx <entry> ...args`: the command and arguments that run a TypeScript entry. */
export function tsxCommand(entry: string, args: readonly string[] = []): [string, string[]] {
  return [process.execPath, ['--import', 'tsx', entry, ...args]];
}
