/**
 * A point-in-time view of the dispatch engine for gauges and /info: what each tier holds, how warm
 * each endpoint is, and the recent distribution of backend cold starts. Taken synchronously, without
 * touching any backend.
 */
import type { OverflowReason } from './dispatch-events';
import type { Tier } from './tier';
import type { Warmth } from './warmth';

export interface EndpointSnapshot {
  /** Stable id (`cpu-0`), never the address. */
  readonly id: string;
  readonly dialect: string;
  readonly warmth: Warmth;
  /** Batches it holds now. */
  readonly inFlight: number;
}

export interface ColdStartStats {
  /** Cold starts recorded since the process started. */
  readonly count: number;
  /** Over the most recent ones (see cold-start-record.ts); undefined before the first. */
  readonly p50Ms: number | undefined;
  readonly p95Ms: number | undefined;
  /** The latest few, oldest first, for the status page (see cold-start-record.ts). */
  readonly recent?: readonly BackendColdStart[];
}

/** One backend cold start: an endpoint's first good answer after being seen cold. */
export interface BackendColdStart {
  /** Stable id (`cpu-0`), never the address. */
  readonly endpoint: string;
  readonly durationMs: number;
  /** Epoch ms of that first good answer. */
  readonly at: number;
}

export interface TierSnapshot {
  readonly queuedTexts: number;
  readonly inFlightBatches: number;
  readonly endpoints: readonly EndpointSnapshot[];
  readonly coldStarts: ColdStartStats;
  /**
   * The scaling signal (docs/operate.md): texts queued plus texts in batches in flight, the work
   * this front door holds for the tier.
   */
  readonly backlogTexts: number;
  /** Endpoints that can take work now (neither ejected nor reported unhealthy). */
  readonly servingEndpoints: number;
  /**
   * How long the queued texts take to drain at the serving endpoints' measured speed, the same
   * estimate admission control uses; 0 with nothing queued, undefined while unknown (no serving
   * endpoint, or one not yet measured).
   */
  readonly estimatedWaitSeconds: number | undefined;
}

export interface DispatchSnapshot {
  readonly tiers: Readonly<Record<Tier, TierSnapshot>>;
  /** True while the overflow policy sends new work to the GPU tier. */
  readonly overflowActive: boolean;
  /** Why the latest request spilled, while overflow is active (the status page's "why"). */
  readonly overflowReason?: OverflowReason;
}
