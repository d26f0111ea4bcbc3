/**
 * One workload against every setup: fresh simulators (so no queue carries over), nginx and the
 * front door started over them, one load-generator run per setup, everything stopped afterwards.
 * A setup that cannot start is skipped with its reason; the others still run.
 */
import { mkdir, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { ProcessRegistry, TrackedProcess } from './child-processes';
import { cutToWindow, monotonicNowUs, readProfile, writeProfileGz, type ProfileWindow } from './cpu-profile';
import { summarizeProfile, type ProfileSummary } from './cpu-profile-summary';
import { type FrontDoorEntry, startFrontDoor } from './front-door-process';
import { runLoadGenerator } from './load-generator-process';
import { LOAD_PLAN_DEFAULTS } from './load-plan';
import type { NginxAvailability } from './nginx-process';
import { startNginx } from './nginx-process';
import { type NodeProxyBuild, startPlainNodeProxy } from './plain-node-proxy-process';
import { CpuMeter, withChildren } from './process-cpu';
import { cpuPerRequestUs, formatCpu } from './report-table';
import { waitForQuietMachine } from './quiet-machine';
import { startSimulators } from './simulator-process';
import { INSTANCES, NO_CPU, setupsOf, SETUPS, type Cell, type CellCpu, type SetupId, type Workload, type WorkloadId } from './workloads';

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
  /** Workloads under which the front door runs with `--cpu-prof`. */
  readonly cpuProfile: readonly WorkloadId[];
  /** Where a profile is saved gzipped (`NAME-WORKLOAD.cpuprofile.gz`); undefined: summarised only. */
  readonly profileDir: { readonly dir: string; readonly name: string } | undefined;
  /** Another checkout to run the front door from; undefined: this one. */
  readonly frontDoorRoot: string | undefined;
  /** A checkout whose front door is measured too, as the `baseline` setup. */
  readonly baselineRoot: string | undefined;
  /** How the front doors run (their bundles built beforehand when `bundle`). */
  readonly entry: FrontDoorEntry;
  /** The plain Node proxy's bundle, built once for the run when a workload runs it. */
  readonly nodeProxy: NodeProxyBuild | undefined;
}

/** The front door's CPU profile over its cell's window, summarised. */
export interface ProfileRecord {
  readonly workload: WorkloadId;
  /** This checkout's front door, or the baseline's. */
  readonly setup: 'frontDoor' | 'baseline';
  readonly summary: ProfileSummary;
  /** Requests the front door answered in the window. */
  readonly requests: number | undefined;
  /** The saved file, relative to the results directory, and its size; undefined when not saved. */
  readonly file: string | undefined;
  readonly bytes: number | undefined;
}

/** What one workload produced. */
export interface WorkloadRun {
  readonly cells: Cell[];
  readonly profiles: readonly ProfileRecord[];
}

/** A setup ready to take load, or why it is not. */
type Reachable =
  | {
    readonly urls: readonly string[];
    readonly proxy: (() => readonly number[]) | undefined;
    /** A Node proxy's process, whose main thread is metered apart. */
    readonly nodeProcess?: () => number;
  }
  | { readonly skipped: string };

const errorText = (error: unknown): string => (error instanceof Error ? error.message : String(error));
const firstLine = (text: string): string => text.split('\n')[0] ?? text;

/** The front doors a run may profile. */
type ProfiledSetup = 'frontDoor' | 'baseline';
const PROFILED_SETUPS: readonly ProfiledSetup[] = ['frontDoor', 'baseline'];

/** Where each profiled front door writes its profile, and the window of its cell once measured. */
interface Profiling {
  readonly dir: string;
  readonly windows: Partial<Record<ProfiledSetup, ProfileWindow>>;
}

