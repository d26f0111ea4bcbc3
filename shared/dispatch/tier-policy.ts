/** What one tier's dispatcher is told (its policy) and what it counts (for /info). */
import type { EndpointPolicy } from './endpoint';

export interface TierPolicy extends EndpointPolicy {
  readonly batchSize: number;
  /** Characters per batch (0: no limit). */
  readonly batchMaxChars: number;
  readonly coalesceWindowMs: number;
  /** How long before a full endpoint's earliest batch is predicted to end one more may go to it (0: never). */
  readonly sendAheadMs: number;
  readonly queueMaxTexts: number;
  /** Characters of the texts the queue may hold, which bound its memory. */
  readonly queueMaxChars: number;
  /** Texts one tenant (an API key, or all unkeyed clients) may have waiting. */
  readonly tenantMaxTexts: number;
  readonly upstreamTimeoutMs: number;
  readonly maxAttempts: number;
  readonly retryBudgetRatio: number;
  readonly retryMinPerSecond: number;
  /** How long a backend's capacity refusal counts as a sign of load (the overflow hold time). */
  readonly loadWindowMs: number;
}

export interface TierCounters {
  batches: number;
  batchedTexts: number;
  /** Batches sent to a full endpoint ahead of its earliest batch's end (SEND_AHEAD_MS). */
  sentAhead: number;
  retries: number;
  isolations: number;
  ejections: number;
  rejectedOverload: number;
}
