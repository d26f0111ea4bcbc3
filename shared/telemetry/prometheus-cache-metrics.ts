/**
 * The embedding cache's Prometheus series: requests by how the cache served them, texts by the
 * level that answered, shared-store errors by kind, and gauges of what the in-process level holds
 * and whether the shared store's breaker is open (read at scrape time).
 */
import { Counter, Gauge, type Registry } from 'prom-client';
import { CacheErrorKind, type CacheEvents, CacheResult, type CacheSnapshot } from '../core/cache-events';
import { createCounterSeries } from './prometheus-series';

/** Which level answered a text, or that none did. */
const TextSource = { memory: 'memory', shared: 'shared', miss: 'miss' } as const;

export interface CacheMetricsOptions {
  readonly register: Registry;
  readonly prefix: string;
  /** The cache's state at scrape time; undefined when no cache is configured. */
  readonly snapshot: () => CacheSnapshot | undefined;
}

export function registerCacheMetrics(options: CacheMetricsOptions): CacheEvents {
  const { prefix, snapshot } = options;
  const registers = [options.register];
  const requests = new Counter({
    name: `${prefix}cache_requests_total`,
    help: 'Embed requests by how the cache served them: hit (every text), partial, miss, or bypass (Cache-Control).',
    labelNames: ['result'] as const,
    registers,
  });
  const texts = new Counter({
    name: `${prefix}cache_texts_total`,
    help: 'Texts looked up in the cache, by the level that answered (memory, shared) or miss.',
    labelNames: ['source'] as const,
    registers,
  });
  const errors = new Counter({
    name: `${prefix}cache_errors_total`,
    help: 'Shared cache reads or writes that failed (error), ran past CACHE_TIMEOUT_MS (timeout), were skipped by the open breaker (skipped), and stored values refused (invalid).',
    labelNames: ['kind'] as const,
    registers,
  });
  new Gauge({
    name: `${prefix}cache_memory_bytes`,
    help: 'Bytes the in-process cache holds (vectors and keys), at most CACHE_MEMORY_MB.',
    registers,
    collect() {
      this.set(snapshot()?.memoryBytes ?? 0);
    },
  });
  new Gauge({
    name: `${prefix}cache_memory_entries`,
    help: 'Vectors the in-process cache holds.',
    registers,
    collect() {
      this.set(snapshot()?.memoryEntries ?? 0);
    },
  });
  new Gauge({
    name: `${prefix}cache_shared_breaker_open`,
    help: '1 while the shared cache is skipped after failures (the breaker is open or half-open), else 0.',
    registers,
    collect() {
      this.set(snapshot()?.sharedOpen === true ? 1 : 0);
    },
  });
  for (const result of Object.values(CacheResult)) requests.inc({ result }, 0);
  for (const source of Object.values(TextSource)) texts.inc({ source }, 0);
  for (const kind of Object.values(CacheErrorKind)) errors.inc({ kind }, 0);
  // Every cached request moves these (and a failing shared store moves errors as often).
  const requestSeries = createCounterSeries(requests, ['result']);
  const textSeries = createCounterSeries(texts, ['source']);
  const errorSeries = createCounterSeries(errors, ['kind']);
  return {
    cacheLookup({ result, texts: count, memoryHits, sharedHits }) {
      requestSeries.inc([result]);
      if (memoryHits > 0) textSeries.inc([TextSource.memory], memoryHits);
      if (sharedHits > 0) textSeries.inc([TextSource.shared], sharedHits);
      const missed = count - memoryHits - sharedHits;
      if (missed > 0) textSeries.inc([TextSource.miss], missed);
    },
    cacheError(kind) {
      errorSeries.inc([kind]);
    },
  };
}
