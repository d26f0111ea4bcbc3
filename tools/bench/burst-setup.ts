/**
 * One setup of the burst benchmark: fresh simulators (one `cpu` instance, and one `gpu` instance
 * for the GPU tier), the front door over them, one open-loop load-generator run through every
 * phase, the front door's counters read at the end, and everything stopped afterwards.
 */
import type { ProcessRegistry, TrackedProcess } from './child-processes';
import { startCpuSampler, type CpuSample } from './burst-cpu';
import type { RequestRecord } from './burst-record';
import type { BurstCpu, LoopDelay } from './burst-report';
import type { BurstSetupId } from './burst-targets';
import { startFrontDoor } from './front-door-process';
import { runLoadGenerator } from './load-generator-process';
import type { LoadResult } from './load-loop';
import { LOAD_PLAN_DEFAULTS, type LoadPlan, type RateStep } from './load-plan';
import { CpuMeter, machineBusySeconds } from './process-cpu';
import { startSimulators } from './simulator-process';

/** What one setup's run needs. */
export interface BurstSetupPlan {
  readonly setup: BurstSetupId;
  readonly steps: readonly RateStep[];
  readonly warmupS: number;
  readonly measuredS: number;
  readonly textsPerRequest: number;
  /** The front door's route, e.g. `/embed` (TEI's dialect). */
  readonly route: string;
  readonly connections: number;
  readonly clientTimeoutMs: number;
  readonly env: Readonly<Record<string, string>>;
  /** Ends of the measured phases, seconds after measuring starts: the front door's loop delay is read at each. */
  readonly phaseEndsS: readonly number[];
}

/** What one setup's run measured. */
export interface BurstSetupRun {
  readonly records: readonly RequestRecord[];
  readonly cpu: BurstCpu;
  readonly peakInFlight: number | undefined;
  readonly counters: readonly string[];
  /** CPU through the run, and when measuring started (performance.now()), to cut it into phases. */
  readonly cpuSamples: readonly CpuSample[];
  readonly windowStartAt: number | undefined;
  /** One per measured phase. */
  readonly loopDelay: readonly LoopDelay[];
}

/** The machine's meter, which also notes when the load generator opened its window. */
class WindowStartMeter extends CpuMeter {
  startedAt: number | undefined;

  constructor(private readonly onStart: () => void) {
    super(machineBusySeconds);
  }

  override start(): void {
    super.start();
    this.startedAt = performance.now();
    this.onStart();
  }
}

/** Prometheus counters worth quoting: where requests went and why some were refused. */
const COUNTER_NAMES = ['efd_overflow_total', 'efd_rejected_requests_total'] as const;
/** After the client timeout, time for the last answers to arrive before the generator cuts them off. */
const DRAIN_MARGIN_MS = 5_000;
const METRICS_TIMEOUT_MS = 5_000;
const LOOP_DELAY = { p99: 'efd_nodejs_eventloop_lag_p99_seconds', max: 'efd_nodejs_eventloop_lag_max_seconds' } as const;
const MS_PER_S = 1_000;

/** The value of an unlabelled sample `name` in a Prometheus text exposition. */
export function sampleValue(exposition: string, name: string): number | undefined {
  const line = exposition.split('\n').find((entry) => entry.startsWith(`${name} `));
  const value = line === undefined ? Number.NaN : Number(line.slice(name.length + 1));
  return Number.isFinite(value) ? value : undefined;
}

async function readMetrics(frontDoorUrl: string): Promise<string> {
  const response = await fetch(`${frontDoorUrl}/metrics`, { signal: AbortSignal.timeout(METRICS_TIMEOUT_MS) });
  if (!response.ok) throw new Error(`/metrics answered ${response.status}`);
  return response.text();
}

/** Reads the loop delay since the last read (which resets it); undefined figures when unreadable. */
async function readLoopDelay(frontDoorUrl: string): Promise<LoopDelay> {
  try {
    const exposition = await readMetrics(frontDoorUrl);
    const ms = (name: string): number | undefined => {
      const seconds = sampleValue(exposition, name);
      return seconds === undefined ? undefined : seconds * MS_PER_S;
    };
    return { p99Ms: ms(LOOP_DELAY.p99), maxMs: ms(LOOP_DELAY.max) };
  } catch {
    return { p99Ms: undefined, maxMs: undefined };
  }
}

