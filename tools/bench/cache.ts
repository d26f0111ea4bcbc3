/**
 * `npm run bench:cache`: the embedding cache (issue 20) against three simulated CPU instances
 * (DJL simulator, cpu profile). Two workloads, 50% repeated texts and none, each against three
 * setups on a fresh front door and fresh simulators: no cache, the in-process cache, and the
 * shared cache on a local redis-server (in-process level off, so every hit is a Redis read).
 * Closed loop; chunks/s and p50/p99 latency per cell, and the targets judged. Writes
 * tools/bench/results/cache.{md,json} unless --quick. Every process it starts is stopped.
 */
import { loadavg } from 'node:os';
import { relative } from 'node:path';
import { exitUnlessRun, parseCommandLine } from '../../shared/cli/command-line';
import { runLoad, OK_OUTCOME, type LoadSender } from '../load/load-engine';
import { summarizeRun } from '../load/load-summary';
import { writeReportFiles } from '../report/report-files';
import {
  CACHE_SETUP_LABELS, CACHE_WORKLOADS, CacheSetup, type CacheCell, type CacheWorkload, judgeCache, REPEAT_POOL, workloadTexts,
} from './cache-workload';
import { ProcessRegistry } from './child-processes';
import { startFrontDoor } from './front-door-process';
import { readMachineInfo, readRevision } from './machine-info';
import { startRedis } from './redis-process';
import { REPO_ROOT, RESULTS_DIR } from './repo-paths';
import { startSimulators } from './simulator-process';

const INSTANCES = 3;
/**
 * The cpu profile's workers and fixed cost with four times its per-text cost (2.52 ms): the
 * benchmark's load generator, front door, simulators and Redis share one small machine, and at the
 * profile's own speed (about 2,100 texts/s for three instances) that machine's CPU, not the
 * backends, was the bottleneck, so a cache could not show what it saves. At 10 ms a text the
 * three instances serve about 570 texts/s, well inside the machine's means, as backends on
 * machines of their own are in production.
 */
const BACKEND_COST = { workers: 2, baseMs: 10.8, perItemMs: 10 } as const;
/** Enough that the misses alone, at half the texts, keep every backend worker busy. */
const CLIENTS = 64;
const TEXTS_PER_REQUEST = 8;
const DEFAULTS = { durationS: 15, warmupS: 5 } as const;
const QUICK = { durationS: 4, warmupS: 2 } as const;
const DRAIN_MS = 10_000;
const MS_PER_S = 1_000;
const EXIT_FAILURE = 1;
const EXIT_ON_SIGNAL = { SIGINT: 130, SIGTERM: 143 } as const;
const RESULTS_NAME = 'cache';
/** The in-process cache's size in the memory setup: the default of a server. */
const MEMORY_MB = '64';
/** Generous read budget on a busy benchmark machine: the cells measure hits, not timeouts. */
const SHARED_TIMEOUT_MS = '50';

const USAGE = `Usage: npm run bench:cache [-- --quick] [--duration S] [--warmup S]

The embedding cache against three simulated CPU DJL instances: 50% repeated texts and none,
with no cache, the in-process cache and a shared redis-server cache. Needs redis-server on PATH.
Writes tools/bench/results/cache.{md,json} (not with --quick).

  --quick        ${QUICK.durationS} s cells with a ${QUICK.warmupS} s warm-up, results not written
  --duration S   measuring window per cell (default ${DEFAULTS.durationS})
  --warmup S     warm-up per cell, not counted (default ${DEFAULTS.warmupS})
  --help         this text`;

const FLAGS = { quick: { type: 'boolean' }, duration: { type: 'string' }, warmup: { type: 'string' } } as const;

interface CacheBenchOptions {
  readonly durationS: number;
  readonly warmupS: number;
  readonly write: boolean;
}

