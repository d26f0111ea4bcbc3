/**
 * `npm run bench:hostile`: replays issue 17's attacks on loopback against the front door, each on
 * a fresh front door process over simulated DJL backends (or a hostile fake one), and judges the
 * issue's targets: memory under uploads and a huge backend answer, a victim key's latency under
 * another key's flood, /ping under CPU amplification, and the connection cap. `--before DIR`
 * measures an older checkout first with the same attacks. Writes tools/bench/results/hostile.{md,json}
 * on a full run. Every process it starts is stopped at the end, on failure and on Ctrl-C.
 */
import { loadavg } from 'node:os';
import { relative } from 'node:path';
import { exitUnlessRun } from '../../shared/cli/command-line';
import { ProcessRegistry } from './child-processes';
import { runHostileAnswer } from './hostile-answer';
import { runConnectionCap } from './hostile-connections';
import { BACKEND_CAPACITY_TEXTS_PER_S, BACKEND_COST, BACKEND_INSTANCES, BATCH_TIME_MS, type ScenarioContext } from './hostile-context';
import { runCpuAmplification } from './hostile-cpu';
import { runFairness } from './hostile-fairness';
import { HOSTILE_SCENARIOS, HOSTILE_USAGE, parseHostileOptions, type HostileOptions, type HostileScenarioId } from './hostile-options';
import { renderHostileReport, type CheckoutRun, type HostileReport } from './hostile-report';
import { runUploads } from './hostile-uploads';
import { readMachineInfo, readRevision } from './machine-info';
import { REPO_ROOT, RESULTS_DIR } from './repo-paths';
import { startSimulators } from './simulator-process';
import { writeReportFiles } from '../report/report-files';

const EXIT_FAILURE = 1;
/** Exit codes after a signal, as shells report them (128 + signal number). */
const EXIT_ON_SIGNAL = { SIGINT: 130, SIGTERM: 143 } as const;
const MS_PER_S = 1_000;
const RESULTS_NAME = 'hostile';

const log = (line: string): void => {
  process.stdout.write(`${line}\n`);
};

/** Runs the chosen attacks on one checkout; an attack that fails is recorded and the rest still run. */
async function measureCheckout(context: ScenarioContext, label: string, scenarios: readonly HostileScenarioId[]): Promise<CheckoutRun> {
  const revision = context.repoRoot === undefined ? readRevision(REPO_ROOT) : readRevision(context.repoRoot, { ignoreUntracked: true });
  const [loadBefore] = loadavg();
  log(`\n${label}: ${context.repoRoot ?? REPO_ROOT} at ${revision}; load average ${loadBefore?.toFixed(1) ?? 'n/a'}`);
  const run: { -readonly [K in keyof CheckoutRun]: CheckoutRun[K] } = { label, revision, failures: {}, loadAverage: [loadBefore ?? Number.NaN, Number.NaN] };
  const attacks: Record<HostileScenarioId, () => Promise<void>> = {
    uploads: async () => {
      run.uploads = await runUploads(context);
    },
    answer: async () => {
      run.answer = await runHostileAnswer(context);
    },
    fairness: async () => {
      run.fairness = [await runFairness(context, 'two keys'), await runFairness(context, 'none')];
    },
    cpu: async () => {
      run.cpu = await runCpuAmplification(context);
    },
    connections: async () => {
      run.connections = await runConnectionCap(context);
    },
  };
  for (const scenario of scenarios) {
    try {
      await attacks[scenario]();
    } catch (error) {
      const reason = error instanceof Error ? error.message.split('\n')[0] ?? error.message : String(error);
      log(`  ${HOSTILE_SCENARIOS[scenario]} failed: ${reason}`);
      run.failures[scenario] = reason;
    }
  }
  run.loadAverage = [loadBefore ?? Number.NaN, loadavg()[0] ?? Number.NaN];
  return run;
}

async function main(options: HostileOptions): Promise<void> {
  const startedAt = performance.now();
  const date = new Date().toISOString();
  const machine = readMachineInfo('not used');
  log(`Hostile-load benchmark: ${options.scenarios.map((id) => HOSTILE_SCENARIOS[id]).join('; ')}. ` +
    `${machine.nproc} cores, ${machine.cpuModel}, Node ${machine.node}.`);
  const simulators = await startSimulators(registry, 'cpu', BACKEND_INSTANCES, BACKEND_COST);
  const checkouts = [
    ...(options.beforeRoot === undefined ? [] : [{ label: 'before', root: options.beforeRoot }]),
    { label: options.beforeRoot !== undefined ? 'after' : options.repoRoot === undefined ? 'this checkout' : 'measured checkout', root: options.repoRoot },
  ];
  const runs: CheckoutRun[] = [];
  for (const checkout of checkouts) {
    const context: ScenarioContext = { registry, repoRoot: checkout.root, shape: options.shape, backends: simulators.urls, log };
    runs.push(await measureCheckout(context, checkout.label, options.scenarios));
  }
  await registry.stop(simulators.process);
  const report: HostileReport = {
    date,
    command: ['npm run bench:hostile', ...(process.argv.length > 2 ? ['--', ...process.argv.slice(2)] : [])].join(' '),
    machine,
    shape: options.shape,
    backend: { instances: BACKEND_INSTANCES, cost: BACKEND_COST, capacityTextsPerS: BACKEND_CAPACITY_TEXTS_PER_S, batchTimeMs: BATCH_TIME_MS },
    runs,
    runSeconds: (performance.now() - startedAt) / MS_PER_S,
  };
  const markdown = renderHostileReport(report);
  log(`\n${markdown}`);
  if (!options.writeResults) {
    log('Results not written (a --quick, --only or --repo run; add --write to write them).');
    return;
  }
  const written = await writeReportFiles(options.resultsDir ?? RESULTS_DIR, RESULTS_NAME, { json: report, markdown });
  log(`Results written to ${relative(REPO_ROOT, written.markdown ?? '')} and ${RESULTS_NAME}.json.`);
}

const options = exitUnlessRun(parseHostileOptions(process.argv.slice(2)), HOSTILE_USAGE);
const registry = new ProcessRegistry();
// Nothing can be awaited in 'exit': signal every child so none outlives the run.
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
    process.stderr.write(`hostile benchmark failed: ${error instanceof Error ? error.stack : String(error)}\n`);
    void registry.stopAll().finally(() => process.exit(EXIT_FAILURE));
  });
