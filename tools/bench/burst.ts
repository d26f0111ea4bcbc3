/**
 * `npm run bench:burst`: open-loop load on the front door stepping from a baseline (40% of one CPU
 * instance's capacity) to a burst (3x it) and back, with and without a GPU overflow tier. Reports
 * latency, errors, 429s and which tier served, per phase; checks the issue's targets; writes
 * tools/bench/results/burst.{md,json} on a full run at default settings. Every process it starts is
 * stopped at the end, on failure and on Ctrl-C. Not part of `npm test`.
 */
import { relative } from 'node:path';
import { ProcessRegistry } from './child-processes';
import { cpuBetween } from './burst-cpu';
import { BURST_USAGE, parseBurstOptions, type BurstOptions } from './burst-options';
import { exitUnlessRun } from '../../shared/cli/command-line';
import { renderBurstReport, type BurstReport, type BurstSetupResult } from './burst-report';
import { runBurstSetup } from './burst-setup';
import { MEASURED_PHASES, phaseSpans, phaseStats, rateSteps, timeline, timeSplits, type BurstShape, type PhaseSpan } from './burst-stats';
import { BURST_SETUPS, checkBurstTargets, RECOVERY_TAIL_S, tailGpuShare, type BurstSetupId } from './burst-targets';
import { readMachineInfo, readRevision } from './machine-info';
import { waitForQuietMachine } from './quiet-machine';
import { REPO_ROOT, RESULTS_DIR } from './repo-paths';
import { physicalLimit } from './workloads';
import { writeReportFiles } from '../report/report-files';

const EXIT_FAILURE = 1;
/** Exit codes after a signal, as shells report them (128 + signal number). */
const EXIT_ON_SIGNAL = { SIGINT: 130, SIGTERM: 143 } as const;
/** The issue's request: 8 distinct texts each, so the front door has nothing to deduplicate. */
const TEXTS_PER_REQUEST = 8;
/** TEI's route: its answer is a bare list of vectors, which the generator counts without parsing. */
const ROUTE = '/embed';
/**
 * Connections the generator may open: without a GPU tier the front door holds up to 8,192 queued
 * texts (QUEUE_MAX_TEXTS), 1,024 requests of 8, all outstanding at once; twice that, so the
 * generator never queues a request of its own.
 */
const CONNECTIONS = 2_048;
const TIMELINE_BUCKET_S = 2;
const MS_PER_S = 1_000;

const log = (line: string): void => {
  process.stdout.write(`${line}\n`);
};

function shapeOf(options: BurstOptions, capacity: number): BurstShape {
  return {
    warmupS: options.warmupS,
    baselineS: options.baselineS,
    burstS: options.burstS,
    recoveryS: options.recoveryS,
    baselineRatePerS: (options.baselineLoad * capacity) / TEXTS_PER_REQUEST,
    burstRatePerS: (options.burstLoad * capacity) / TEXTS_PER_REQUEST,
  };
}

async function runSetup(setup: BurstSetupId, spans: readonly PhaseSpan[], options: BurstOptions): Promise<BurstSetupResult> {
  const label = BURST_SETUPS[setup];
  const machineBusyBefore = await waitForQuietMachine(options.quietWaitS * MS_PER_S, log);
  log(`\n${label}: other work on the machine ${machineBusyBefore === undefined ? 'unknown' : `${Math.round(machineBusyBefore)}% of a core`}`);
  const run = await runBurstSetup(registry, {
    setup,
    steps: rateSteps(spans),
    warmupS: options.warmupS,
    measuredS: options.baselineS + options.burstS + options.recoveryS,
    textsPerRequest: TEXTS_PER_REQUEST,
    route: ROUTE,
    connections: CONNECTIONS,
    clientTimeoutMs: options.clientTimeoutMs,
    env: options.env,
    phaseEndsS: [options.baselineS, options.baselineS + options.burstS, options.baselineS + options.burstS + options.recoveryS],
  });
  if (options.recordsDir !== undefined) {
    await writeReportFiles(options.recordsDir, `burst-records-${setup}`, { json: run.records });
  }
  const measured = spans.filter((span) => (MEASURED_PHASES as readonly string[]).includes(span.phase));
  const phases = measured.map((span) => phaseStats(span, run.records));
  // Phase times count from the load's start; the window opened after the warm-up.
  const loadStartAt = run.windowStartAt === undefined ? undefined : run.windowStartAt - options.warmupS * MS_PER_S;
  const phaseCpu = measured.map((span) => (loadStartAt === undefined
    ? { frontDoor: undefined, simulators: undefined, machine: undefined }
    : cpuBetween(run.cpuSamples, loadStartAt + span.fromMs, loadStartAt + span.toMs)));
  for (const stats of phases) {
    log(`  ${stats.phase.padEnd(9)} ${stats.requests} requests, p50 ${stats.latencyMs.p50.toFixed(1)} ms, ` +
      `p99 ${stats.latencyMs.p99.toFixed(1)} ms, ${stats.errorCount} errors (${stats.rejected429} 429s, ${stats.timeouts} timeouts), ` +
      `GPU ${stats.tiers.gpu ?? 0} of ${stats.ok}`);
  }
  const recovery = measured.find((span) => span.phase === 'recovery');
  const burst = measured.find((span) => span.phase === 'burst');
  const recoveryTail = recovery === undefined ? { share: Number.NaN, ok: 0 } : tailGpuShare(recovery, run.records, RECOVERY_TAIL_S);
  return {
    setup,
    skipped: undefined,
    phases,
    phaseCpu,
    loopDelay: run.loopDelay,
    splits: burst === undefined ? [] : timeSplits(burst, run.records),
    timeline: timeline(spans, run.records, TIMELINE_BUCKET_S),
    targets: checkBurstTargets({ setup, phases, recoveryTail }),
    cpu: run.cpu,
    machineBusyBefore,
    peakInFlight: run.peakInFlight,
    counters: run.counters,
  };
}

