/**
 * A point-in-time view of the dispatch engine for gauges and /info: what each tier holds, how warm
 * each endpoint is, and the recent distribution of backend cold starts. Taken synchronously, without
 * touching any backend.
 */
import type { Tier } from '../config/backends';

/** How ready an endpoint is to take client traffic. */
export const Warmth = {
  /** Refusing connections, or up with its model still loading (DJL PENDING, 503 not ready): no traffic, probed. */
  cold: 'cold',
  /** Back from cold or ejection, ramping up to its full share (slow start). */
  warming: 'warming',
  /** Serving its full share (or not yet known to be otherwise). */
  warm: 'warm',
  /** Taken out after failures, until its back-off ends or a probe finds it healthy. */
  ejected: 'ejected',
  /** Answering, but reports it cannot serve (DJL Unhealthy or FAILED). */
  unhealthy: 'unhealthy',
} as const;
export type Warmth = (typeof Warmth)[keyof typeof Warmth];

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
}

export interface TierSnapshot {
  readonly queuedTexts: number;
  readonly inFlightBatches: number;
  readonly endpoints: readonly EndpointSnapshot[];
  readonly coldStarts: ColdStartStats;
}

export interface DispatchSnapshot {
  readonly tiers: Readonly<Record<Tier, TierSnapshot>>;
  /** True while the overflow policy sends new work to the GPU tier. */
  readonly overflowActive: boolean;
}
