/**
 * Wires the embedding cache (shared/cache) in front of the dispatch engine when the config asks
 * for one: the in-process level unless CACHE_MEMORY_MB=0, the shared level when CACHE_URL is set
 * (its Redis client loaded with import(), never otherwise).
 */
import { createCachingEmbedder, type CachingEmbedder } from '../cache/caching-embedder';
import { modelIdentity } from '../cache/cache-key';
import { MemoryCache } from '../cache/memory-cache';
import { createLazySharedStore } from '../cache/lazy-shared-store';
import type { Config } from '../config/config';
import type { CacheEvents } from '../core/cache-events';
import type { Scheduler } from '../dispatch/scheduler';
import type { Embedder } from '../embed/embedder';
import type { Logger } from '../logger';

/**
 * CACHE_MEMORY_MB's default where the runtime serves many requests at once (Node server, Cloud
 * Run, Fargate): 64 MB holds about 39,000 vectors of 384 floats, a modest share of a 512 MB instance.
 */
export const SERVER_CACHE_MEMORY_MB = 64;
/**
 * The default in a Lambda environment: one request at a time, and each environment caches alone,
 * so its hit ratio falls as concurrency spreads traffic over environments; 16 MB (about 10,000
 * vectors) catches a client's repeats in a warm environment for little of the function's memory.
 * The shared level (CACHE_URL) is what serves repeats across environments.
 */
export const LAMBDA_CACHE_MEMORY_MB = 16;
const BYTES_PER_MB = 1_048_576;

export interface CacheWiring {
  readonly scheduler: Scheduler;
  readonly events: CacheEvents;
  readonly logger: Logger;
  /** False on Lambda (one request per environment): the smaller default. */
  readonly concurrent: boolean;
}

/** The caching embedder over `inner`, or undefined when both levels are off. */
export function createCache(config: Config, inner: Embedder, wiring: CacheWiring): CachingEmbedder | undefined {
  const settings = config.cache;
  const memoryMb = settings.memoryMb ?? (wiring.concurrent ? SERVER_CACHE_MEMORY_MB : LAMBDA_CACHE_MEMORY_MB);
  if (memoryMb === 0 && settings.url === undefined) return undefined;
  return createCachingEmbedder({
    inner,
    memory: memoryMb === 0 ? undefined : new MemoryCache(memoryMb * BYTES_PER_MB, config.model.dimension),
    shared: settings.url === undefined ? undefined : createLazySharedStore(settings.url),
    identity: modelIdentity(config, settings.modelRevision),
    dimension: config.model.dimension,
    scope: settings.scope,
    ttlSeconds: settings.ttlSeconds,
    timeoutMs: settings.timeoutMs,
    breakerFailures: settings.breakerFailures,
    breakerOpenMs: settings.breakerOpenMs,
    scheduler: wiring.scheduler,
    events: wiring.events,
    logger: wiring.logger,
  });
}