/** The sample lines of `names` in a Prometheus text exposition whose value is above 0. */
export function nonZeroCounters(exposition: string, names: readonly string[] = COUNTER_NAMES): string[] {
  return exposition.split('\n').filter((line) => {
    if (line.startsWith('#')) return false;
    const name = /^[a-zA-Z_:][a-zA-Z0-9_:]*/.exec(line)?.[0];
    const value = Number(line.slice(line.lastIndexOf(' ') + 1));
    return name !== undefined && names.includes(name) && value > 0;
  });
}

async function readCounters(frontDoorUrl: string): Promise<string[]> {
  try {
    return nonZeroCounters(await readMetrics(frontDoorUrl));
  } catch (error) {
    return [`/metrics unreadable: ${error instanceof Error ? error.message : String(error)}`];
  }
}

/** Runs one setup through every phase; every process it started is stopped before it returns. */
export async function runBurstSetup(registry: ProcessRegistry, plan: BurstSetupPlan): Promise<BurstSetupRun> {
  const started: TrackedProcess[] = [];
  try {
    const cpuTier = await startSimulators(registry, 'cpu', 1);
    started.push(cpuTier.process);
    const gpuTier = plan.setup === 'withGpu' ? await startSimulators(registry, 'gpu', 1) : undefined;
    if (gpuTier !== undefined) started.push(gpuTier.process);
    const frontDoor = await startFrontDoor(registry, cpuTier.urls, { gpuBackends: gpuTier?.urls, env: plan.env });
    started.push(frontDoor.process);

    const simulatorPids = started.filter((process) => process !== frontDoor.process).map((process) => process.pid);
    const frontDoorMeter = CpuMeter.ofProcesses(() => [frontDoor.process.pid]);
    const simulatorMeter = CpuMeter.ofProcesses(() => simulatorPids);
    // Read once as measuring starts (resetting what warm-up left), then at the end of each phase.
    const loopReads: Promise<LoopDelay>[] = [];
    const loopTimers: NodeJS.Timeout[] = [];
    const machineMeter = new WindowStartMeter(() => {
      void readLoopDelay(frontDoor.url);
      for (const endS of plan.phaseEndsS) {
        loopTimers.push(setTimeout(() => loopReads.push(readLoopDelay(frontDoor.url)), endS * MS_PER_S));
      }
    });
    const load: LoadPlan = {
      ...LOAD_PLAN_DEFAULTS,
      urls: [`${frontDoor.url}${plan.route}`],
      clients: plan.connections,
      textsPerRequest: plan.textsPerRequest,
      warmupS: plan.warmupS,
      durationS: plan.measuredS,
      rateSteps: plan.steps,
      dialect: 'tei',
      record: true,
      timeoutMs: plan.clientTimeoutMs,
      drainMs: plan.clientTimeoutMs + DRAIN_MARGIN_MS,
    };
    const sampler = startCpuSampler(frontDoor.process.pid, simulatorPids);
    let result: LoadResult;
    let cpuSamples: CpuSample[];
    try {
      result = await runLoadGenerator(registry, load, [frontDoorMeter, simulatorMeter, machineMeter]);
    } finally {
      cpuSamples = sampler.stop();
      for (const timer of loopTimers) clearTimeout(timer);
    }
    // The last phase may end, by this clock, a moment after the generator has answered.
    while (loopReads.length < plan.phaseEndsS.length) loopReads.push(readLoopDelay(frontDoor.url));
    return {
      records: result.records ?? [],
      cpu: {
        frontDoor: frontDoorMeter.percent(),
        simulators: simulatorMeter.percent(),
        loadGenerator: result.cpuPercent,
        machine: machineMeter.percent(),
      },
      peakInFlight: result.peakInFlight,
      counters: await readCounters(frontDoor.url),
      cpuSamples,
      windowStartAt: machineMeter.startedAt,
      loopDelay: await Promise.all(loopReads),
    };
  } finally {
    await Promise.all(started.map((process) => registry.stop(process)));
  }
}
