/**
 * `npm run bench`: direct vs nginx least_conn vs a round-robin client pool vs the front door, on
 * the same machine, the same load generator and the same simulated backends. Prints a Markdown
 * table and writes tools/bench/results/dispatch.{json,md}. Every process it starts is stopped at
 * the end, on failure and on Ctrl-C. Not part of `npm test`.
 */
import { rmSync } from 'node:fs';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { join, relative } from 'node:path';
import { ProcessRegistry } from './child-processes';
import { buildServerBundle } from './front-door-process';
import { buildNodeProxySetup } from './plain-node-proxy-process';
import { readMachineInfo, readRevision } from './machine-info';
import { ensureNginx, NGINX_WORKER_PROCESSES } from './nginx-process';
import { renderReport, type BenchReport } from './report-document';
import { RESULTS_DIR, REPO_ROOT } from './repo-paths';
import { parseRunOptions, RUN_USAGE } from './run-options';
import { exitUnlessRun } from '../../shared/cli/command-line';
import { runWorkload, type ProfileRecord } from './run-workload';
import { checkTargets, overheadVsDirect } from './target-checks';
import { CpuMeter } from './process-cpu';
import { closedLoopLimit, INSTANCES, physicalLimit, setupsOf, WORKLOADS, type Cell } from './workloads';
import { writeReportFiles } from '../report/report-files';

const EXIT_FAILURE = 1;
/** Exit codes after a signal, as shells report them (128 + signal number). */
const EXIT_ON_SIGNAL = { SIGINT: 130, SIGTERM: 143 } as const;
/** nginx's workers (user nobody when run as root) must reach their prefix under the temp dir. */
const TEMP_DIR_MODE = 0o755;
const MS_PER_S = 1_000;
/** How long the machine's own load is sampled before the run. */
const IDLE_CHECK_MS = 1_000;
/** Other work using a quarter of a core or more makes the numbers noisy: say so. */
const BUSY_BEFORE_WARNING_PERCENT = 25;

const log = (line: string): void => {
  process.stdout.write(`${line}\n`);
};

