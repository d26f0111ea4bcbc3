/**
 * The Embedder the routes use, over the dispatch engine: the CPU tier is primary, and the GPU tier
 * (when configured) takes overflow as the overflow policy decides: while the CPU tier's wait is too
 * long, while it has no warm endpoint, and for requests large enough that the GPU finishes them
 * sooner. Either tier's failure as a whole falls back to the other, so an overflow can only ever
 * end in what the CPU tier alone would have answered (its queue, or a fast 429).
 */
import { Tier } from '../core/tier';
import type { OverflowConfig } from '../config/overflow-config';
import type { EmbedRequest, EmbedResult, Embedder, EndpointReport, HealthReport } from '../embed/embedder';
import { ErrorCode, FrontDoorError, isFrontDoorError } from '../errors';
import type { DispatchSnapshot } from '../core/dispatch-snapshot';
import { type DispatchEvents, noDispatchEvents, OverflowReason } from '../core/dispatch-events';
import { HealthState } from '../upstream/upstream';
import { EndpointStatus } from './endpoint';
import { HealthChecker } from './health-checker';
import { OverflowPolicy, type TierChoice } from './overflow-policy';
import type { Scheduler } from './scheduler';
import type { TierDispatcher } from './tier-dispatcher';

export interface DispatchEmbedderOptions {
  readonly cpu: TierDispatcher;
  readonly gpu: TierDispatcher;
  readonly scheduler: Scheduler;
  /** Active /ping period (0: probe only when asked for health, as on Lambda). */
  readonly healthIntervalMs: number;
  /** Active /ping period for endpoints that are cold or unhealthy. */
  readonly coldProbeIntervalMs?: number;
  readonly pingTimeoutMs?: number;
  readonly overflow: OverflowConfig;
  readonly events?: DispatchEvents;
}

const DEFAULT_PING_TIMEOUT_MS = 2_000;
/** On-demand probes are reused this long, so load balancer checks cannot stampede backends. */
const ON_DEMAND_PROBE_TTL_MS = 1_000;

/** Failures of a tier as a whole, which another tier may still serve. */
const TIER_FAILURES = new Set<string>([
  ErrorCode.backendUnavailable, ErrorCode.backendOverloaded, ErrorCode.backendTimeout, ErrorCode.noBackends, ErrorCode.overloaded,
]);

export interface DispatchEmbedder extends Embedder {
  readonly tiers: Readonly<Record<Tier, TierDispatcher>>;
  snapshot(): DispatchSnapshot;
}

