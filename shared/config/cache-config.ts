/**
 * The embedding cache's settings (shared/cache): the in-process level's size, the shared level
 * (Valkey/Redis) and how a slow or dead one is skipped. Read by parseConfig through the same
 * EnvReader; every key is documented in docs/configuration.md and docs/cache.md.
 */
import type { EnvReader } from './env-reader';

/** Whose entries a cached vector may answer: the same API key's only, or every client's. */
export const CacheScope = { key: 'key', global: 'global' } as const;
export type CacheScope = (typeof CacheScope)[keyof typeof CacheScope];

export interface CacheConfig {
  /**
   * CACHE_MEMORY_MB: the in-process level's bound. Undefined when unset: the runtime picks
   * (create-dependencies: 64 MB on a server, 16 MB in a Lambda environment); 0 turns it off.
   */
  readonly memoryMb: number | undefined;
  /** CACHE_URL: `redis://` or `rediss://` of the shared level; undefined: none. Never logged (it may hold a password). */
  readonly url: string | undefined;
  readonly ttlSeconds: number;
  readonly scope: CacheScope;
  /** A shared read's budget; past it the request goes on without the shared level. */
  readonly timeoutMs: number;
  /** Failed shared reads or writes in a row that open the breaker. */
  readonly breakerFailures: number;
  /** How long an open breaker skips the shared level before one request tries it again. */
  readonly breakerOpenMs: number;
  /** MODEL_REVISION: part of every key, so vectors of another revision of the model never answer. */
  readonly modelRevision: string | undefined;
}

export const CACHE_DEFAULTS = {
  // A day: documents re-indexed daily and the day's popular queries hit; a model change is a new key anyway.
  ttlSeconds: 86_400,
  // A Redis read in the same zone takes well under a millisecond; 5 ms leaves room for a busy
  // server while costing a request little when the cache is slow (see docs/cache.md).
  timeoutMs: 5,
  breakerFailures: 5,
  breakerOpenMs: 10_000,
} as const;

const MAX_MEMORY_MB = 1_048_576;
/** Redis refuses EX past this (about 68 years); a larger TTL is a typo. */
const MAX_TTL_SECONDS = 2_147_483_647;
const ONE_MINUTE_MS = 60_000;
const ONE_HOUR_MS = 3_600_000;
const URL_SCHEMES = ['redis:', 'rediss:'];

/** Reads the cache section; every problem goes to `read` for the one start-up error. */
export function readCacheConfig(read: EnvReader): CacheConfig {
  const memoryMb = read.raw('CACHE_MEMORY_MB') === undefined ? undefined : read.int('CACHE_MEMORY_MB', 0, { min: 0, max: MAX_MEMORY_MB });
  let url = read.raw('CACHE_URL');
  if (url !== undefined) {
    let scheme: string | undefined;
    try {
      scheme = new URL(url).protocol;
    } catch {
      scheme = undefined;
    }
    // The value itself is not echoed: it may carry a password.
    if (scheme === undefined || !URL_SCHEMES.includes(scheme)) {
      read.problem('CACHE_URL: expected redis://host:port or rediss://host:port (TLS), with an optional user:password@ and /db');
      url = undefined;
    }
  }
  return {
    memoryMb,
    url,
    ttlSeconds: read.int('CACHE_TTL_SECONDS', CACHE_DEFAULTS.ttlSeconds, { min: 1, max: MAX_TTL_SECONDS }),
    scope: read.oneOf('CACHE_SCOPE', Object.values(CacheScope), CacheScope.key),
    timeoutMs: read.int('CACHE_TIMEOUT_MS', CACHE_DEFAULTS.timeoutMs, { min: 1, max: ONE_MINUTE_MS }),
    breakerFailures: read.int('CACHE_BREAKER_FAILURES', CACHE_DEFAULTS.breakerFailures, { min: 1, max: 1_000 }),
    breakerOpenMs: read.int('CACHE_BREAKER_OPEN_MS', CACHE_DEFAULTS.breakerOpenMs, { min: 1, max: ONE_HOUR_MS }),
    modelRevision: read.raw('MODEL_REVISION'),
  };
}