/** Runs `workload` against every setup and returns one cell per setup (and the profiles, if asked). */
export async function runWorkload(workload: Workload, context: WorkloadContext): Promise<WorkloadRun> {
  const profiling: Profiling | undefined = context.cpuProfile.includes(workload.id)
    ? { dir: join(context.tempDir, `profile-${workload.id}`), windows: {} }
    : undefined;
  const cells = await runSetups(workload, context, profiling);
  const profiles: ProfileRecord[] = [];
  for (const setup of PROFILED_SETUPS) {
    const window = profiling?.windows[setup];
    if (profiling === undefined || window === undefined) continue;
    try {
      profiles.push(await saveProfile(workload.id, setup, join(profiling.dir, setup), window, cells, context));
    } catch (error) {
      context.log(`  the ${SETUPS[setup]} profile could not be read: ${errorText(error)}`);
    }
  }
  return { cells, profiles };
}

/** Reads the profile a front door wrote at exit, cuts it to its cell's window, saves and summarises it. */
async function saveProfile(
  workload: WorkloadId, setup: ProfiledSetup, dir: string, window: ProfileWindow, cells: readonly Cell[], context: WorkloadContext,
): Promise<ProfileRecord> {
  const file = (await readdir(dir)).find((name) => name.endsWith('.cpuprofile'));
  if (file === undefined) throw new Error('the front door wrote no .cpuprofile (did it exit cleanly?)');
  const profile = cutToWindow(await readProfile(join(dir, file)), window);
  const result = cells.find((cell) => cell.setup === setup)?.result;
  const requests = result === undefined ? undefined : Math.round(result.requestsPerS * ((window.endUs - window.startUs) / 1e6));
  let saved: string | undefined;
  let bytes: number | undefined;
  if (context.profileDir !== undefined) {
    await mkdir(context.profileDir.dir, { recursive: true });
    const name = `${context.profileDir.name}-${workload}${setup === 'baseline' ? '-baseline' : ''}.cpuprofile.gz`;
    saved = `profiles/${name}`;
    bytes = await writeProfileGz(join(context.profileDir.dir, name), profile);
  }
  return { workload, setup, summary: summarizeProfile(profile), requests, file: saved, bytes };
}

/** Starts the plain Node proxy over the instances as the `nodeProxy` target. */
async function startNodeProxySetup(
  context: WorkloadContext, backends: readonly string[], predictionsPath: string, started: TrackedProcess[],
): Promise<Reachable> {
  const build = context.nodeProxy;
  if (build === undefined || 'skipped' in build) return { skipped: build?.skipped ?? 'not built' };
  try {
    const proxy = await startPlainNodeProxy(context.registry, build.bundle, backends);
    started.push(proxy.process);
    return { urls: [`${proxy.url}${predictionsPath}`], proxy: () => [proxy.process.pid], nodeProcess: () => proxy.process.pid };
  } catch (error) {
    context.log(`  the ${SETUPS.nodeProxy} did not start: ${errorText(error)}`);
    return { skipped: `did not start: ${firstLine(errorText(error))}` };
  }
}

/** Starts a front door (this checkout's, or the baseline's) as the `setup` target. */
async function startFrontDoorSetup(
  setup: ProfiledSetup, repoRoot: string | undefined, backends: readonly string[], predictionsPath: string,
  context: WorkloadContext, profiling: Profiling | undefined, started: TrackedProcess[],
): Promise<Reachable> {
  try {
    const dir = profiling === undefined ? undefined : join(profiling.dir, setup);
    if (dir !== undefined) await mkdir(dir, { recursive: true });
    const frontDoor = await startFrontDoor(context.registry, backends, {
      ...(repoRoot === undefined ? {} : { repoRoot }),
      ...(dir === undefined ? {} : { nodeArgs: ['--cpu-prof', `--cpu-prof-dir=${dir}`] }),
      entry: context.entry,
    });
    started.push(frontDoor.process);
    return { urls: [`${frontDoor.url}${predictionsPath}`], proxy: () => [frontDoor.process.pid], nodeProcess: () => frontDoor.process.pid };
  } catch (error) {
    context.log(`  the ${SETUPS[setup]} did not start: ${errorText(error)}`);
    return { skipped: `the front door did not start: ${firstLine(errorText(error))}` };
  }
}