function parseOptions(argv: readonly string[]): CacheBenchOptions {
  return exitUnlessRun(parseCommandLine({ flags: FLAGS }, argv, (flags) => {
    const quick = flags.flag('quick');
    const base = quick ? QUICK : DEFAULTS;
    return {
      durationS: flags.number('duration', { min: 1 }) ?? base.durationS,
      warmupS: flags.number('warmup', { min: 0 }) ?? base.warmupS,
      write: !quick,
    };
  }), USAGE);
}

const log = (line: string): void => void process.stdout.write(`${line}\n`);

interface Prepared {
  readonly body: string;
}

/** POSTs TEI /embed bodies and keeps each answer's x-embed-cache. */
function cacheSender(url: string, workload: CacheWorkload): LoadSender<Prepared> {
  return {
    prepare: (job) => ({ body: JSON.stringify({ inputs: workloadTexts(workload, job.client, job.sequence, job.texts) }) }),
    send: async (prepared, signal) => {
      const response = await fetch(`${url}/embed`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: prepared.body, signal });
      await response.arrayBuffer();
      return {
        outcome: response.status === 200 ? OK_OUTCOME : String(response.status),
        details: { cache: response.headers.get('x-embed-cache') ?? 'none' },
      };
    },
  };
}

async function runCell(registry: ProcessRegistry, workload: CacheWorkload, setup: CacheSetup, options: CacheBenchOptions): Promise<CacheCell> {
  const simulators = await startSimulators(registry, 'cpu', INSTANCES, BACKEND_COST);
  // A fresh, empty redis-server per shared cell: nothing carries over from another cell.
  const redis = setup === CacheSetup.shared ? await startRedis(registry) : undefined;
  const env: Record<string, string> = setup === CacheSetup.none
    ? { CACHE_MEMORY_MB: '0' }
    : redis === undefined
      ? { CACHE_MEMORY_MB: MEMORY_MB }
      : { CACHE_MEMORY_MB: '0', CACHE_URL: redis.url, CACHE_TIMEOUT_MS: SHARED_TIMEOUT_MS };
  const frontDoor = await startFrontDoor(registry, simulators.urls, { env });
  try {
    const record = await runLoad({
      sender: cacheSender(frontDoor.url, workload),
      plan: {
        batch: TEXTS_PER_REQUEST, clients: CLIENTS, intervalMs: 0,
        warmupMs: options.warmupS * MS_PER_S, durationMs: options.durationS * MS_PER_S, drainMs: DRAIN_MS,
      },
    });
    const summary = summarizeRun(record);
    const cacheHeaders: Record<string, number> = {};
    for (const sample of record.samples) {
      if (!sample.inWindow) continue;
      const header = sample.details?.cache;
      const value = typeof header === 'string' ? header : 'none';
      cacheHeaders[value] = (cacheHeaders[value] ?? 0) + 1;
    }
    const cell: CacheCell = {
      workload: workload.id, setup, chunksPerS: summary.chunksPerS, p50Ms: summary.latencyMs.p50, p99Ms: summary.latencyMs.p99,
      requests: summary.requests, errors: summary.errorCount, cacheHeaders,
    };
    log(`  ${CACHE_SETUP_LABELS[setup].padEnd(30)} ${cell.chunksPerS.toFixed(0).padStart(6)} chunks/s  p50 ${cell.p50Ms.toFixed(1)} ms  p99 ${cell.p99Ms.toFixed(1)} ms  errors ${cell.errors}`);
    return cell;
  } finally {
    await registry.stop(frontDoor.process);
    await registry.stop(simulators.process);
    if (redis !== undefined) await registry.stop(redis.process);
  }
}