async function main(registry: ProcessRegistry, tempDir: string): Promise<void> {
  const options = exitUnlessRun(parseRunOptions(process.argv.slice(2)), RUN_USAGE);

  const startedAt = performance.now();
  const date = new Date().toISOString();
  try {
    await chmod(tempDir, TEMP_DIR_MODE);
    const nginx = await ensureNginx(log);
    if (!nginx.available) log(`nginx column skipped: ${nginx.reason}`);
    const machine = readMachineInfo(nginx.available ? nginx.version : `not used (${nginx.reason})`);
    const idleCheck = CpuMeter.ofMachine();
    idleCheck.start();
    await sleep(IDLE_CHECK_MS);
    idleCheck.stop();
    const busyBefore = idleCheck.percent();
    if (busyBefore !== undefined && busyBefore >= BUSY_BEFORE_WARNING_PERCENT) {
      log(`Warning: the machine was already ${Math.round(busyBefore)}% busy (100 = one core) before the run; ` +
        'other work competes with every cell (see the "other" CPU figures).');
    }
    const cellCount = options.workloads.reduce((count, workload) => count + setupsOf(options.baselineRoot !== undefined, workload).length, 0);
    const estimateS = cellCount * (options.durationS + options.warmupS + 1);
    log(`Benchmark: ${options.workloads.map((workload) => workload.id).join(', ')}; ${options.durationS} s per cell after ` +
      `${options.warmupS} s warm-up (about ${Math.ceil(estimateS / 60)} min). ${machine.nproc} cores, ${machine.cpuModel}, ` +
      `Node ${machine.node}, nginx ${machine.nginx}.`);

    const a = WORKLOADS.find((workload) => workload.id === 'a');
    const loopLimit = a === undefined ? Number.NaN : closedLoopLimit(a.profile, INSTANCES, a.clients);
    log(`Closed-loop limit of (a) from the simulators' cost model: ${Math.round(loopLimit)} chunks/s.`);
    if (options.frontDoorRoot !== undefined) log(`The front door runs from ${options.frontDoorRoot}.`);
    if (options.entry === 'bundle') {
      // Each checkout's own bundle, as its container image would run it.
      for (const root of [options.frontDoorRoot ?? REPO_ROOT, ...(options.baselineRoot === undefined ? [] : [options.baselineRoot])]) {
        log(`Building the server bundle of ${root} (npm run build -- --target server).`);
        buildServerBundle(root);
      }
    }
    const nodeProxy = options.workloads.some((workload) => setupsOf(false, workload).includes('nodeProxy'))
      ? await buildNodeProxySetup(tempDir, log)
      : undefined;
    if (options.baselineRoot !== undefined) log(`The baseline front door runs from ${options.baselineRoot} (${readRevision(options.baselineRoot)}).`);
    const cells: Cell[] = [];
    const profiles: ProfileRecord[] = [];
    for (const workload of options.workloads) {
      log(`\n${workload.title}`);
      const run = await runWorkload(workload, {
        registry, nginx, tempDir, durationS: options.durationS, warmupS: options.warmupS,
        quietWaitMs: options.quietWaitS * MS_PER_S, log,
        cpuProfile: options.cpuProfile,
        profileDir: options.writeResults ? { dir: join(RESULTS_DIR, 'profiles'), name: options.resultsName } : undefined,
        frontDoorRoot: options.frontDoorRoot,
        baselineRoot: options.baselineRoot,
        entry: options.entry,
        nodeProxy,
      });
      cells.push(...run.cells);
      profiles.push(...run.profiles);
    }

    const limit = physicalLimit('cpu', INSTANCES);
    const report: BenchReport = {
      date,
      revision: readRevision(REPO_ROOT),
      machine,
      settings: { durationS: options.durationS, warmupS: options.warmupS, quietWaitS: options.quietWaitS },
      physicalLimit: limit,
      closedLoopLimit: loopLimit,
      frontDoorRoot: options.frontDoorRoot,
      entry: options.entry,
      baseline: options.baselineRoot === undefined ? undefined : { root: options.baselineRoot, revision: readRevision(options.baselineRoot) },
      profiles,
      workloads: options.workloads,
      cells,
      overhead: overheadVsDirect(cells, 'd-moderate'),
      targets: checkTargets({ cells, physicalLimit: limit, closedLoopLimit: loopLimit }),
      nginxWorkers: NGINX_WORKER_PROCESSES,
      machineBusyBefore: busyBefore,
      runSeconds: (performance.now() - startedAt) / MS_PER_S,
    };
    const markdown = renderReport(report);
    log(`\n${markdown}`);
    if (options.writeResults) {
      const written = await writeReportFiles(RESULTS_DIR, options.resultsName, { json: report, markdown });
      log(`Results written to ${relative(REPO_ROOT, written.markdown ?? '')} and ${relative(REPO_ROOT, written.json ?? '')}.`);
    } else {
      log('Results not written (a --quick or --only run; add --write to write them).');
    }
  } finally {
    await cleanUp();
  }
}

const registry = new ProcessRegistry();
/** This run's temporary directory (nginx prefixes and logs), removed however the run ends. */
const tempDir = await mkdtemp(join(tmpdir(), 'embed-bench-'));

async function cleanUp(): Promise<void> {
  await registry.stopAll();
  await rm(tempDir, { recursive: true, force: true });
}

// Nothing can be awaited in 'exit': signal every child so none outlives the run.
process.on('exit', () => {
  registry.signalAllNow();
  rmSync(tempDir, { recursive: true, force: true });
});
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    log(`\n${signal}: stopping every benchmark process...`);
    void cleanUp().finally(() => process.exit(EXIT_ON_SIGNAL[signal]));
  });
}

main(registry, tempDir).catch((error: unknown) => {
  process.stderr.write(`benchmark failed: ${error instanceof Error ? error.stack : String(error)}\n`);
  void cleanUp().finally(() => process.exit(EXIT_FAILURE));
});
