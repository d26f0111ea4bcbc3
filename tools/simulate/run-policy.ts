/**
 * Runs one policy against the shared arrivals: the event loop, the routing of each request with
 * the production OverflowPolicy and admission rules, the autoscalers' ticks and the production
 * warm-up planner every minute. Deterministic: the only randomness is the cold starts, drawn from
 * a stream seeded per policy and tier.
 */
import { Tier } from '../../shared/core/tier';
import { OVERFLOW_DEFAULTS } from '../../shared/config/overflow-config';
import { admissionRefusal } from '../../shared/dispatch/admission';
import { OverflowPolicy } from '../../shared/dispatch/overflow-policy';
import type { WarmupMarker } from '../../shared/scaling/scaler';
import { OverflowReason } from '../../shared/core/dispatch-events';
import { isScalingAction, plan } from '../../shared/warmup/plan';
import type { Arrivals } from './arrivals';
import { type Autoscaler, createAutoscaler } from './autoscalers';
import { EventQueue } from './event-queue';
import { LambdaSim } from './lambda-sim';
import { LatencyBook, type PolicyResult, type SeriesPoint } from './metrics';
import { type Rng, deriveRng, uniform } from './rng';
import type { PolicySpec, Scenario } from './scenario-types';
import { type Batch, InstanceState, TierSim } from './tier-sim';

const EventKind = { batchDone: 0, instanceWarm: 1, scaleTick: 2, planTick: 3, sample: 4 } as const;
const TIERS = [Tier.cpu, Tier.gpu] as const;
const SECOND_MS = 1_000;
const HOUR_MS = 3_600_000;
/** The warm-up runs as a scheduled job about once a minute (functions/warmup). */
const PLANNER_INTERVAL_MS = 60_000;
/** Overflow as production reads it with no OVERFLOW_* keys set (a policy may set the two waits). */
const OVERFLOW_SETTINGS = { ...OVERFLOW_DEFAULTS, gpuBudgetRatio: OVERFLOW_DEFAULTS.gpuBudgetPercent / 100 };

interface TierRuntime {
  readonly tier: Tier;
  readonly sim: TierSim;
  readonly scaler: Autoscaler;
  /** Set when a Lambda function takes the overflow tier's place (then `sim` is this one). */
  readonly lambda: LambdaSim | undefined;
  readonly coldRng: Rng;
  marker: WarmupMarker | undefined;
  lastBusyMs: number;
  lastWarmMs: number;
  waitSum: number;
  waitCount: number;
}

export interface RunInput {
  readonly scenario: Scenario;
  readonly arrivals: Arrivals;
  readonly policy: PolicySpec;
  readonly seed: number;
  /** Warm-up lead (ms) from the production leadTimeMs. */
  readonly leadMs: number;
}

