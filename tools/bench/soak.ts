/**
 * `npm run bench:soak -- [--duration S] [--warmup S] [--quick] [--write]`: sustained load near
 * the simulated tier's capacity (three `cpu` DJL simulators in their own process, the front door
 * as `npm start` runs it, the load generator paced at 80% of capacity), sampling the front door's
 * RSS every second. Reports requests, errors and RSS at start, after warm-up and at the end;
 * writes tools/bench/results/soak.{md,json} (not for --quick unless --write). Not part of `npm test`.
 */
import { relative } from 'node:path';
import { exitUnlessRun, parseCommandLine } from '../../shared/cli/command-line';
import { ProcessRegistry } from './child-processes';
import { startFrontDoor } from './front-door-process';
import { runLoadGenerator } from './load-generator-process';
import { LOAD_PLAN_DEFAULTS, type LoadPlan } from './load-plan';
import { CpuMeter, cpuSecondsOf } from './process-cpu';
import { REPO_ROOT, RESULTS_DIR } from './repo-paths';
import { readRssMiB, renderSoakReport, rssGrowth, type RssSample, type SoakFigures } from './soak-report';
import { startSimulators } from './simulator-process';
import { INSTANCES, physicalLimit } from './workloads';
import { writeReportFiles } from '../report/report-files';

/** Run lengths, and the shorter `--quick` ones. */
const SOAK_DEFAULTS = { durationS: 300, warmupS: 30, quick: { durationS: 20, warmupS: 5 } } as const;
/** The load: near capacity, but below it (a soak measures leaks, not queueing collapse). */
const SOAK_LOAD = { offeredFraction: 0.8, clients: 32, textsPerRequest: 8 } as const;
const SAMPLE_INTERVAL_MS = 1_000;
const MS_PER_S = 1_000;
const EXIT_FAILURE = 1;

const log = (line: string): void => {
  process.stdout.write(`${line}\n`);
};

/** Calls `onStart` when the load generator opens its measuring window, and meters CPU over it. */
class WindowMeter extends CpuMeter {
  constructor(pid: number, private readonly onStart: () => void) {
    super(() => cpuSecondsOf([pid]));
  }

  override start(): void {
    super.start();
    this.onStart();
  }
}

const USAGE = `Usage: npm run bench:soak -- [options]

Sustained load at ${SOAK_LOAD.offeredFraction * 100}% of the simulated tier's capacity; samples the front door's RSS every second.

  --duration S   seconds measured (default ${SOAK_DEFAULTS.durationS}; ${SOAK_DEFAULTS.quick.durationS} with --quick)
  --warmup S     seconds of load before measuring (default ${SOAK_DEFAULTS.warmupS}; ${SOAK_DEFAULTS.quick.warmupS} with --quick)
  --quick        the short shape; results not written
  --write        write the results files even with --quick
  --help         this text`;

const FLAGS = { duration: { type: 'string' }, warmup: { type: 'string' }, quick: { type: 'boolean' }, write: { type: 'boolean' } } as const;

function readOptions(): { durationS: number; warmupS: number; write: boolean } {
  return exitUnlessRun(parseCommandLine({ flags: FLAGS }, process.argv.slice(2), (flags) => {
    const quick = flags.flag('quick');
    return {
      durationS: flags.number('duration', { above: 0 }) ?? (quick ? SOAK_DEFAULTS.quick : SOAK_DEFAULTS).durationS,
      warmupS: flags.number('warmup', { min: 0 }) ?? (quick ? SOAK_DEFAULTS.quick : SOAK_DEFAULTS).warmupS,
      write: !quick || flags.flag('write'),
    };
  }), USAGE);
}

