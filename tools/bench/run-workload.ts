/**
 * One workload against every setup: fresh simulators (so no queue carries over), nginx and the
 * front door started over them, one load-generator run per setup, everything stopped afterwards.
 * A setup that cannot start is skipped with its reason; the others still run.
 */
import { join } from 'node:path';
import type { ProcessRegistry, TrackedProcess } from './child-processes';
import { startFrontDoor } from './front-door-process';
import { runLoadGenerator } from './load-generator-process';
import { LOAD_PLAN_DEFAULTS } from './load-plan';
import type { NginxAvailability } from './nginx-process';
import { startNginx } from './nginx-process';
import { CpuMeter, withChildren } from './process-cpu';
import { formatCpu } from './report-table';
import { waitForQuietMachine } from './quiet-machine';
import { startSimulators } from './simulator-process';
import { INSTANCES, NO_CPU, SETUP_IDS, SETUPS, type Cell, type CellCpu, type SetupId, type Workload } from './workloads';

/** What every workload shares. */
export interface WorkloadContext {
  readonly registry: ProcessRegistry;
  readonly nginx: NginxAvailability;
  /** A temporary directory of this run (nginx prefixes go under it). */
  readonly tempDir: string;
  readonly durationS: number;
  readonly warmupS: number;
  /** Before each cell, how long to wait at most for other work on the machine to finish. */
  readonly quietWaitMs: number;
  readonly log: (line: string) => void;
}

/** A setup ready to take load, or why it is not. */
type Reachable =
  | { readonly urls: readonly string[]; readonly proxy: (() => readonly number[]) | undefined }
  | { readonly skipped: string };

const errorText = (error: unknown): string => (error instanceof Error ? error.message : String(error));
const firstLine = (text: string): string => text.split('\n')[0] ?? text;

/** Runs `workload` against every setup and returns one cell per setup. */
export async function runWorkload(workload: Workload, context: WorkloadContext): Promise<Cell[]> {
  const { registry, log } = context;
  const started: TrackedProcess[] = [];
  const skipAll = (reason: string): Cell[] => SETUP_IDS.map((setup) => ({
    workload: workload.id, setup, result: undefined, skipped: reason,
    cpu: NO_CPU,
  }));
  try {
    let simulators;
    try {
      simulators = await startSimulators(registry, workload.profile, INSTANCES);
    } catch (error) {
      log(`  simulators did not start: ${errorText(error)}`);
      return skipAll(`simulators did not start: ${firstLine(errorText(error))}`);
    }
    started.push(simulators.process);
    const predictionsPath = new URL(simulators.urls[0] ?? '').pathname;
    const reach: Partial<Record<SetupId, Reachable>> = {
      direct: { urls: simulators.urls.slice(0, 1), proxy: undefined },
      pool: { urls: simulators.urls, proxy: undefined },
    };

    if (context.nginx.available) {
      try {
        const nginx = await startNginx(registry, context.nginx.binary, simulators.urls, join(context.tempDir, `nginx-${workload.id}`));
        started.push(nginx.process);
        reach.nginx = { urls: [`${nginx.url}${predictionsPath}`], proxy: () => withChildren(nginx.process.pid) };
      } catch (error) {
        log(`  nginx did not start: ${errorText(error)}`);
        reach.nginx = { skipped: `nginx did not start: ${firstLine(errorText(error))}` };
      }
    } else {
      reach.nginx = { skipped: context.nginx.reason };
    }

    try {
      const frontDoor = await startFrontDoor(registry, simulators.urls);
      started.push(frontDoor.process);
      reach.frontDoor = { urls: [`${frontDoor.url}${predictionsPath}`], proxy: () => [frontDoor.process.pid] };
    } catch (error) {
      log(`  the front door did not start: ${errorText(error)}`);
      reach.frontDoor = { skipped: `the front door did not start: ${firstLine(errorText(error))}` };
    }

    const cells: Cell[] = [];
    for (const setup of SETUP_IDS) {
      const target = reach[setup] ?? { skipped: 'not set up' };
      cells.push(await runCell(workload, setup, target, simulators.process.pid, context));
    }
    return cells;
  } finally {
    await Promise.all(started.map((process) => registry.stop(process)));
  }
}

async function runCell(
  workload: Workload,
  setup: SetupId,
  target: Reachable,
  simulatorPid: number,
  context: WorkloadContext,
): Promise<Cell> {
  const label = `  ${SETUPS[setup].padEnd(22)}`;
  if ('skipped' in target) {
    context.log(`${label} skipped: ${firstLine(target.skipped)}`);
    return {
      workload: workload.id, setup, result: undefined, skipped: target.skipped,
      cpu: NO_CPU,
    };
  }
  await waitForQuietMachine(context.quietWaitMs, context.log);
  const simulatorMeter = CpuMeter.ofProcesses(() => [simulatorPid]);
  const proxyPids = target.proxy;
  const proxyMeter = proxyPids === undefined ? undefined : CpuMeter.ofProcesses(proxyPids);
  const machineMeter = CpuMeter.ofMachine();
  try {
    const result = await runLoadGenerator(context.registry, {
      ...LOAD_PLAN_DEFAULTS,
      urls: target.urls,
      clients: workload.clients,
      textsPerRequest: workload.textsPerRequest,
      intervalMs: workload.intervalMs,
      durationS: context.durationS,
      warmupS: Math.max(context.warmupS, workload.minWarmupS ?? 0),
    }, [simulatorMeter, machineMeter, ...(proxyMeter === undefined ? [] : [proxyMeter])]);
    const cpu: CellCpu = {
      loadGenerator: result.cpuPercent,
      simulators: simulatorMeter.percent(),
      proxy: proxyMeter?.percent(),
      machine: machineMeter.percent(),
    };
    context.log(`${label} ${Math.round(result.chunksPerS)} chunks/s, ${Math.round(result.requestsPerS)} req/s, ` +
      `p50 ${result.latencyMs.p50.toFixed(2)} ms, p99 ${result.latencyMs.p99.toFixed(2)} ms, ` +
      `${result.errorCount + result.unfinished} errors; CPU ${formatCpu(cpu)}`);
    return { workload: workload.id, setup, result, skipped: undefined, cpu };
  } catch (error) {
    context.log(`${label} failed: ${errorText(error)}`);
    return {
      workload: workload.id, setup, result: undefined, skipped: `load generator failed: ${firstLine(errorText(error))}`,
      cpu: NO_CPU,
    };
  }
}
