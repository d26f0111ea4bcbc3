/**
 * The embedding cache's pure parts: keys, the value format, the byte-bounded LRU, the circuit
 * breaker, the config keys, and the caching embedder over a fake store with a fake clock (a slow
 * store costs a request its budget and no more; the breaker skips a failing one and logs once).
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { cacheScope, createKeyMaker, modelIdentity, SHARED_KEY_PREFIX } from '../../shared/cache/cache-key';
import { createCachingEmbedder } from '../../shared/cache/caching-embedder';
import { BreakerChange, BreakerState, CircuitBreaker } from '../../shared/cache/circuit-breaker';
import { entryBytes, MemoryCache } from '../../shared/cache/memory-cache';
import type { SharedStore } from '../../shared/cache/shared-store';
import { decodeVector, encodeVector, VALUE_VERSION } from '../../shared/cache/vector-codec';
import { CacheScope } from '../../shared/config/cache-config';
import { parseConfig } from '../../shared/config/config';
import { ConfigError } from '../../shared/config/env-reader';
import type { CacheErrorKind, CacheLookupRecord } from '../../shared/core/cache-events';
import type { EmbedRequest, Embedder } from '../../shared/embed/embedder';
import { createLogger } from '../../shared/logger';
import { FakeScheduler } from '../helpers/fake-scheduler';

const DIMENSION = 4;
const vectorOf = (text: string): number[] => [text.length, text.charCodeAt(0) / 128, 0.5, -0.25];

describe('cache keys', () => {
  const config = parseConfig({});
  const key = createKeyMaker(modelIdentity(config, undefined));

  test('a key is the prefix and a SHA-256 digest; scope, model and revision all change it', () => {
    const plain = key(cacheScope(CacheScope.key, 'alice'), 'hello');
    assert.match(plain, new RegExp(`^${SHARED_KEY_PREFIX}[A-Za-z0-9_-]{43}$`));
    assert.equal(key(cacheScope(CacheScope.key, 'alice'), 'hello'), plain);
    assert.notEqual(key(cacheScope(CacheScope.key, 'bob'), 'hello'), plain);
    assert.notEqual(key(cacheScope(CacheScope.key, undefined), 'hello'), plain);
    assert.equal(cacheScope(CacheScope.global, 'alice'), cacheScope(CacheScope.global, 'bob'));
    assert.notEqual(createKeyMaker(modelIdentity(config, 'rev2'))(cacheScope(CacheScope.key, 'alice'), 'hello'), plain);
    assert.notEqual(createKeyMaker(modelIdentity(parseConfig({ MODEL_DIMENSION: '768' }), undefined))(cacheScope(CacheScope.key, 'alice'), 'hello'), plain);
    assert.notEqual(key(cacheScope(CacheScope.key, 'alice'), 'hello '), plain, 'the exact text');
  });
});

describe('cached vector format', () => {
  test('round trip as float32, and refusals of another version, length or a non-finite value', () => {
    const bytes = encodeVector([0.1, -2, 3.5, 0]);
    assert.equal(bytes.length, 1 + DIMENSION * 4);
    assert.equal(bytes[0], VALUE_VERSION);
    assert.deepEqual(decodeVector(bytes, DIMENSION), [Math.fround(0.1), -2, 3.5, 0]);
    assert.equal(decodeVector(bytes, DIMENSION + 1), undefined);
    assert.equal(decodeVector(bytes.subarray(0, 9), DIMENSION), undefined);
    const foreign = Buffer.from(bytes);
    foreign[0] = VALUE_VERSION + 1;
    assert.equal(decodeVector(foreign, DIMENSION), undefined);
    assert.equal(decodeVector(encodeVector([0, Number.NaN, 0, 0]), DIMENSION), undefined);
  });
});

describe('MemoryCache', () => {
  test('bounded in bytes, evicting the least recently used', () => {
    const one = entryBytes('k1', DIMENSION);
    const cache = new MemoryCache(one * 2, DIMENSION);
    cache.set('k1', [1, 1, 1, 1]);
    cache.set('k2', [2, 2, 2, 2]);
    assert.deepEqual(cache.get('k1'), [1, 1, 1, 1]);
    cache.set('k3', [3, 3, 3, 3]);
    assert.equal(cache.get('k2'), undefined, 'k2 was the least recently used');
    assert.deepEqual(cache.get('k3'), [3, 3, 3, 3]);
    assert.equal(cache.size, 2);
    assert.equal(cache.bytes, one * 2);
    cache.set('k3', [4, 4, 4, 4]);
    assert.equal(cache.bytes, one * 2, 'replacing an entry does not count it twice');
  });

  test('keeps each vector apart over several float arrays, reusing the slots it evicts', () => {
    // Room for 2,500 entries: three arrays of 1,024 slots; 6,000 texts evict and reuse slots in each.
    const keyOf = (n: number): string => `key-${String(n).padStart(5, '0')}`;
    const vectorAt = (n: number): number[] => [n, -n, n / 4, n % 7];
    const cache = new MemoryCache(entryBytes(keyOf(0), DIMENSION) * 2_500, DIMENSION);
    for (let n = 0; n < 6_000; n++) cache.set(keyOf(n), vectorAt(n));
    assert.equal(cache.size, 2_500);
    assert.equal(cache.get(keyOf(3_499)), undefined, 'the oldest texts were evicted');
    for (let n = 3_500; n < 6_000; n++) assert.deepEqual(cache.get(keyOf(n)), vectorAt(n), `text ${n}`);
  });

  test('stores only vectors of its dimension, as float32', () => {
    const cache = new MemoryCache(entryBytes('k1', DIMENSION) * 4, DIMENSION);
    cache.set('k1', [1, 2, 3]);
    cache.set('k2', [1, 2, 3, 4, 5]);
    assert.equal(cache.size, 0, 'a vector of another length would overrun its neighbour');
    cache.set('k3', [0.1, -0.2, 1e-8, 3]);
    assert.deepEqual(cache.get('k3'), [Math.fround(0.1), Math.fround(-0.2), Math.fround(1e-8), 3]);
  });

  test('agrees with a plain LRU list over a long mix of hits, misses, replacements and evictions', () => {
    // Keys of two lengths, so entries cost different bytes and one set may evict several.
    const keyOf = (n: number): string => (n % 3 === 0 ? `long-key-${n}` : `k${n}`);
    const costOf = (key: string): number => entryBytes(key, DIMENSION);
    const maxBytes = costOf('k1') * 5 + costOf('long-key-3') * 2;
    const cache = new MemoryCache(maxBytes, DIMENSION);
    let model: { key: string; vector: number[] }[] = []; // least recently used first
    let seed = 7;
    const next = (): number => {
      seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648;
      return seed;
    };
    for (let step = 0; step < 5_000; step++) {
      const key = keyOf(next() % 24);
      if (next() % 3 === 0) {
        const vector = [step, step, step, step];
        cache.set(key, vector);
        model = [...model.filter((entry) => entry.key !== key), { key, vector }];
        let held = model.reduce((sum, entry) => sum + costOf(entry.key), 0);
        while (held > maxBytes) {
          held -= costOf(model[0]?.key ?? '');
          model = model.slice(1);
        }
      } else {
        const found = model.find((entry) => entry.key === key);
        assert.deepEqual(cache.get(key), found?.vector, `step ${step}: get ${key}`);
        if (found !== undefined) model = [...model.filter((entry) => entry !== found), found];
      }
      assert.equal(cache.size, model.length, `step ${step}: size`);
      assert.equal(cache.bytes, model.reduce((sum, entry) => sum + costOf(entry.key), 0), `step ${step}: bytes`);
    }
    assert.ok(model.length > 0);
    cache.clear();
    assert.equal(cache.size, 0);
    assert.equal(cache.bytes, 0);
    assert.equal(cache.get(model[0]?.key ?? ''), undefined);
  });
});

describe('CircuitBreaker', () => {
  test('opens after failures in a row, half-opens one trial after openMs, closes on success', async () => {
    const clock = new FakeScheduler();
    const breaker = new CircuitBreaker({ failures: 2, openMs: 100, clock });
    assert.equal(breaker.failure(), BreakerChange.none);
    breaker.success();
    assert.equal(breaker.failure(), BreakerChange.none, 'a success resets the count');
    assert.equal(breaker.failure(), BreakerChange.opened);
    assert.equal(breaker.tryAcquire(), false);
    await clock.advance(100);
    assert.equal(breaker.state, BreakerState.halfOpen);
    assert.equal(breaker.tryAcquire(), true);
    assert.equal(breaker.tryAcquire(), false, 'one trial at a time');
    assert.equal(breaker.failure(), BreakerChange.none, 'a failed trial opens again, silently');
    assert.equal(breaker.state, BreakerState.open);
    await clock.advance(100);
    assert.equal(breaker.tryAcquire(), true);
    assert.equal(breaker.success(), BreakerChange.closed);
    assert.equal(breaker.state, BreakerState.closed);
  });
});

describe('cache config', () => {
  test('defaults, and every bad key in one error without echoing CACHE_URL', () => {
    const config = parseConfig({});
    assert.equal(config.cache.memoryMb, undefined);
    assert.equal(config.cache.url, undefined);
    assert.equal(config.cache.scope, CacheScope.key);
    assert.throws(() => parseConfig({
      CACHE_URL: 'http://user:hunter2@cache:6379', CACHE_SCOPE: 'everyone', CACHE_TTL_SECONDS: '0', CACHE_MEMORY_MB: '-1',
    }), (error: unknown) => {
      assert.ok(error instanceof ConfigError);
      assert.equal(error.problems.length, 4);
      assert.ok(!error.message.includes('hunter2'));
      return true;
    });
  });
});

/** An embedder that answers at once and records the texts it was asked for. */
function fakeInner() {
  const asked: string[][] = [];
  const inner: Embedder = {
    embed: async (request: EmbedRequest) => {
      asked.push([...request.texts]);
      return { vectors: request.texts.map(vectorOf), tier: 'cpu', attempts: 1, retries: 0, queueMs: 0, upstreamMs: 1 };
    },
    health: async () => ({ ready: true, tiers: { cpu: [], gpu: [] } }),
    close: async () => undefined,
  };
  return { inner, asked };
}

