/**
 * The embedding cache's words: how a request was served from it, the errors of its shared level,
 * and the events and figures it reports (the port every telemetry sink implements, as for the
 * dispatch events). Counts only: never a text, a key or a digest.
 */

/** How the cache served one request, as the `x-embed-cache` header says it. */
export const CacheResult = {
  /** Every text came from the cache: no backend call. */
  hit: 'hit',
  /** Some texts came from the cache; only the rest went to the backends. */
  partial: 'partial',
  miss: 'miss',
  /** The client asked not to be served from the cache (`Cache-Control: no-cache` or `no-store`). */
  bypass: 'bypass',
} as const;
export type CacheResult = (typeof CacheResult)[keyof typeof CacheResult];

/** What a client asked of the cache (its `Cache-Control` request header). */
export const CacheControl = {
  /** Not answered from the cache; the fresh vectors are stored (they replace what was there). */
  noCache: 'no-cache',
  /** Neither answered from nor stored in the cache. */
  noStore: 'no-store',
} as const;
export type CacheControl = (typeof CacheControl)[keyof typeof CacheControl];

/** Why the shared cache (Valkey/Redis) did not answer or was not asked. */
export const CacheErrorKind = {
  /** A read took longer than CACHE_TIMEOUT_MS; the request went on without it. */
  timeout: 'timeout',
  /** The server refused, the connection failed, or the client was not connected. */
  error: 'error',
  /** A stored value of the wrong version or length: ignored and embedded again. */
  invalid: 'invalid',
  /** The circuit breaker was open, or the store had not connected yet since start: not asked. */
  skipped: 'skipped',
} as const;
export type CacheErrorKind = (typeof CacheErrorKind)[keyof typeof CacheErrorKind];

/** One request's lookup: how many of its texts each level answered. */
export interface CacheLookupRecord {
  readonly result: CacheResult;
  readonly texts: number;
  readonly memoryHits: number;
  readonly sharedHits: number;
}

export interface CacheEvents {
  cacheLookup(record: CacheLookupRecord): void;
  /** One failed or skipped read or write of the shared cache, or one invalid value. */
  cacheError(kind: CacheErrorKind): void;
}

/** The cache's state now, for gauges and /info. */
export interface CacheSnapshot {
  /** Bytes the in-process level holds (vectors and keys), at most CACHE_MEMORY_MB. */
  readonly memoryBytes: number;
  readonly memoryEntries: number;
  /** Texts looked up since start, and of those answered by either level. */
  readonly lookups: number;
  readonly hits: number;
  /** Whether a shared cache is configured, and whether its breaker is open now. */
  readonly shared: boolean;
  /** Whether the shared store has connected once since start (before that it is not asked). */
  readonly sharedStarted: boolean;
  readonly sharedOpen: boolean;
}

const ignore = (): void => {};

/** Reports nothing. */
export const noCacheEvents: CacheEvents = { cacheLookup: ignore, cacheError: ignore };
