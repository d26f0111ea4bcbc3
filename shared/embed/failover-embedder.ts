/**
 * The foundation's embedder: each request goes whole to one CPU-tier backend, chosen round-robin,
 * and moves on to the next backend when the failure says nothing about the input (connection
 * refused, timeout, reset, overload); the GPU tier, when configured, is tried after every CPU
 * backend has failed. The dispatch engine replaces this with batching and least-outstanding
 * balancing behind the same `Embedder` interface.
 */
import { Tier } from '../config/backends';
import type { Clock } from '../clock';
import { ErrorCode, FrontDoorError } from '../errors';
import { HealthState, type Upstream } from '../upstream/upstream';
import { isUpstreamError, UpstreamError, UpstreamFailure } from '../upstream/upstream-error';
import type { EmbedRequest, EmbedResult, Embedder, EndpointReport, HealthReport } from './embedder';

export interface FailoverEmbedderOptions {
  tiers: Readonly<Record<Tier, readonly Upstream[]>>;
  clock: Clock;
  /** Budget for one upstream call (capped by the request's deadline). */
  upstreamTimeoutMs: number;
  /** Budget for one health probe. */
  pingTimeoutMs?: number;
  /** How long a health report is reused, so probes from load balancers cannot stampede backends. */
  healthCacheMs?: number;
}

const DEFAULT_PING_TIMEOUT_MS = 2_000;
const DEFAULT_HEALTH_CACHE_MS = 1_000;

export function createFailoverEmbedder(options: FailoverEmbedderOptions): Embedder {
  const { clock } = options;
  const primary = options.tiers.cpu;
  const fallback = options.tiers.gpu;
  const everyUpstream = [...primary, ...fallback];
  const pingTimeoutMs = options.pingTimeoutMs ?? DEFAULT_PING_TIMEOUT_MS;
  const healthCacheMs = options.healthCacheMs ?? DEFAULT_HEALTH_CACHE_MS;
  let next = 0;
  let cachedHealth: { at: number; report: Promise<HealthReport> } | undefined;

  async function embed(request: EmbedRequest): Promise<EmbedResult> {
    if (everyUpstream.length === 0) {
      throw new FrontDoorError(503, ErrorCode.noBackends,
        'no embedding backend is configured; set CPU_BACKENDS (see the README)');
    }
    const start = next;
    next = (next + 1) % Math.max(primary.length, 1);
    const order = [...primary.slice(start), ...primary.slice(0, start), ...fallback];
    let lastError: UpstreamError | undefined;
    let attempts = 0;
    for (const upstream of order) {
      const remainingMs = request.deadline - clock.now();
      if (remainingMs <= 0) break;
      attempts++;
      try {
        const vectors = await upstream.embed(request.texts, {
          requestId: request.requestId,
          timeoutMs: Math.min(options.upstreamTimeoutMs, remainingMs),
          ...(request.signal ? { signal: request.signal } : {}),
        });
        return { vectors, tier: upstream.tier, attempts };
      } catch (error) {
        if (!isUpstreamError(error)) throw error;
        lastError = error;
        if (!error.isRetryable || error.reason === UpstreamFailure.aborted) break;
      }
    }
    throw lastError ?? new UpstreamError(UpstreamFailure.timeout, 'the request deadline passed before a backend answered');
  }

  async function probe(): Promise<HealthReport> {
    const probeTier = (tier: readonly Upstream[]): Promise<EndpointReport[]> =>
      Promise.all(tier.map(async (upstream) => ({
        id: upstream.id,
        dialect: upstream.dialect,
        ...(await upstream.ping({ timeoutMs: pingTimeoutMs })),
      })));
    const [cpu, gpu] = await Promise.all([probeTier(primary), probeTier(fallback)]);
    return {
      ready: [...cpu, ...gpu].some((report) => report.state === HealthState.healthy),
      tiers: { [Tier.cpu]: cpu, [Tier.gpu]: gpu },
    };
  }

  function health(): Promise<HealthReport> {
    const now = clock.now();
    if (cachedHealth === undefined || now - cachedHealth.at >= healthCacheMs) {
      cachedHealth = { at: now, report: probe() };
    }
    return cachedHealth.report;
  }

  return { embed, health, close: async () => {} };
}