async function main(registry: ProcessRegistry): Promise<void> {
  const options = readOptions();
  const capacity = physicalLimit('cpu', INSTANCES);
  const offered = SOAK_LOAD.offeredFraction * capacity;
  const intervalMs = (SOAK_LOAD.clients * SOAK_LOAD.textsPerRequest * MS_PER_S) / offered;
  log(`Soak: ${options.durationS} s after ${options.warmupS} s warm-up, ${SOAK_LOAD.clients} clients x ${SOAK_LOAD.textsPerRequest} texts, ` +
    `${Math.round(offered)} texts/s offered (${SOAK_LOAD.offeredFraction * 100}% of ${Math.round(capacity)}).`);

  const simulators = await startSimulators(registry, 'cpu', INSTANCES);
  const frontDoor = await startFrontDoor(registry, simulators.urls);
  const pid = frontDoor.process.pid;
  const rssAtStartMiB = readRssMiB(pid);
  const startedAt = performance.now();
  const samples: RssSample[] = [];
  let windowStartS: number | undefined;
  const sample = (): void => {
    const rssMiB = readRssMiB(pid);
    if (rssMiB !== undefined) samples.push({ atS: (performance.now() - startedAt) / MS_PER_S, rssMiB });
  };
  const sampler = setInterval(sample, SAMPLE_INTERVAL_MS);
  const progress = setInterval(() => {
    const last = samples.at(-1);
    if (last !== undefined) log(`  ${Math.round(last.atS)} s: RSS ${last.rssMiB.toFixed(1)} MiB`);
  }, 15 * SAMPLE_INTERVAL_MS);

  const meter = new WindowMeter(pid, () => {
    windowStartS = (performance.now() - startedAt) / MS_PER_S;
  });
  const plan: LoadPlan = {
    ...LOAD_PLAN_DEFAULTS,
    urls: [`${frontDoor.url}${new URL(simulators.urls[0] ?? '').pathname}`],
    clients: SOAK_LOAD.clients,
    textsPerRequest: SOAK_LOAD.textsPerRequest,
    warmupS: options.warmupS,
    durationS: options.durationS,
    intervalMs,
  };
  let result;
  try {
    result = await runLoadGenerator(registry, plan, [meter]);
  } finally {
    clearInterval(sampler);
    clearInterval(progress);
  }
  sample();
  const growth = rssGrowth(samples, windowStartS ?? options.warmupS);
  const figures: SoakFigures = {
    date: new Date().toISOString(),
    durationS: options.durationS,
    warmupS: options.warmupS,
    clients: SOAK_LOAD.clients,
    textsPerRequest: SOAK_LOAD.textsPerRequest,
    offeredTextsPerS: offered,
    capacityTextsPerS: capacity,
    requests: result.requests,
    okRequests: result.okRequests,
    textsPerS: result.chunksPerS,
    errors: result.errors,
    errorCount: result.errorCount,
    unfinished: result.unfinished,
    p50Ms: result.latencyMs.p50,
    p99Ms: result.latencyMs.p99,
    frontDoorCpuPercent: meter.percent(),
    rssAtStartMiB,
    rssAfterWarmupMiB: growth.from,
    rssAtEndMiB: growth.to,
    rssMaxMiB: samples.length === 0 ? undefined : Math.max(...samples.map((s) => s.rssMiB)),
    rssGrowthPercent: growth.percent,
    samples,
  };
  const markdown = renderSoakReport(figures);
  log(`\n${markdown}`);
  if (options.write) {
    const written = await writeReportFiles(RESULTS_DIR, 'soak', { json: figures, markdown });
    log(`Results written to ${relative(REPO_ROOT, written.markdown ?? '')} and soak.json.`);
  }
}

const registry = new ProcessRegistry();
process.on('exit', () => registry.signalAllNow());
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => void registry.stopAll().finally(() => process.exit(EXIT_FAILURE)));
}
main(registry)
  .then(() => registry.stopAll())
  .catch((error: unknown) => {
    process.stderr.write(`soak failed: ${error instanceof Error ? error.stack : String(error)}\n`);
    void registry.stopAll().finally(() => process.exit(EXIT_FAILURE));
  });