const skipped = (setup: BurstSetupId, reason: string): BurstSetupResult => ({
  setup, skipped: reason, phases: [], phaseCpu: [], loopDelay: [], splits: [], timeline: [], targets: [],
  cpu: { frontDoor: undefined, simulators: undefined, loadGenerator: undefined, machine: undefined },
  machineBusyBefore: undefined, peakInFlight: undefined, counters: [],
});

async function main(): Promise<void> {
  const options = exitUnlessRun(parseBurstOptions(process.argv.slice(2)), BURST_USAGE);
  const startedAt = performance.now();
  const date = new Date().toISOString();
  const capacity = physicalLimit('cpu', 1);
  const shape = shapeOf(options, capacity);
  const spans = phaseSpans(shape);
  const machine = readMachineInfo('not used');
  log(`Burst benchmark: ${shape.baselineRatePerS.toFixed(1)} req/s baseline, ${shape.burstRatePerS.toFixed(1)} req/s burst ` +
    `(${TEXTS_PER_REQUEST} texts each; one cpu instance does ${Math.round(capacity)} texts/s at best); ` +
    `${options.warmupS} s warm-up, ${options.baselineS}/${options.burstS}/${options.recoveryS} s phases. ` +
    `${machine.nproc} cores, ${machine.cpuModel}, Node ${machine.node}.`);

  const setups: BurstSetupResult[] = [];
  for (const setup of options.setups) {
    try {
      setups.push(await runSetup(setup, spans, options));
    } catch (error) {
      const reason = error instanceof Error ? error.message.split('\n')[0] ?? error.message : String(error);
      log(`${BURST_SETUPS[setup]} failed: ${reason}`);
      setups.push(skipped(setup, reason));
    }
  }
  const report: BurstReport = {
    date,
    revision: readRevision(REPO_ROOT),
    command: ['npm run bench:burst', ...(process.argv.length > 2 ? ['--', ...process.argv.slice(2)] : [])].join(' '),
    machine,
    shape,
    capacityTextsPerS: capacity,
    textsPerRequest: TEXTS_PER_REQUEST,
    route: ROUTE,
    clientTimeoutMs: options.clientTimeoutMs,
    connections: CONNECTIONS,
    env: options.env,
    timelineBucketS: TIMELINE_BUCKET_S,
    setups,
    runSeconds: (performance.now() - startedAt) / MS_PER_S,
  };
  const markdown = renderBurstReport(report);
  log(`\n${markdown}`);
  if (!options.writeResults) {
    log('Results not written (a --quick, --env, --only or reshaped run; add --write to write them).');
    return;
  }
  const written = await writeReportFiles(RESULTS_DIR, 'burst', { json: report, markdown });
  log(`Results written to ${relative(REPO_ROOT, written.markdown ?? '')} and burst.json.`);
}

const registry = new ProcessRegistry();
// Nothing can be awaited in 'exit': signal every child so none outlives the run.
process.on('exit', () => registry.signalAllNow());
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    log(`\n${signal}: stopping every benchmark process...`);
    void registry.stopAll().finally(() => process.exit(EXIT_ON_SIGNAL[signal]));
  });
}
main()
  .then(() => registry.stopAll())
  .catch((error: unknown) => {
    process.stderr.write(`burst benchmark failed: ${error instanceof Error ? error.stack : String(error)}\n`);
    void registry.stopAll().finally(() => process.exit(EXIT_FAILURE));
  });
