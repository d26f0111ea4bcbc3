/**
 * The one interface every backend speaks through, whatever its API (DJL Serving, TEI,
 * OpenAI-compatible, or the in-process engine).
 */
import type { UpstreamDialect } from '../core/upstream-dialect';
import type { Tier } from '../core/tier';

export interface UpstreamCall {
  /** Forwarded as x-request-id so backend logs join ours. */
  readonly requestId: string;
  readonly timeoutMs: number;
  readonly signal?: AbortSignal;
}

export const HealthState = {
  healthy: 'healthy',
  /** Answering, but says it cannot serve (DJL `Unhealthy`, TEI 503). */
  unhealthy: 'unhealthy',
  /** Up, model still loading (DJL `PENDING`). */
  pending: 'pending',
  /** The model failed to load (DJL `FAILED`, model missing). */
  failed: 'failed',
  /** Not reachable at all (a cold container refuses connections). */
  down: 'down',
} as const;
export type HealthState = (typeof HealthState)[keyof typeof HealthState];

export interface EndpointHealth {
  readonly state: HealthState;
  readonly detail?: string;
}

export interface Upstream {
  /** Stable id within the process, e.g. `cpu-0`; used in logs and metrics, never the address. */
  readonly id: string;
  readonly tier: Tier;
  readonly dialect: UpstreamDialect;
  /**
   * Batches it may hold at once, when the backend itself says (a `lambda://` entry's
   * concurrency); otherwise the tier's CPU_MAX_INFLIGHT / GPU_MAX_INFLIGHT.
   */
  readonly capacity?: number;
  /**
   * Paid per call and started on demand (a Lambda function): the balancer gives it a batch only
   * when no always-on endpoint of its tier can take one, so instances paid for all day fill first.
   */
  readonly payPerCall?: boolean;
  /**
   * Embeds `texts`, resolving with one vector per text in input order. Rejects with
   * UpstreamError only.
   */
  embed(texts: readonly string[], call: UpstreamCall): Promise<number[][]>;
  /** Asks the backend how it is, the way that backend reports it. Never rejects. */
  ping(call: Omit<UpstreamCall, 'requestId'>): Promise<EndpointHealth>;
  /** Releases what the upstream holds itself (the in-process engine's worker threads). */
  close?(): Promise<void>;
}
