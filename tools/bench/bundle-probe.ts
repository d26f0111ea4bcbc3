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

/**
 * Where the timed `import()` runs from. Lambda's Node.js runtime starts from an ES module
 * (aws-lambda-nodejs-runtime-interface-client's `index.mjs`), so when it imports the handler the
 * ESM loader is already running: `esm`. The deploy issue's figures (a bare Hono handler "about
 * 11 ms") were taken from a CommonJS process, whose first `import()` also starts the ESM loader:
 * `cjs` reproduces them.
 */
export const ImportMode = { esm: 'esm', cjs: 'cjs' } as const;
export type ImportMode = (typeof ImportMode)[keyof typeof ImportMode];

/** What one timed import reported. */
export interface ImportSample {
  /** `await import(entry)`: the module init Lambda bills as cold start. */
  readonly importMs: number;
  /** From the process's time origin to the handler being ready: Node's own start included. */
  readonly readyMs: number;
  /** Node's internal modules first loaded during the import (`process.moduleLoadList`), ESM mode only. */
  readonly builtinsLoaded: readonly string[];
  /** The first request after the import (PROBE_EVENT), ESM mode only: its time and status. */
  readonly firstRequestMs?: number;
  readonly firstStatus?: number;
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

/** Runs a probe with `node`; a failure says which entry and ends with the child's last words, not its whole bundle. */
async function runProbe(node: string, args: readonly string[], env: NodeJS.ProcessEnv): Promise<string> {
  try {
    return (await run(node, args, { env, timeout: CHILD_TIMEOUT_MS, maxBuffer: 1 << 20 })).stdout;
  } catch (error) {
    const output = (error as { stderr?: unknown }).stderr;
    const stderr = typeof output === 'string' ? output : '';
    throw new Error(`importing ${args[1]} failed: …${stderr.slice(-STDERR_TAIL_CHARS)}`, { cause: error });
  }
}

// The module list is read before the clock starts and after it stops: the timing does not include
// it. With PROBE_EVENT set, the handler then serves that event once (the first request of a cold
// start), timed on its own. The event is read before anything is timed, through getBuiltinModule:
// an ESM import of node:fs would load Node's streams, which the first request would then find loaded.
const PROBE_SOURCE = `import { pathToFileURL } from 'node:url';
const [entry, trace] = process.argv.slice(2);
if (trace !== undefined) {
  const { register } = await import('node:module');
  register('./trace-hooks.mjs', import.meta.url, { data: { trace } });
}
const url = pathToFileURL(entry).href;
const eventPath = process.env.PROBE_EVENT;
const event = eventPath === undefined ? undefined : JSON.parse(process.getBuiltinModule('node:fs').readFileSync(eventPath, 'utf8'));
const context = { awsRequestId: 'probe', functionName: 'probe', getRemainingTimeInMillis: () => 29000 };
// The first use of \`performance\` loads perf_hooks: the probe's doing, so before the list is taken.
performance.now();
const before = new Set(process.moduleLoadList);
const started = performance.now();
const module = await import(url);
const importMs = performance.now() - started;
const readyMs = performance.now();
const builtinsLoaded = process.moduleLoadList.filter((name) => !before.has(name) && name.startsWith('NativeModule ')).map((name) => name.slice('NativeModule '.length));
let firstRequestMs;
let firstStatus;
if (event !== undefined) {
  const requestStarted = performance.now();
  const result = await module.handler(event, context);
  firstRequestMs = performance.now() - requestStarted;
  firstStatus = result.statusCode;
}
if (trace !== undefined) await new Promise((resolve) => setTimeout(resolve, ${TRACE_SETTLE_MS}));
// On a line of its own (the handler may have written EMF lines), then exit at once: a handler's
// keep-alive timers are not part of its cold start.
process.stdout.write('\\n' + JSON.stringify({ importMs, readyMs, builtinsLoaded, firstRequestMs, firstStatus }), () => process.exit(0));
`;

// The deploy issue's way: the first import() of a CommonJS process, ESM loader start-up included.
const CJS_PROBE_SOURCE = `const { pathToFileURL } = require('node:url');
const url = pathToFileURL(process.argv[2]).href;
const started = performance.now();
import(url).then(() => {
  const importMs = performance.now() - started;
  const readyMs = performance.now();
  process.stdout.write(JSON.stringify({ importMs, readyMs, builtinsLoaded: [] }), () => process.exit(0));
});
`;

const TRACE_HOOKS_SOURCE = `import { appendFileSync } from 'node:fs';
let trace;
export function initialize(data) { trace = data.trace; }
export async function load(url, context, next) {
  if (url.startsWith('file:')) appendFileSync(trace, url + '\\n');
  return next(url, context);
}
`;

/** The probes, one per mode, and the `node` that runs them. */
export type Probes = Readonly<Record<ImportMode, string>> & { readonly node: string };

/** Writes the probes and the trace hooks into `dir`; returns the probes' paths, run with `node`. */
export function writeProbes(dir: string, node: string): Probes {
  writeFileSync(join(dir, 'trace-hooks.mjs'), TRACE_HOOKS_SOURCE);
  const probes = { esm: join(dir, 'import-probe.mjs'), cjs: join(dir, 'import-probe.cjs'), node };
  writeFileSync(probes.esm, PROBE_SOURCE);
  writeFileSync(probes.cjs, CJS_PROBE_SOURCE);
  return probes;
}

/**
 * The child's environment: only what the handlers need, so nothing of the parent (NODE_OPTIONS,
 * tsx's loader) changes what is measured.
 */
export function childEnv(handlerEnv: Readonly<Record<string, string>>): NodeJS.ProcessEnv {
  return { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...handlerEnv };
}

/**
 * Imports `entry` once in a fresh process, from the given mode's probe, and returns its timings;
 * with `event` (a JSON file, ESM mode), also the first request's.
 */
export async function timeImport(probes: Probes, mode: ImportMode, entry: string, env: NodeJS.ProcessEnv, event?: string): Promise<ImportSample> {
  const stdout = await runProbe(probes.node, [probes[mode], entry], event === undefined ? env : { ...env, PROBE_EVENT: event });
  // The last line: a handler may have written its own lines (EMF metrics) before it.
  const sample = JSON.parse(stdout.trimEnd().split('\n').at(-1) ?? '') as ImportSample;
  if (!Number.isFinite(sample.importMs)) throw new Error(`the probe printed no timing for ${entry}: ${stdout}`);
  return sample;
}

/** Imports `entry` once with the load hook and returns the files the process loaded, in order. */
export async function traceImport(probes: Probes, entry: string, traceFile: string, env: NodeJS.ProcessEnv): Promise<string[]> {
  writeFileSync(traceFile, '');
  await runProbe(probes.node, [probes.esm, entry, traceFile], env);
  return readFileSync(traceFile, 'utf8').split('\n').filter((line) => line !== '');
}