function renderMarkdown(report: CacheReport): string {
  const rows = report.cells.map((cell) => {
    const headers = Object.entries(cell.cacheHeaders).map(([key, count]) => `${key} ${count}`).join(', ');
    return `| ${CACHE_WORKLOADS.find((w) => w.id === cell.workload)?.label ?? cell.workload} | ${CACHE_SETUP_LABELS[cell.setup]} | ${cell.chunksPerS.toFixed(0)} | ${cell.p50Ms.toFixed(1)} | ${cell.p99Ms.toFixed(1)} | ${cell.errors} | ${headers} |`;
  });
  const verdicts = report.verdicts.map((verdict) => `| ${verdict.target} | ${verdict.measured} | ${verdict.met ? 'met' : 'NOT met'} |`);
  return [
    '# Cache benchmark',
    '',
    `${report.date}, \`${report.command}\`, revision ${report.revision}; ${report.machine.nproc} cores, ${report.machine.cpuModel}, Node ${report.machine.node}; ` +
      `load average ${report.loadAverage.map((value) => value.toFixed(1)).join(' → ')}.`,
    '',
    `Three simulated DJL instances (2 workers, ${BACKEND_COST.baseMs} ms + ${BACKEND_COST.perItemMs} ms a text: the cpu profile at four times its per-text cost, ` +
      `so the backends and not the shared machine's CPU are the bottleneck), ${CLIENTS} closed-loop clients, ` +
      `${TEXTS_PER_REQUEST} texts of about 300 characters a request, ${report.warmupS} s warm-up and ${report.durationS} s measured per cell, ` +
      `a fresh front door and fresh simulators per cell. Repeated texts come from a pool of ${REPEAT_POOL} chunks; ` +
      'the shared cache is a fresh local redis-server per cell with the in-process level off (every hit a Redis read).',
    '',
    '| workload | setup | chunks/s | p50 ms | p99 ms | errors | x-embed-cache |',
    '| --- | --- | ---: | ---: | ---: | ---: | --- |',
    ...rows,
    '',
    '| target | measured | verdict |',
    '| --- | --- | --- |',
    ...verdicts,
    '',
  ].join('\n');
}

interface CacheReport {
  readonly date: string;
  readonly command: string;
  readonly revision: string;
  readonly machine: ReturnType<typeof readMachineInfo>;
  readonly loadAverage: readonly number[];
  readonly durationS: number;
  readonly warmupS: number;
  readonly cells: readonly CacheCell[];
  readonly verdicts: ReturnType<typeof judgeCache>;
}

async function main(options: CacheBenchOptions): Promise<void> {
  const machine = readMachineInfo('not used');
  const loadBefore = loadavg()[0] ?? Number.NaN;
  log(`Cache benchmark: ${machine.nproc} cores, ${machine.cpuModel}, Node ${machine.node}; load average ${loadBefore.toFixed(1)}.`);
  const cells: CacheCell[] = [];
  for (const workload of CACHE_WORKLOADS) {
    log(`\n${workload.label}:`);
    for (const setup of Object.values(CacheSetup)) cells.push(await runCell(registry, workload, setup, options));
  }
  const report: CacheReport = {
    date: new Date().toISOString(),
    command: ['npm run bench:cache', ...(process.argv.length > 2 ? ['--', ...process.argv.slice(2)] : [])].join(' '),
    revision: readRevision(REPO_ROOT),
    machine,
    loadAverage: [loadBefore, loadavg()[0] ?? Number.NaN],
    durationS: options.durationS,
    warmupS: options.warmupS,
    cells,
    verdicts: judgeCache(cells),
  };
  const markdown = renderMarkdown(report);
  log(`\n${markdown}`);
  if (!options.write) {
    log('Results not written (--quick).');
    return;
  }
  const written = await writeReportFiles(RESULTS_DIR, RESULTS_NAME, { json: report, markdown });
  log(`Results written to ${relative(REPO_ROOT, written.markdown ?? '')} and ${RESULTS_NAME}.json.`);
}

const options = parseOptions(process.argv.slice(2));
const registry = new ProcessRegistry();
process.on('exit', () => registry.signalAllNow());
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    log(`\n${signal}: stopping every benchmark process...`);
    void registry.stopAll().finally(() => process.exit(EXIT_ON_SIGNAL[signal]));
  });
}
main(options)
  .then(() => registry.stopAll())
  .catch((error: unknown) => {
    process.stderr.write(`cache benchmark failed: ${error instanceof Error ? error.stack : String(error)}\n`);
    void registry.stopAll().finally(() => process.exit(EXIT_FAILURE));
  });