export function createDispatchEmbedder(options: DispatchEmbedderOptions): DispatchEmbedder {
  const { cpu, gpu, scheduler } = options;
  const pingTimeoutMs = options.pingTimeoutMs ?? DEFAULT_PING_TIMEOUT_MS;
  const checkers = [cpu, gpu].filter((tier) => tier.isConfigured).map((tier) => {
    const checker = new HealthChecker({
      endpoints: tier.endpoints,
      intervalMs: options.healthIntervalMs,
      ...(options.coldProbeIntervalMs === undefined ? {} : { coldIntervalMs: options.coldProbeIntervalMs }),
      timeoutMs: pingTimeoutMs,
      scheduler,
      onRound: () => tier.schedulePump(),
    });
    // With active checks, an ejected endpoint that turns out to be down stays out until a probe
    // finds it healthy, instead of costing a failed batch each time its ejection ends.
    if (options.healthIntervalMs > 0) {
      tier.onEjected = (endpoint) => void checker.probe(endpoint);
      tier.onAdded = (endpoint) => void checker.probe(endpoint);
    }
    return checker;
  });
  if (options.healthIntervalMs > 0) for (const checker of checkers) checker.start();
  let lastOnDemandProbe = Number.NEGATIVE_INFINITY;
  const policy = new OverflowPolicy(options.overflow);
  const events = options.events ?? noDispatchEvents;

  /** The tier for a request, from both tiers' measured state now. */
  function choose(request: EmbedRequest, now: number): TierChoice {
    const texts = request.texts.length;
    return policy.choose(now, texts, {
      warmEndpoints: cpu.servingEndpoints(now),
      queueWaitMs: cpu.estimatedWaitMs(0, now),
      backendWaitMs: cpu.backendLoad.inferredWaitMs(now),
      recentCapacityErrors: cpu.backendLoad.recentCapacityErrors(now),
      finishMs: cpu.estimatedWaitMs(texts, now),
    }, {
      warmEndpoints: gpu.servingEndpoints(now),
      finishMs: gpu.estimatedWaitMs(texts, now),
    });
  }

  /** Whether the other tier may still serve a request this tier failed. */
  const mayFallBack = (error: unknown, request: EmbedRequest, other: TierDispatcher): boolean =>
    isFrontDoorError(error) && TIER_FAILURES.has(error.code) && other.isConfigured &&
    scheduler.now() < request.deadline && request.signal?.aborted !== true;

  async function embed(request: EmbedRequest): Promise<EmbedResult> {
    if (!cpu.isConfigured && !gpu.isConfigured) {
      throw new FrontDoorError(503, ErrorCode.noBackends, 'no embedding backend is configured; set CPU_BACKENDS (see docs/configuration.md)');
    }
    if (!cpu.isConfigured) return gpu.embed(request);
    const now = scheduler.now();
    const choice = gpu.isConfigured ? choose(request, now) : undefined;
    if (choice?.tier === Tier.gpu && choice.reason !== undefined) {
      events.overflow(Tier.gpu, choice.reason);
      // While the CPU tier can serve, the GPU attempt gets only part of the budget, so a GPU
      // failure still leaves the CPU tier time to answer.
      const cpuCanServe = choice.reason !== OverflowReason.noWarmEndpoint;
      const deadline = cpuCanServe ? now + (request.deadline - now) * options.overflow.gpuBudgetRatio : request.deadline;
      try {
        return { ...await gpu.embed({ ...request, deadline }), overflowReason: choice.reason };
      } catch (error) {
        if (!mayFallBack(error, request, cpu)) throw error;
        events.overflow(Tier.cpu, OverflowReason.fallback);
        return cpu.embed(request);
      }
    }
    try {
      return await cpu.embed(request);
    } catch (error) {
      if (!mayFallBack(error, request, gpu)) throw error;
      events.overflow(Tier.gpu, OverflowReason.fallback);
      return { ...await gpu.embed(request), overflowReason: OverflowReason.fallback };
    }
  }

  function snapshot(): DispatchSnapshot {
    const now = scheduler.now();
    const overflowActive = gpu.isConfigured && policy.isSpilling(now);
    const overflowReason = overflowActive ? policy.spillReason(now) : undefined;
    return {
      tiers: { [Tier.cpu]: cpu.snapshot(now), [Tier.gpu]: gpu.snapshot(now) },
      overflowActive,
      ...(overflowReason === undefined ? {} : { overflowReason }),
    };
  }

  const report = (tier: TierDispatcher, now: number): EndpointReport[] => tier.endpoints.map((endpoint) => {
    const status = endpoint.status(now);
    const state = status === EndpointStatus.ready ? HealthState.healthy
      : status === EndpointStatus.ejected ? HealthState.unhealthy : endpoint.probed ?? HealthState.unhealthy;
    return { id: endpoint.id, dialect: endpoint.upstream.dialect, state, detail: endpoint.warmth(now) };
  });

  async function health(): Promise<HealthReport> {
    // Without periodic probes (Lambda), probe when asked, at most once a second.
    if (options.healthIntervalMs <= 0 && scheduler.now() - lastOnDemandProbe >= ON_DEMAND_PROBE_TTL_MS) {
      lastOnDemandProbe = scheduler.now();
      await Promise.all(checkers.map((checker) => checker.probeAll()));
    }
    const now = scheduler.now();
    const tiers = { [Tier.cpu]: report(cpu, now), [Tier.gpu]: report(gpu, now) };
    const activity = (tier: TierDispatcher) => ({ queuedTexts: tier.queuedTexts, inFlightBatches: tier.inFlightBatches, ...tier.counters });
    return {
      ready: cpu.isServing(now) || gpu.isServing(now),
      tiers,
      activity: { [Tier.cpu]: activity(cpu), [Tier.gpu]: activity(gpu) },
    };
  }

  async function close(): Promise<void> {
    for (const checker of checkers) checker.stop();
    cpu.close();
    gpu.close();
  }

  return { embed, health, snapshot, close, tiers: { [Tier.cpu]: cpu, [Tier.gpu]: gpu } };
}
