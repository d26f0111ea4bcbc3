/**
 * The embedding service the HTTP routes call: texts in, vectors out, in input order. The routes
 * neither know nor care how many backends, tiers or batches stand behind it.
 */
import type { Tier } from '../core/tier';
import type { DispatchSnapshot } from '../core/dispatch-snapshot';
import type { OverflowReason } from '../core/dispatch-events';
import type { CacheControl, CacheResult, CacheSnapshot } from '../core/cache-events';
import type { EndpointHealth } from '../upstream/upstream';

/**
 * What the embedder reads of a cancellation: an AbortSignal fits, and so does the Node server's
 * cheaper per-request signal (runtime/client-signal.ts).
 */
export interface CancelSignal {
  readonly aborted: boolean;
  addEventListener(type: 'abort', listener: () => void, options?: { once?: boolean }): void;
  removeEventListener(type: 'abort', listener: () => void): void;
}

export interface EmbedRequest {
  readonly texts: readonly string[];
  readonly requestId: string;
  /** Epoch milliseconds after which nobody waits for the answer. */
  readonly deadline: number;
  /**
   * Who is asking, for fair queuing: the API key's name, or undefined for clients without a key
   * (who then share one turn between them).
   */
  readonly tenant?: string;
  /** Aborted when the client goes away. */
  readonly signal?: CancelSignal;
  /** The client's wish to bypass the embedding cache, if any. */
  readonly cacheControl?: CacheControl;
}

export interface EmbedResult {
  /** One vector per input text, in input order. */
  readonly vectors: number[][];
  /** The tier that served the request; undefined when the cache answered every text. */
  readonly tier?: Tier;
  /** Upstream calls made, retries included. */
  readonly attempts: number;
  /** Of those, calls that retried texts after a failure. */
  readonly retries: number;
  /** Admission to the first batch leaving the queue, on the tier that served. */
  readonly queueMs: number;
  /** The first batch leaving to the last vector arriving, on the tier that served. */
  readonly upstreamMs: number;
  /** Why the GPU tier served instead of the CPU tier, when it did. */
  readonly overflowReason?: OverflowReason;
  /** How the embedding cache served the request; undefined when no cache is configured. */
  readonly cache?: CacheResult;
}

export interface EndpointReport extends EndpointHealth {
  readonly id: string;
  readonly dialect: string;
}

/** What a tier's dispatcher has done since start, for /info (and later metrics). */
export interface TierActivity {
  readonly queuedTexts: number;
  readonly inFlightBatches: number;
  readonly batches: number;
  readonly batchedTexts: number;
  readonly retries: number;
  readonly isolations: number;
  readonly ejections: number;
  readonly rejectedOverload: number;
}

export interface HealthReport {
  /** True when at least one endpoint can serve. */
  readonly ready: boolean;
  readonly tiers: Readonly<Record<Tier, readonly EndpointReport[]>>;
  readonly activity?: Readonly<Record<Tier, TierActivity>>;
}

export interface Embedder {
  embed(request: EmbedRequest): Promise<EmbedResult>;
  health(): Promise<HealthReport>;
  /** Queues, endpoint warmth and cold starts right now, without touching a backend (metrics). */
  snapshot?(): DispatchSnapshot;
  /** What the embedding cache holds and how often it answered; absent without a cache. */
  cacheSnapshot?(): CacheSnapshot;
  close(): Promise<void>;
}
