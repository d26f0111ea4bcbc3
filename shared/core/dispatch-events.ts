/**
 * The events the dispatch engine emits: the port it declares and every telemetry sink implements
 * (Prometheus on a long-lived server, CloudWatch EMF lines on Lambda). Events carry counts, tiers
 * and endpoint ids, never texts, keys or request ids.
 */
import type { Tier } from './tier';

/** Why a request went to the overflow tier (or came back from it). */
export const OverflowReason = {
  /** The CPU tier's estimated queue wait is over the threshold. */
  queueWait: 'queue_wait',
  /** The CPU tier's upstreams answer slower than their measured service time, or with capacity errors. */
  backendLoad: 'backend_load',
  /** No CPU endpoint is warm (all cold, ejected or unhealthy). */
  noWarmEndpoint: 'no_warm_endpoint',
  /** The request is large enough that the GPU tier finishes it sooner. */
  largeRequest: 'large_request',
  /** The chosen tier failed as a whole; the other one served. */
  fallback: 'fallback',
} as const;
export type OverflowReason = (typeof OverflowReason)[keyof typeof OverflowReason];

/** Why a tier refused a request before any upstream call (answered 429 or 503). */
export const RejectReason = {
  queueFull: 'queue_full',
  /** The client already had QUEUE_MAX_TEXTS_PER_KEY texts waiting. */
  keyQueueFull: 'key_queue_full',
  /** A queued request taken back, when the queue was full, for a client holding less of it. */
  shed: 'shed',
  deadline: 'deadline',
  unavailable: 'unavailable',
} as const;
export type RejectReason = (typeof RejectReason)[keyof typeof RejectReason];

export interface BatchRecord {
  readonly tier: Tier;
  readonly endpoint: string;
  /** Distinct texts in the upstream call. */
  readonly texts: number;
  readonly durationMs: number;
  readonly ok: boolean;
}

export interface DispatchEvents {
  /** One upstream call finished, successfully or not. */
  batchDone(record: BatchRecord): void;
  /** A request's first batch left the queue this long after the request was admitted. */
  queueWait(tier: Tier, waitMs: number): void;
  /** A failed batch's texts were queued again for another endpoint. */
  retry(tier: Tier): void;
  ejection(tier: Tier, endpoint: string): void;
  rejected(tier: Tier, reason: RejectReason): void;
  /** A request was sent to `to` instead of the primary CPU tier, or fell back to it. */
  overflow(to: Tier, reason: OverflowReason): void;
  /** An endpoint answered for the first time after being cold: from first seen cold to first good answer. */
  backendColdStart(tier: Tier, endpoint: string, durationMs: number): void;
}

const ignore = (): void => {};

/** Listens to nothing: the default when a dispatcher is given no sink (tests, tools). */
export const noDispatchEvents: DispatchEvents = {
  batchDone: ignore,
  queueWait: ignore,
  retry: ignore,
  ejection: ignore,
  rejected: ignore,
  overflow: ignore,
  backendColdStart: ignore,
};