/** A store the test holds: reads wait until the test answers them (or never do). */
function heldStore() {
  const reads: { keys: readonly string[]; answer: (values: (Uint8Array | null)[] | Error) => void }[] = [];
  const store: SharedStore = {
    getMany: (keys) => new Promise((resolve, reject) => {
      reads.push({ keys, answer: (values) => (values instanceof Error ? reject(values) : resolve(values)) });
    }),
    // Writes wait as long as reads (a slow store is slow both ways) and are never answered.
    setMany: () => new Promise<void>(() => undefined),
    close: async () => undefined,
    started: () => true,
  };
  return { store, reads };
}

describe('caching embedder', () => {
  const setup = (store: SharedStore, lines: string[]) => {
    const scheduler = new FakeScheduler();
    const { inner, asked } = fakeInner();
    const errors: CacheErrorKind[] = [];
    const lookups: CacheLookupRecord[] = [];
    const embedder = createCachingEmbedder({
      inner, memory: undefined, shared: store, identity: 'm', dimension: DIMENSION, scope: CacheScope.key, ttlSeconds: 60,
      timeoutMs: 5, breakerFailures: 2, breakerOpenMs: 1_000, scheduler,
      events: { cacheLookup: (record) => lookups.push(record), cacheError: (kind) => errors.push(kind) },
      logger: createLogger('info', (line) => lines.push(line)),
    });
    const request = (texts: string[]): EmbedRequest => ({ texts, requestId: 'r', deadline: scheduler.now() + 30_000 });
    return { scheduler, embedder, asked, errors, lookups, request };
  };

  test('a slow store costs a request CACHE_TIMEOUT_MS, then the breaker skips it and logs once', async () => {
    const { store, reads } = heldStore();
    const lines: string[] = [];
    const { scheduler, embedder, asked, errors, request } = setup(store, lines);
    for (let i = 0; i < 2; i++) {
      const answer = embedder.embed(request([`t${i}`]));
      await scheduler.advance(5);
      const result = await answer;
      assert.equal(result.cache, 'miss');
      assert.deepEqual(result.vectors, [vectorOf(`t${i}`)]);
    }
    assert.deepEqual(errors, ['timeout', 'timeout']);
    assert.equal(reads.length, 2);
    const skipped = await embedder.embed(request(['t3']));
    assert.deepEqual(skipped.vectors, [vectorOf('t3')]);
    assert.equal(reads.length, 2, 'the open breaker did not ask the store');
    assert.deepEqual(errors, ['timeout', 'timeout', 'skipped']);
    assert.deepEqual(asked, [['t0'], ['t1'], ['t3']]);
    const events = lines.map((line) => (JSON.parse(line) as { event?: string; msg?: string }));
    assert.equal(lines.filter((line) => line.includes('cache_shared_unavailable')).length, 1, JSON.stringify(events));
    assert.ok(!lines.some((line) => /t[0-3]/.test(line.replace(/"time":"[^"]*"/, ''))), 'no text in a log line');
    assert.equal(embedder.cacheSnapshot().sharedOpen, true);
    // After openMs one request tries the store; its answer closes the breaker.
    await scheduler.advance(1_000);
    const trial = embedder.embed(request(['t0']));
    await scheduler.advance(0);
    assert.equal(reads.length, 3, `state ${JSON.stringify(embedder.cacheSnapshot())} errors ${errors.join()}`);
    reads[2]?.answer([encodeVector(vectorOf('t0'))]);
    const served = await trial;
    assert.equal(served.cache, 'hit');
    assert.equal(embedder.cacheSnapshot().sharedOpen, false);
    assert.equal(lines.filter((line) => line.includes('cache_shared_recovered')).length, 1);
  });
});

test('cache keys are the SHA-256 of version, identity, scope and text, as a Hash updated part by part gives them', async () => {
  const { createHash } = await import('node:crypto');
  const makeKey = createKeyMaker('model-x');
  // The digest keys had before they were computed in one step: the shared store's entries stay valid.
  const partByPart = (scope: string, text: string): string => SHARED_KEY_PREFIX +
    createHash('sha256').update(`1\u0000model-x\u0000`).update(scope).update('\u0000').update(text).digest('base64url');
  for (const text of ['', 'a', 'café ☕ 𝄞', 'x'.repeat(10_000), '\u00e9\u0301']) {
    for (const scope of ['*', '-', 'k:team']) assert.equal(makeKey(scope, text), partByPart(scope, text));
  }
});
