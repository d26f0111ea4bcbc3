/**
 * The Embedder the routes use, over the dispatch engine: the CPU tier serves, and the GPU tier
 * (when configured) takes what the CPU tier cannot serve at all. The tiers issue replaces this
 * fallback with a measured overflow policy.
 */
import { Tier } from '../config/backends';
import type { EmbedRequest, EmbedResult, Embedder, EndpointReport, HealthReport } from '../embed/embedder';
import { ErrorCode, FrontDoorError, isFrontDoorError } from '../errors';
import { HealthState } from '../upstream/upstream';
import { EndpointStatus } from './endpoint';
import { HealthChecker } from './health-checker';
import type { Scheduler } from './scheduler';
import type { TierDispatcher } from './tier-dispatcher';

export interface DispatchEmbedderOptions {
  readonly cpu: TierDispatcher;
  readonly gpu: TierDispatcher;
  readonly scheduler: Scheduler;
  /** Active /ping period (0: probe only when asked for health, as on Lambda). */
  readonly healthIntervalMs: number;
  readonly pingTimeoutMs?: number;
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
}

export function createDispatchEmbedder(options: DispatchEmbedderOptions): DispatchEmbedder {
  const { cpu, gpu, scheduler } = options;
  const pingTimeoutMs = options.pingTimeoutMs ?? DEFAULT_PING_TIMEOUT_MS;
  const checkers = [cpu, gpu].filter((tier) => tier.endpoints.length > 0).map((tier) => {
    const checker = new HealthChecker({
      endpoints: tier.endpoints,
      intervalMs: options.healthIntervalMs,
      timeoutMs: pingTimeoutMs,
      scheduler,
      onRound: () => tier.schedulePump(),
    });
    // With active checks, an ejected endpoint that turns out to be down stays out until a probe
    // finds it healthy, instead of costing a failed batch each time its ejection ends.
    if (options.healthIntervalMs > 0) tier.onEjected = (endpoint) => void checker.probe(endpoint);
    return checker;
  });
  if (options.healthIntervalMs > 0) for (const checker of checkers) checker.start();
  let lastOnDemandProbe = Number.NEGATIVE_INFINITY;

  async function embed(request: EmbedRequest): Promise<EmbedResult> {
    if (cpu.endpoints.length === 0 && gpu.endpoints.length === 0) {
      throw new FrontDoorError(503, ErrorCode.noBackends, 'no embedding backend is configured; set CPU_BACKENDS (see the README)');
    }
    if (cpu.endpoints.length === 0) return gpu.embed(request);
    try {
      return await cpu.embed(request);
    } catch (error) {
      const tierFailure = isFrontDoorError(error) && TIER_FAILURES.has(error.code);
      if (!tierFailure || gpu.endpoints.length === 0 || scheduler.now() >= request.deadline || request.signal?.aborted) throw error;
      return gpu.embed(request);
    }
  }

  const report = (tier: TierDispatcher, now: number): EndpointReport[] => tier.endpoints.map((endpoint) => {
    const status = endpoint.status(now);
    const state = status === EndpointStatus.ready ? HealthState.healthy
      : status === EndpointStatus.ejected ? HealthState.unhealthy : endpoint.probed ?? HealthState.unhealthy;
    return { id: endpoint.id, dialect: endpoint.upstream.dialect, state, detail: status };
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
      ready: cpu.isServing(now) || (gpu.endpoints.length > 0 && gpu.isServing(now)),
      tiers,
      activity: { [Tier.cpu]: activity(cpu), [Tier.gpu]: activity(gpu) },
    };
  }

  async function close(): Promise<void> {
    for (const checker of checkers) checker.stop();
    cpu.close();
    gpu.close();
  }

  return { embed, health, close, tiers: { [Tier.cpu]: cpu, [Tier.gpu]: gpu } };
}