/** Simulates `policy` over the scenario's span. */
export function runPolicy({ scenario, arrivals, policy, seed, leadMs }: RunInput): PolicyResult {
  const { times, texts } = arrivals;
  const requests = times.length;
  const remaining = Int32Array.from(texts);
  const book = new LatencyBook(requests);
  const events = new EventQueue();
  const batches = new Map<number, Batch>();
  let nextBatchId = 0;
  const overflow = policy.overflow
    ? new OverflowPolicy({ ...OVERFLOW_SETTINGS, spillWaitMs: policy.overflowWaitMs, resumeWaitMs: policy.overflowResumeWaitMs })
    : undefined;
  const endMs = scenario.durationMs;

  const tiers = new Map<Tier, TierRuntime>();
  for (const tier of TIERS) {
    const spec = policy.scaling[tier];
    if (spec === undefined) continue;
    const runtime: TierRuntime = {
      tier, sim: new TierSim(scenario.instances[tier], texts), scaler: createAutoscaler(spec), lambda: undefined,
      coldRng: deriveRng(seed, `cold-start/${policy.name}/${tier}`), marker: undefined,
      lastBusyMs: 0, lastWarmMs: 0, waitSum: 0, waitCount: 0,
    };
    // The day starts in steady state: the resting minimum is up and warm.
    for (let index = 0; index < runtime.scaler.min; index++) runtime.sim.launch(0, true);
    tiers.set(tier, runtime);
    if (Number.isFinite(runtime.scaler.intervalMs)) events.push(runtime.scaler.intervalMs, EventKind.scaleTick, TIERS.indexOf(tier));
  }
  if (policy.lambda !== undefined) {
    // The function is one endpoint of the overflow tier: no instances to scale, environments on demand.
    const lambda = new LambdaSim(scenario.lambda, policy.lambda, texts, deriveRng(seed, `lambda-init/${policy.name}`));
    tiers.set(Tier.gpu, {
      tier: Tier.gpu, sim: lambda, lambda, scaler: { intervalMs: Infinity, min: 0, max: policy.lambda.reservedConcurrency, decide: () => 0 },
      coldRng: deriveRng(seed, `cold-start/${policy.name}/lambda`), marker: undefined, lastBusyMs: 0, lastWarmMs: 0, waitSum: 0, waitCount: 0,
    });
  }
  const cpu = tiers.get(Tier.cpu);
  const gpu = tiers.get(Tier.gpu);
  if (policy.warmup) events.push(0, EventKind.planTick);
  events.push(scenario.sampleMs, EventKind.sample);

  const series: SeriesPoint[] = [];
  let sampleOffered = 0;
  let sampleSpilled = 0;
  let sampleRejected = 0;
  let spilled = 0;
  const instanceMsAtEnd: Record<Tier, number> = { cpu: 0, gpu: 0 };

  /** The tiers of instances (a Lambda function has environments, not instances: nothing to size or plan). */
  const instanceTiers = (): TierRuntime[] => [...tiers.values()].filter((runtime) => runtime.lambda === undefined);

  const resize = (runtime: TierRuntime, now: number, desired: number): void => {
    const active = runtime.sim.active;
    if (desired < active) runtime.sim.scaleIn(now, active - desired);
    const { min, max } = scenario.instances[runtime.tier].coldStartSeconds;
    for (let index = active; index < desired; index++) {
      const instance = runtime.sim.launch(now, false);
      events.push(now + uniform(runtime.coldRng, min, max) * SECOND_MS, EventKind.instanceWarm, TIERS.indexOf(runtime.tier), instance.id);
    }
  };

  const pump = (runtime: TierRuntime, now: number): void => {
    for (;;) {
      const oldest = runtime.sim.oldestQueued();
      const batch = runtime.sim.takeBatch(now);
      if (batch === undefined || oldest === undefined) return;
      runtime.waitSum += now - (times[oldest] ?? now);
      runtime.waitCount++;
      const id = nextBatchId++;
      batches.set(id, batch);
      events.push(now + batch.durationMs, EventKind.batchDone, TIERS.indexOf(runtime.tier), id);
    }
  };

  /** Queues the request on the tier unless its admission control answers 429. */
  const admit = (runtime: TierRuntime | undefined, request: number, now: number, deadline: number): boolean => {
    if (runtime === undefined) return false;
    const sim = runtime.sim;
    const refusal = admissionRefusal({
      tier: runtime.tier, texts: texts[request] ?? 0, queuedTexts: sim.queuedTexts, queueMaxTexts: scenario.queueMaxTexts,
      deadline, now, drainMs: (extra) => sim.drainMs(extra),
    });
    if (refusal !== undefined) return false;
    sim.enqueue(request);
    pump(runtime, now);
    return true;
  };

  const arrive = (request: number, now: number): void => {
    const size = texts[request] ?? 0;
    const deadline = now + scenario.requestTimeoutMs;
    sampleOffered += size;
    let served: boolean;
    let onGpu = false;
    const choice = overflow !== undefined && cpu !== undefined && gpu !== undefined
      ? overflow.choose(now, size, {
        warmEndpoints: cpu.sim.count(InstanceState.warm), queueWaitMs: cpu.sim.drainMs(0), backendWaitMs: 0,
        recentCapacityErrors: 0, finishMs: cpu.sim.drainMs(size),
      }, { warmEndpoints: gpu.lambda === undefined ? gpu.sim.count(InstanceState.warm) : 1, finishMs: gpu.sim.drainMs(size) })
      : undefined;
    if (choice?.tier === Tier.gpu && choice.reason !== undefined) {
      // As the dispatch embedder does: the GPU attempt gets part of the budget while the CPU tier could serve.
      const cpuCanServe = choice.reason !== OverflowReason.noWarmEndpoint;
      const gpuDeadline = cpuCanServe ? now + scenario.requestTimeoutMs * OVERFLOW_SETTINGS.gpuBudgetRatio : deadline;
      onGpu = admit(gpu, request, now, gpuDeadline);
      served = onGpu || admit(cpu, request, now, deadline);
    } else {
      const primary = cpu ?? gpu;
      const other = primary === cpu ? gpu : undefined;
      served = admit(primary, request, now, deadline);
      if (!served && other !== undefined) served = onGpu = admit(other, request, now, deadline);
    }
    if (onGpu && cpu !== undefined) {
      spilled++;
      sampleSpilled += size;
    }
    if (!served) {
      book.reject(request);
      sampleRejected++;
    }
  };

  const sample = (now: number): void => {
    const seconds = scenario.sampleMs / SECOND_MS;
    const perTier = (read: (runtime: TierRuntime) => number): Record<Tier, number> => ({
      cpu: cpu === undefined ? 0 : read(cpu), gpu: gpu === undefined ? 0 : read(gpu),
    });
    for (const runtime of tiers.values()) runtime.sim.advance(now);
    gpu?.lambda?.reap(now);
    series.push({
      hour: now / HOUR_MS,
      offeredChunksPerSecond: sampleOffered / seconds,
      spilledChunksPerSecond: sampleSpilled / seconds,
      rejectedPerSecond: sampleRejected / seconds,
      warm: perTier((runtime) => (runtime.lambda !== undefined ? 0 : runtime.sim.count(InstanceState.warm) + runtime.sim.count(InstanceState.draining))),
      cold: perTier((runtime) => (runtime.lambda !== undefined ? 0 : runtime.sim.count(InstanceState.starting))),
      queueWaitMs: perTier((runtime) => (runtime.waitCount === 0 ? 0 : runtime.waitSum / runtime.waitCount)),
      lambdaEnvironments: gpu?.lambda?.instances.length ?? 0,
      costDollars: costOf(scenario, perTier((runtime) => (runtime.lambda === undefined ? runtime.sim.instanceMs : 0)))
        + (gpu?.lambda?.costDollars ?? 0),
    });
    for (const runtime of tiers.values()) {
      runtime.waitSum = 0;
      runtime.waitCount = 0;
    }
    sampleOffered = sampleSpilled = sampleRejected = 0;
  };

  const scaleTick = (runtime: TierRuntime, now: number): void => {
    const sim = runtime.sim;
    sim.advance(now);
    const warmMs = sim.warmWorkerMs - runtime.lastWarmMs;
    const utilization = warmMs > 0 ? (sim.busyWorkerMs - runtime.lastBusyMs) / warmMs : undefined;
    runtime.lastBusyMs = sim.busyWorkerMs;
    runtime.lastWarmMs = sim.warmWorkerMs;
    const desired = runtime.scaler.decide(now, sim.active, {
      ready: sim.count(InstanceState.warm), starting: sim.count(InstanceState.starting), utilization, backlog: sim.queuedTexts > 0,
      backlogTexts: sim.queuedTexts + sim.inFlightTexts,
    });
    resize(runtime, now, desired);
  };

  const planTick = (now: number): void => {
    const targets = instanceTiers().map((runtime) => ({
      tier: runtime.tier, target: `sim:${runtime.tier}`,
      capacity: { minInstances: runtime.scaler.min, maxInstances: runtime.scaler.max, marker: runtime.marker },
    }));
    for (const action of plan({ now: scenario.startMs + now, bursts: scenario.schedule, leadMs, targets })) {
      if (!isScalingAction(action)) continue;
      const runtime = tiers.get(action.tier);
      if (runtime === undefined) continue;
      runtime.scaler.min = action.to;
      runtime.marker = action.marker;
      // Raising the minimum above the running count makes the service start tasks at once.
      if (runtime.sim.active < action.to) resize(runtime, now, action.to);
    }
  };

  let nextArrival = 0;
  for (;;) {
    const arrivalTime = nextArrival < requests ? (times[nextArrival] ?? Infinity) : Infinity;
    const next = events.peek();
    if (next === undefined && arrivalTime === Infinity) break;
    if (next === undefined || arrivalTime < next.time) {
      arrive(nextArrival, arrivalTime);
      nextArrival++;
      continue;
    }
    const top = events.pop() as typeof next;
    const now = top.time;
    const runtime = tiers.get(TIERS[top.a] ?? Tier.cpu);
    if (top.kind === EventKind.batchDone && runtime !== undefined) {
      const batch = batches.get(top.b) as Batch;
      batches.delete(top.b);
      runtime.sim.finishBatch(now, batch);
      for (let part = 0; part < batch.requests.length; part++) {
        const request = batch.requests[part] as number;
        const left = (remaining[request] ?? 0) - (batch.counts[part] ?? 0);
        remaining[request] = left;
        if (left === 0) book.finish(request, now - (times[request] ?? now));
      }
      pump(runtime, now);
    } else if (top.kind === EventKind.instanceWarm && runtime !== undefined) {
      if (runtime.sim.markWarm(now, top.b)) pump(runtime, now);
    } else if (top.kind === EventKind.scaleTick && runtime !== undefined && now < endMs) {
      scaleTick(runtime, now);
      events.push(now + runtime.scaler.intervalMs, EventKind.scaleTick, top.a);
    } else if (top.kind === EventKind.planTick && now < endMs) {
      planTick(now);
      events.push(now + PLANNER_INTERVAL_MS, EventKind.planTick);
    } else if (top.kind === EventKind.sample && now <= endMs) {
      sample(now);
      if (now === endMs) for (const item of instanceTiers()) instanceMsAtEnd[item.tier] = item.sim.instanceMs;
      else events.push(Math.min(endMs, now + scenario.sampleMs), EventKind.sample);
    }
  }

  const summary = book.summarize(scenario.slo.latencyMs);
  const instanceHours = { cpu: instanceMsAtEnd.cpu / HOUR_MS, gpu: instanceMsAtEnd.gpu / HOUR_MS };
  return {
    name: policy.name, requests, texts: texts.reduce((sum, value) => sum + value, 0),
    rejected: summary.rejected, spilled, p50Ms: summary.p50Ms, p99Ms: summary.p99Ms, shareOverSlo: summary.shareOverSlo,
    meetsSlo: summary.shareOverSlo <= scenario.slo.maxShareOver, instanceHours,
    lambdaGbHours: gpu?.lambda?.gbHours ?? 0, lambdaCostDollars: gpu?.lambda?.costDollars ?? 0,
    costDollars: costOf(scenario, instanceMsAtEnd) + (gpu?.lambda?.costDollars ?? 0), series,
  };
}

function costOf(scenario: Scenario, instanceMs: Record<Tier, number>): number {
  return TIERS.reduce((sum, tier) => sum + (instanceMs[tier] / HOUR_MS) * scenario.instances[tier].dollarsPerHour, 0);
}
