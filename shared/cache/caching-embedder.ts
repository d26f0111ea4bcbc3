/**
 * An Embedder in front of another that answers repeated texts from a cache: first the in-process
 * LRU, then the shared store (Valkey/Redis) in one pipelined read, and sends only the misses on,
 * assembling the answer in input order. New vectors are written after the answer is built: to
 * memory at once, to the shared store in one pipeline the client does not wait for.
 *
 * The shared store is distrusted and optional: each read has a budget (CACHE_TIMEOUT_MS), after
 * which the request goes on as if it had missed; failures in a row open a circuit breaker that
 * skips the store (logged once when it opens and once when it closes); a stored value of another
 * version or dimension is ignored, counted, and embedded again. Texts never leave this file in a
 * key, a value or a log line: keys are digests (cache-key.ts), values are floats.
 */
import { CacheControl, CacheErrorKind, type CacheEvents, CacheResult, type CacheSnapshot } from '../core/cache-events';
import type { CacheScope } from '../config/cache-config';
import type { DispatchSnapshot } from '../core/dispatch-snapshot';
import type { Scheduler } from '../dispatch/scheduler';
import type { EmbedRequest, EmbedResult, Embedder } from '../embed/embedder';
import type { Logger } from '../logger';
import { cacheScope, createKeyMaker } from './cache-key';
import { BreakerChange, CircuitBreaker } from './circuit-breaker';
import type { MemoryCache } from './memory-cache';
import type { SharedStore } from './shared-store';
import { decodeVector, encodeVector } from './vector-codec';

export interface CachingEmbedderOptions {
  readonly inner: Embedder;
  /** The in-process level; undefined when CACHE_MEMORY_MB is 0. */
  readonly memory: MemoryCache | undefined;
  /** The shared level; undefined without CACHE_URL. */
  readonly shared: SharedStore | undefined;
  /** The model's part of every key (cache-key.ts `modelIdentity`). */
  readonly identity: string;
  readonly dimension: number;
  readonly scope: CacheScope;
  readonly ttlSeconds: number;
  readonly timeoutMs: number;
  readonly breakerFailures: number;
  readonly breakerOpenMs: number;
  readonly scheduler: Scheduler;
  readonly events: CacheEvents;
  readonly logger: Logger;
}

/** The caching embedder also reports what it holds and how often it answers (/info, gauges). */
export interface CachingEmbedder extends Embedder {
  cacheSnapshot(): CacheSnapshot;
}

const TIMED_OUT = Symbol('timed out');

