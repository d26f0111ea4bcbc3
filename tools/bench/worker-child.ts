/**
 * The script one `npm run bench:worker` process runs (as `node -e`, so nothing but the bundle is
 * imported before the handler: the init it times is the worker's own). Its result is one line
 * starting `BENCH `; the worker's EMF lines go to stdout too and are skipped.
 */

/** A cold run: ms since the process started. */
export interface ColdResult {
  readonly importedMs: number;
  readonly firstAnswerMs: number;
  readonly initMs: number | undefined;
}

/** A warm run: closed-loop invokes. */
export interface WarmResult {
  readonly chunksPerSecond: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
}

/** The JavaScript source of the child. */
export function childScript(): string {
  return `
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
const env = process.env;
const { handler } = await import(pathToFileURL(env.BENCH_WORKER_BUNDLE).href);
const importedMs = performance.now();
const texts = JSON.parse(readFileSync(env.BENCH_TEXTS_FILE, 'utf8'));
const first = await handler({ v: 1, texts: [texts[0]] });
const firstAnswerMs = performance.now();
if (!first.ok) throw new Error('worker answered ' + JSON.stringify(first));
const say = (result) => process.stdout.write('BENCH ' + JSON.stringify(result) + '\\n');
if (env.BENCH_MODE === 'cold') {
  say({ importedMs, firstAnswerMs, initMs: first.initMs });
} else {
  const perInvoke = Number(env.BENCH_TEXTS_PER_INVOKE);
  let next = 0;
  const batch = () => Array.from({ length: perInvoke }, () => texts[next++ % texts.length]);
  const until = (deadline, latencies) => {
    let chunks = 0;
    return (async () => {
      while (performance.now() < deadline) {
        const started = performance.now();
        const answer = await handler({ v: 1, texts: batch() });
        if (!answer.ok) throw new Error('worker answered ' + answer.code);
        latencies?.push(performance.now() - started);
        chunks += answer.count;
      }
      return chunks;
    })();
  };
  await until(performance.now() + 2000);
  const latencies = [];
  const started = performance.now();
  const chunks = await until(started + Number(env.BENCH_SECONDS) * 1000, latencies);
  const seconds = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  const at = (q) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))];
  say({ chunksPerSecond: chunks / seconds, p50Ms: at(0.5), p99Ms: at(0.99) });
}
`;
}
