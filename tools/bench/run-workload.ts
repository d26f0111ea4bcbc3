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
import { startFrontDoor } from './front-door-process';
import { runLoadGenerator } from './load-generator-process';
import { LOAD_PLAN_DEFAULTS } from './load-plan';
import type { NginxAvailability } from './nginx-process';
import { startNginx } from './nginx-process';
import { CpuMeter, withChildren } from './process-cpu';
import { cpuPerRequestUs, formatCpu } from './report-table';
import { waitForQuietMachine } from './quiet-machine';
import { startSimulators } from './simulator-process';
import { INSTANCES, NO_CPU, SETUP_IDS, SETUPS, type Cell, type CellCpu, type SetupId, type Workload, type WorkloadId } from './workloads';

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
}

/** The front door's CPU profile over its cell's window, summarised. */
export interface ProfileRecord {
  readonly workload: WorkloadId;
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
  readonly profile: ProfileRecord | undefined;
}

/** A setup ready to take load, or why it is not. */
type Reachable =
  | { readonly urls: readonly string[]; readonly proxy: (() => readonly number[]) | undefined }
  | { readonly skipped: string };

const errorText = (error: unknown): string => (error instanceof Error ? error.message : String(error));
const firstLine = (text: string): string => text.split('\n')[0] ?? text;

/** Runs `workload` against every setup and returns one cell per setup (and the profile, if asked). */
export async function runWorkload(workload: Workload, context: WorkloadContext): Promise<WorkloadRun> {
  const profiling = context.cpuProfile.includes(workload.id);
  const profileTemp = join(context.tempDir, `profile-${workload.id}`);
  if (profiling) await mkdir(profileTemp, { recursive: true });
  const window: { value: ProfileWindow | undefined } = { value: undefined };
  const cells = await runSetups(workload, context, profiling ? { dir: profileTemp, window } : undefined);
  if (!profiling || window.value === undefined) return { cells, profile: undefined };
  try {
    return { cells, profile: await saveProfile(workload.id, profileTemp, window.value, cells, context) };
  } catch (error) {
    context.log(`  the front door's profile could not be read: ${errorText(error)}`);
    return { cells, profile: undefined };
  }
}

/** Reads the profile the front door wrote at exit, cuts it to its cell's window, saves and summarises it. */
async function saveProfile(
  workload: WorkloadId, dir: string, window: ProfileWindow, cells: readonly Cell[], context: WorkloadContext,
): Promise<ProfileRecord> {
  const file = (await readdir(dir)).find((name) => name.endsWith('.cpuprofile'));
  if (file === undefined) throw new Error('the front door wrote no .cpuprofile (did it exit cleanly?)');
  const profile = cutToWindow(await readProfile(join(dir, file)), window);
  const result = cells.find((cell) => cell.setup === 'frontDoor')?.result;
  const requests = result === undefined ? undefined : Math.round(result.requestsPerS * ((window.endUs - window.startUs) / 1e6));
  let saved: string | undefined;
  let bytes: number | undefined;
  if (context.profileDir !== undefined) {
    await mkdir(context.profileDir.dir, { recursive: true });
    saved = `profiles/${context.profileDir.name}-${workload}.cpuprofile.gz`;
    bytes = await writeProfileGz(join(context.profileDir.dir, `${context.profileDir.name}-${workload}.cpuprofile.gz`), profile);
  }
  return { workload, summary: summarizeProfile(profile), requests, file: saved, bytes };
}

async function runSetups(
  workload: Workload,
  context: WorkloadContext,
  profile: { readonly dir: string; readonly window: { value: ProfileWindow | undefined } } | undefined,
): Promise<Cell[]> {
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
      const frontDoor = await startFrontDoor(registry, simulators.urls, {
        ...(context.frontDoorRoot === undefined ? {} : { repoRoot: context.frontDoorRoot }),
        ...(profile === undefined ? {} : { nodeArgs: ['--cpu-prof', `--cpu-prof-dir=${profile.dir}`] }),
      });
      started.push(frontDoor.process);
      reach.frontDoor = { urls: [`${frontDoor.url}${predictionsPath}`], proxy: () => [frontDoor.process.pid] };
    } catch (error) {
      log(`  the front door did not start: ${errorText(error)}`);
      reach.frontDoor = { skipped: `the front door did not start: ${firstLine(errorText(error))}` };
    }

    const cells: Cell[] = [];
    for (const setup of SETUP_IDS) {
      const target = reach[setup] ?? { skipped: 'not set up' };
      const window = setup === 'frontDoor' && profile !== undefined ? profile.window : undefined;
      cells.push(await runCell(workload, setup, target, simulators.process.pid, context, window));
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
  window?: { value: ProfileWindow | undefined },
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
  let windowStartUs = 0;
  const windowMeter = {
    start: () => {
      windowStartUs = monotonicNowUs();
    },
    stop: () => {
      if (window !== undefined) window.value = { startUs: windowStartUs, endUs: monotonicNowUs() };
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
    }, [simulatorMeter, machineMeter, windowMeter, ...(proxyMeter === undefined ? [] : [proxyMeter])]);
    const cpu: CellCpu = {
      loadGenerator: result.cpuPercent,
      simulators: simulatorMeter.percent(),
      proxy: proxyMeter?.percent(),
      machine: machineMeter.percent(),
    };
    context.log(`${label} ${Math.round(result.chunksPerS)} chunks/s, ${Math.round(result.requestsPerS)} req/s, ` +
      `p50 ${result.latencyMs.p50.toFixed(2)} ms, p99 ${result.latencyMs.p99.toFixed(2)} ms, ` +
      `${result.errorCount + result.unfinished} errors; CPU ${formatCpu(cpu)}` +
      `${cpu.proxy === undefined ? '' : `; proxy ${Math.round(cpuPerRequestUs(cpu.proxy, result.requestsPerS) ?? 0)} µs/req`}`);
    return { workload: workload.id, setup, result, skipped: undefined, cpu };
  } catch (error) {
    context.log(`${label} failed: ${errorText(error)}`);
    return {
      workload: workload.id, setup, result: undefined, skipped: `load generator failed: ${firstLine(errorText(error))}`,
      cpu: NO_CPU,
    };
  }
}