export function createCachingEmbedder(options: CachingEmbedderOptions): CachingEmbedder {
  const { inner, memory, shared, dimension, events, logger, scheduler } = options;
  const keyOf = createKeyMaker(options.identity);
  const breaker = new CircuitBreaker({ failures: options.breakerFailures, openMs: options.breakerOpenMs, clock: scheduler });
  let lookups = 0;
  let hits = 0;
  const pendingWrites = new Set<Promise<void>>();

  const recordFailure = (kind: CacheErrorKind, error?: unknown): void => {
    events.cacheError(kind);
    if (breaker.failure() === BreakerChange.opened) {
      // The store's own message only: it never holds a key or a value, and CACHE_URL is not logged.
      logger.warn('cache_shared_unavailable', {
        reason: kind, message: error instanceof Error ? error.message : undefined, retryInMs: options.breakerOpenMs,
      });
    }
  };
  const recordSuccess = (): void => {
    if (breaker.success() === BreakerChange.closed) logger.info('cache_shared_recovered', {});
  };

  /** The shared store's values for `keys` within the budget, or undefined when it did not answer. */
  async function readShared(keys: readonly string[]): Promise<(Uint8Array | null)[] | undefined> {
    if (shared === undefined || keys.length === 0) return undefined;
    if (!shared.started() || !breaker.tryAcquire()) {
      events.cacheError(CacheErrorKind.skipped);
      return undefined;
    }
    let cancel = (): void => undefined;
    const timeout = new Promise<typeof TIMED_OUT>((resolve) => {
      cancel = scheduler.setTimer(() => resolve(TIMED_OUT), options.timeoutMs);
    });
    try {
      const values = await Promise.race([shared.getMany(keys), timeout]);
      if (values === TIMED_OUT) {
        recordFailure(CacheErrorKind.timeout);
        return undefined;
      }
      recordSuccess();
      return values;
    } catch (error) {
      recordFailure(CacheErrorKind.error, error);
      return undefined;
    } finally {
      cancel();
    }
  }

  /** Stores new vectors in the shared level, in the background; failures only count. */
  function writeShared(entries: readonly (readonly [string, Uint8Array])[]): void {
    if (shared === undefined || entries.length === 0 || !shared.started() || breaker.state !== 'closed') return;
    const write = shared.setMany(entries, options.ttlSeconds).then(recordSuccess, (error: unknown) => recordFailure(CacheErrorKind.error, error));
    pendingWrites.add(write);
    void write.finally(() => pendingWrites.delete(write));
  }

  return {
    async embed(request: EmbedRequest): Promise<EmbedResult> {
      const { texts } = request;
      if (request.cacheControl === CacheControl.noStore) {
        events.cacheLookup({ result: CacheResult.bypass, texts: texts.length, memoryHits: 0, sharedHits: 0 });
        return { ...(await inner.embed(request)), cache: CacheResult.bypass };
      }
      const scope = cacheScope(options.scope, request.tenant);
      const keys = texts.map((text) => keyOf(scope, text));
      const vectors: (number[] | undefined)[] = new Array<number[] | undefined>(texts.length);
      const bypass = request.cacheControl === CacheControl.noCache;
      let memoryHits = 0;
      let sharedHits = 0;
      if (!bypass) {
        const missing: number[] = [];
        for (let i = 0; i < keys.length; i++) {
          const found = memory?.get(keys[i] as string);
          if (found === undefined) missing.push(i);
          else {
            vectors[i] = found;
            memoryHits++;
          }
        }
        const values = await readShared(missing.map((i) => keys[i] as string));
        if (values !== undefined) {
          missing.forEach((index, j) => {
            const value = values[j];
            if (value === null || value === undefined) return;
            const vector = decodeVector(value, dimension);
            if (vector === undefined) {
              events.cacheError(CacheErrorKind.invalid);
              return;
            }
            vectors[index] = vector;
            memory?.set(keys[index] as string, vector);
            sharedHits++;
          });
        }
      }
      const misses: number[] = [];
      for (let i = 0; i < texts.length; i++) if (vectors[i] === undefined) misses.push(i);
      const found = texts.length - misses.length;
      lookups += texts.length;
      hits += found;
      const result = bypass ? CacheResult.bypass : misses.length === 0 ? CacheResult.hit : found > 0 ? CacheResult.partial : CacheResult.miss;
      events.cacheLookup({ result, texts: texts.length, memoryHits, sharedHits });
      if (misses.length === 0) {
        return { vectors: vectors as number[][], attempts: 0, retries: 0, queueMs: 0, upstreamMs: 0, cache: result };
      }
      const served = await inner.embed(misses.length === texts.length ? request : { ...request, texts: misses.map((i) => texts[i] as string) });
      const written: [string, Uint8Array][] = [];
      misses.forEach((index, j) => {
        const vector = served.vectors[j] as number[];
        vectors[index] = vector;
        const key = keys[index] as string;
        memory?.set(key, vector);
        if (shared !== undefined) written.push([key, encodeVector(vector)]);
      });
      writeShared(written);
      return { ...served, vectors: vectors as number[][], cache: result };
    },
    health: () => inner.health(),
    ...(inner.snapshot === undefined ? {} : { snapshot: () => inner.snapshot?.() as DispatchSnapshot }),
    cacheSnapshot: () => ({
      memoryBytes: memory?.bytes ?? 0,
      memoryEntries: memory?.size ?? 0,
      lookups,
      hits,
      shared: shared !== undefined,
      sharedStarted: shared?.started() ?? false,
      sharedOpen: shared !== undefined && breaker.state !== 'closed',
    }),
    async close(): Promise<void> {
      await Promise.allSettled(pendingWrites);
      await inner.close();
      await shared?.close();
    },
  };
}
