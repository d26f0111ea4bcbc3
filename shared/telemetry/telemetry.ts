/**
 * What the front door reports about its work, as events. The dispatch engine and the HTTP layer
 * call these; each runtime plugs in its sinks (Prometheus on a long-lived server, CloudWatch EMF
 * lines on Lambda). Sinks only count and never see texts, keys or request ids, so label
 * cardinality stays bounded by the configured routes, tiers and endpoints.
 */
import type { Tier } from '../config/backends';

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

/** One finished HTTP request, as the access log and the request metrics see it. */
export interface RequestRecord {
  /** The route pattern (`/predictions/:model`), never the raw path. */
  readonly route: string;
  readonly method: string;
  readonly status: number;
  /** The tier that served it; undefined when none did. */
  readonly tier: Tier | undefined;
  readonly durationMs: number;
  /** Texts in the request (0 when it was refused before parsing). */
  readonly items: number;
}

/** The front door's own cold start: once per process (per Lambda execution environment). */
export interface FrontDoorColdStart {
  /** Process start to the end of initialisation (module load, dependencies built). */
  readonly initMs: number;
  /** Process start to the first request. */
  readonly firstRequestMs: number;
  /** Lambda's AWS_LAMBDA_INITIALIZATION_TYPE (`on-demand`, `provisioned-concurrency`, `snap-start`). */
  readonly initializationType: string | undefined;
}

export interface Telemetry extends DispatchEvents {
  requestDone(record: RequestRecord): void;
  frontDoorColdStart(coldStart: FrontDoorColdStart): void;
}

const ignore = (): void => {};

/** Reports nothing (tests, tools). */
export const noTelemetry: Telemetry = {
  batchDone: ignore,
  queueWait: ignore,
  retry: ignore,
  ejection: ignore,
  rejected: ignore,
  overflow: ignore,
  backendColdStart: ignore,
  requestDone: ignore,
  frontDoorColdStart: ignore,
};

/** Sends every event to each sink in turn. */
export function combineTelemetry(sinks: readonly Telemetry[]): Telemetry {
  if (sinks.length === 1 && sinks[0] !== undefined) return sinks[0];
  const each = <K extends keyof Telemetry>(key: K) => ((...args: unknown[]) => {
    for (const sink of sinks) (sink[key] as (...a: unknown[]) => void)(...args);
  }) as Telemetry[K];
  return {
    batchDone: each('batchDone'),
    queueWait: each('queueWait'),
    retry: each('retry'),
    ejection: each('ejection'),
    rejected: each('rejected'),
    overflow: each('overflow'),
    backendColdStart: each('backendColdStart'),
    requestDone: each('requestDone'),
    frontDoorColdStart: each('frontDoorColdStart'),
  };
}