async function runSetups(workload: Workload, context: WorkloadContext, profiling: Profiling | undefined): Promise<Cell[]> {
  const { registry, log } = context;
  const setups = setupsOf(context.baselineRoot !== undefined, workload);
  const started: TrackedProcess[] = [];
  const skipAll = (reason: string): Cell[] => setups.map((setup) => ({
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

    if (setups.includes('nodeProxy')) reach.nodeProxy = await startNodeProxySetup(context, simulators.urls, predictionsPath, started);
    reach.frontDoor = await startFrontDoorSetup('frontDoor', context.frontDoorRoot, simulators.urls, predictionsPath, context, profiling, started);
    if (context.baselineRoot !== undefined) {
      reach.baseline = await startFrontDoorSetup('baseline', context.baselineRoot, simulators.urls, predictionsPath, context, profiling, started);
    }

    const cells: Cell[] = [];
    for (const setup of setups) {
      const target = reach[setup] ?? { skipped: 'not set up' };
      const onWindow = profiling !== undefined && (setup === 'frontDoor' || setup === 'baseline')
        ? (window: ProfileWindow): void => {
          profiling.windows[setup] = window;
        }
        : undefined;
      cells.push(await runCell(workload, setup, target, simulators.process.pid, context, onWindow));
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
  onWindow?: (window: ProfileWindow) => void,
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
  const mainThreadMeter = target.nodeProcess === undefined ? undefined : CpuMeter.ofMainThread(target.nodeProcess);
  const machineMeter = CpuMeter.ofMachine();
  let windowStartUs = 0;
  const windowMeter = {
    start: () => {
      windowStartUs = monotonicNowUs();
    },
    stop: () => {
      onWindow?.({ startUs: windowStartUs, endUs: monotonicNowUs() });
    },
  };
  try {
    const result = await runLoadGenerator(context.registry, {
      ...LOAD_PLAN_DEFAULTS,
      urls: target.urls,
      clients: workload.clients,
      textsPerRequest: workload.textsPerRequest,
      intervalMs: workload.intervalMs,
      durationS: context.durationS,
      warmupS: Math.max(context.warmupS, workload.minWarmupS ?? 0),
    }, [simulatorMeter, machineMeter, windowMeter, ...[proxyMeter, mainThreadMeter].filter((meter) => meter !== undefined)]);
    const cpu: CellCpu = {
      loadGenerator: result.cpuPercent,
      simulators: simulatorMeter.percent(),
      proxy: proxyMeter?.percent(),
      proxyMainThread: mainThreadMeter?.percent(),
      machine: machineMeter.percent(),
    };
    context.log(`${label} ${Math.round(result.chunksPerS)} chunks/s, ${Math.round(result.requestsPerS)} req/s, ` +
      `p50 ${result.latencyMs.p50.toFixed(2)} ms, p99 ${result.latencyMs.p99.toFixed(2)} ms, ` +
      `${result.errorCount + result.unfinished} errors; CPU ${formatCpu(cpu)}` +
      `${cpu.proxy === undefined ? '' : `; proxy ${Math.round(cpuPerRequestUs(cpu.proxy, result.requestsPerS) ?? 0)} µs/req`}` +
      `${cpu.proxyMainThread === undefined ? '' : ` (main thread ${Math.round(cpuPerRequestUs(cpu.proxyMainThread, result.requestsPerS) ?? 0)})`}`);
    return { workload: workload.id, setup, result, skipped: undefined, cpu };
  } catch (error) {
    context.log(`${label} failed: ${errorText(error)}`);
    return {
      workload: workload.id, setup, result: undefined, skipped: `load generator failed: ${firstLine(errorText(error))}`,
      cpu: NO_CPU,
    };
  }
}
