/**
 * Imports a bundle in a fresh `node` process, the way Lambda's module init does, and reports how
 * long `await import(entry)` took. A second, untimed mode records every file the process loaded
 * (through a module `load` hook, which would itself slow a timed import), so the report can show
 * which chunks a cold start really reads.
 */
import { execFile } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** What one timed import reported. */
export interface ImportSample {
  /** `await import(entry)`: the module init Lambda bills as cold start. */
  readonly importMs: number;
  /** From the process's time origin to the handler being ready: Node's own start included. */
  readonly readyMs: number;
}

/**
 * After the import resolves, the traced child waits this long before exiting, so a chunk the
 * handler loads with `import()` during init (not awaited by the import itself) is still recorded.
 */
const TRACE_SETTLE_MS = 300;
/** A child that takes longer than this is stuck, not slow. */
const CHILD_TIMEOUT_MS = 30_000;
/** How much of a failed child's stderr an error quotes: a minified bundle's lines are huge. */
const STDERR_TAIL_CHARS = 1_500;

/** Runs the probe; a failure says which entry and ends with the child's last words, not its whole bundle. */
async function runProbe(args: readonly string[], env: NodeJS.ProcessEnv): Promise<string> {
  try {
    return (await run(process.execPath, args, { env, timeout: CHILD_TIMEOUT_MS, maxBuffer: 1 << 20 })).stdout;
  } catch (error) {
    const stderr = String((error as { stderr?: unknown }).stderr ?? '');
    throw new Error(`importing ${args[1]} failed: …${stderr.slice(-STDERR_TAIL_CHARS)}`);
  }
}

const PROBE_SOURCE = `import { pathToFileURL } from 'node:url';
const [entry, trace] = process.argv.slice(2);
if (trace !== undefined) {
  const { register } = await import('node:module');
  register('./trace-hooks.mjs', import.meta.url, { data: { trace } });
}
const started = performance.now();
await import(pathToFileURL(entry).href);
const importMs = performance.now() - started;
const readyMs = performance.now();
if (trace !== undefined) await new Promise((resolve) => setTimeout(resolve, ${TRACE_SETTLE_MS}));
// Exit at once: a handler's keep-alive timers are not part of its init.
process.stdout.write(JSON.stringify({ importMs, readyMs }), () => process.exit(0));
`;

const TRACE_HOOKS_SOURCE = `import { appendFileSync } from 'node:fs';
let trace;
export function initialize(data) { trace = data.trace; }
export async function load(url, context, next) {
  if (url.startsWith('file:')) appendFileSync(trace, url + '\\n');
  return next(url, context);
}
`;

/** Writes the probe and its trace hooks into `dir`; returns the probe's path. */
export function writeProbe(dir: string): string {
  writeFileSync(join(dir, 'trace-hooks.mjs'), TRACE_HOOKS_SOURCE);
  const probe = join(dir, 'import-probe.mjs');
  writeFileSync(probe, PROBE_SOURCE);
  return probe;
}

/**
 * The child's environment: only what the handlers need, so nothing of the parent (NODE_OPTIONS,
 * tsx's loader) changes what is measured.
 */
export function childEnv(handlerEnv: Readonly<Record<string, string>>): NodeJS.ProcessEnv {
  return { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...handlerEnv };
}

/** Imports `entry` once in a fresh process and returns its timings. */
export async function timeImport(probe: string, entry: string, env: NodeJS.ProcessEnv): Promise<ImportSample> {
  const stdout = await runProbe([probe, entry], env);
  const sample = JSON.parse(stdout) as ImportSample;
  if (!Number.isFinite(sample.importMs)) throw new Error(`the probe printed no timing for ${entry}: ${stdout}`);
  return sample;
}

/** Imports `entry` once with the load hook and returns the files the process loaded, in order. */
export async function traceImport(probe: string, entry: string, traceFile: string, env: NodeJS.ProcessEnv): Promise<string[]> {
  writeFileSync(traceFile, '');
  await runProbe([probe, entry, traceFile], env);
  return readFileSync(traceFile, 'utf8').split('\n').filter((line) => line !== '');
}
