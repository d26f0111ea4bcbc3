/**
 * The embedding cache through the real front door, with a real redis-server and a loopback DJL
 * stand-in that counts the texts it receives: hits and partial hits in input order, the shared
 * level across front doors, TTL expiry, scope isolation between API keys, Cache-Control bypass,
 * corrupted and foreign values, no text in any key or value, the cache dying and coming back
 * mid-load with no client error, the header, /info and the metrics.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { SHARED_KEY_PREFIX } from '../../shared/cache/cache-key';
import { hashApiKey } from '../../shared/security/api-keys';
import { eventually } from '../helpers/eventually';
import { post, startFrontDoor, type TestFrontDoor } from '../helpers/front-door';
import { parseExposition, valueOf } from '../helpers/prometheus-text';
import { startRedis, type TestRedis } from '../helpers/redis-server';
import { assertAnswers, type CountingBackend as Backend, DIMENSION, startCountingBackend as startBackend } from '../helpers/counting-backend';

const KEYS = { alice: 'efd_alice-key-0001', bob: 'efd_bob-key-000002' } as const;
const API_KEYS = `alice:${hashApiKey(KEYS.alice)},bob:${hashApiKey(KEYS.bob)}`;
const as = (key: string) => ({ authorization: `Bearer ${key}` });


async function embed(door: TestFrontDoor, texts: string[], headers: Record<string, string> = {}) {
  const answer = await post(`${door.url}/embed`, { inputs: texts }, headers);
  assert.equal(answer.status, 200, answer.text);
  return { vectors: answer.body as number[][], cache: answer.headers.get('x-embed-cache'), tier: answer.headers.get('x-embed-tier') };
}


/** Every key the front doors wrote, and their values. */
async function storedEntries(redis: TestRedis): Promise<[string, Buffer][]> {
  const keys = await redis.client.keys('*');
  const values = keys.length === 0 ? [] : await redis.client.mgetBuffer(...keys);
  return keys.map((key, i) => [key, values[i] as Buffer]);
}

describe('embedding cache', () => {
  let redis: TestRedis;
  let backend: Backend;
  const doors: TestFrontDoor[] = [];
  const env = (extra: Record<string, string> = {}) => ({
    CPU_BACKENDS: backend.url, MODEL_DIMENSION: String(DIMENSION), CACHE_URL: redis.url,
    // Generous on a loaded CI machine: these tests check what is cached, not how fast.
    CACHE_TIMEOUT_MS: '2000',
    // /info and /metrics open with keys too: the test reads them without an operator key.
    PROTECT_OPERATOR_ROUTES: 'false', ...extra,
  });
  const open = async (extra: Record<string, string> = {}): Promise<TestFrontDoor> => {
    const door = await startFrontDoor(env(extra));
    doors.push(door);
    // Until its first connection the shared cache is not asked: wait for it, as /info reports it.
    await eventually(async () => {
      const info = await (await fetch(`${door.url}/info`)).json() as { cache: { shared: string } };
      assert.equal(info.cache.shared, 'in_use');
    }, { message: 'the shared cache to connect' });
    return door;
  };

  before(async () => {
    redis = await startRedis();
    backend = await startBackend();
  });
  after(async () => {
    for (const door of doors) await door.close();
    await backend.close();
    await redis.close();
  });

  test('a repeat is a hit, a mix is a partial hit answered in input order, and only misses reach the backend', async () => {
    await redis.client.flushall();
    const door = await open({ CACHE_MEMORY_MB: '64' });
    const first = await embed(door, ['alpha', 'beta', 'gamma']);
    assert.equal(first.cache, 'miss');
    assertAnswers(['alpha', 'beta', 'gamma'], first.vectors);
    const before = backend.received.length;
    const again = await embed(door, ['gamma', 'alpha', 'beta']);
    assert.equal(again.cache, 'hit');
    assert.equal(again.tier, null, 'no tier served a whole hit');
    assertAnswers(['gamma', 'alpha', 'beta'], again.vectors);
    assert.equal(backend.received.length, before, 'a whole hit sends nothing to the backend');
    const mixed = ['delta', 'alpha', 'epsilon', 'beta', 'delta'];
    const partial = await embed(door, mixed);
    assert.equal(partial.cache, 'partial');
    assertAnswers(mixed, partial.vectors);
    assert.deepEqual(backend.received.slice(before), ['delta', 'epsilon'], 'only the misses, once each');
  });

  test('the shared level answers a second front door, within its own memory cache off', async () => {
    await redis.client.flushall();
    const writer = await open({ CACHE_MEMORY_MB: '0' });
    await embed(writer, ['shared one', 'shared two']);
    // Written after the answer, without the client waiting: wait for the keys, not for time.
    await eventually(async () => assert.equal((await redis.client.keys(`${SHARED_KEY_PREFIX}*`)).length, 2));
    const reader = await open({ CACHE_MEMORY_MB: '0' });
    const before = backend.received.length;
    const answer = await embed(reader, ['shared two', 'shared one']);
    assert.equal(answer.cache, 'hit');
    assertAnswers(['shared two', 'shared one'], answer.vectors);
    assert.equal(backend.received.length, before);
  });

  test('entries expire after CACHE_TTL_SECONDS', async () => {
    await redis.client.flushall();
    const door = await open({ CACHE_MEMORY_MB: '0', CACHE_TTL_SECONDS: '1' });
    await embed(door, ['short lived']);
    const [key] = await eventually(async () => {
      const keys = await redis.client.keys(`${SHARED_KEY_PREFIX}*`);
      assert.equal(keys.length, 1);
      return keys;
    });
    const ttl = await redis.client.ttl(key as string);
    assert.ok(ttl > 0 && ttl <= 1, `TTL ${ttl} s`);
    await eventually(async () => assert.equal(await redis.client.exists(key as string), 0), { message: 'the key to expire' });
    const before = backend.received.length;
    assert.equal((await embed(door, ['short lived'])).cache, 'miss');
    assert.deepEqual(backend.received.slice(before), ['short lived']);
  });

  test('API keys do not share entries unless CACHE_SCOPE=global', async () => {
    await redis.client.flushall();
    const scoped = await open({ API_KEYS, CACHE_MEMORY_MB: '0' });
    assert.equal((await embed(scoped, ['private text'], as(KEYS.alice))).cache, 'miss');
    await eventually(async () => assert.equal((await redis.client.keys('*')).length, 1));
    assert.equal((await embed(scoped, ['private text'], as(KEYS.bob))).cache, 'miss', "bob is not served alice's entry");
    assert.equal((await embed(scoped, ['private text'], as(KEYS.alice))).cache, 'hit');

    await redis.client.flushall();
    const global = await open({ API_KEYS, CACHE_MEMORY_MB: '0', CACHE_SCOPE: 'global' });
    await embed(global, ['common text'], as(KEYS.alice));
    await eventually(async () => assert.equal((await redis.client.keys('*')).length, 1));
    assert.equal((await embed(global, ['common text'], as(KEYS.bob))).cache, 'hit');
  });

  test('Cache-Control: no-cache is not answered from the cache, no-store is not stored either', async () => {
    await redis.client.flushall();
    const door = await open();
    await embed(door, ['bypassed']);
    const before = backend.received.length;
    const fresh = await embed(door, ['bypassed'], { 'cache-control': 'no-cache' });
    assert.equal(fresh.cache, 'bypass');
    assertAnswers(['bypassed'], fresh.vectors);
    assert.deepEqual(backend.received.slice(before), ['bypassed']);
    await embed(door, ['never kept'], { 'cache-control': 'no-store' });
    assert.equal((await embed(door, ['never kept'])).cache, 'miss', 'no-store left nothing behind');
  });

  test('a corrupted or foreign value is ignored, counted, and embedded again', async () => {
    await redis.client.flushall();
    const door = await open({ CACHE_MEMORY_MB: '0' });
    await embed(door, ['to corrupt', 'to replace']);
    const keys = await eventually(async () => {
      const found = await redis.client.keys(`${SHARED_KEY_PREFIX}*`);
      assert.equal(found.length, 2);
      return found;
    });
    // One value of the wrong length, one of another version with the right length.
    await redis.client.set(keys[0] as string, Buffer.from([1, 2, 3]));
    const foreign = Buffer.alloc(1 + DIMENSION * 4);
    foreign[0] = 99;
    await redis.client.set(keys[1] as string, foreign);
    const before = backend.received.length;
    const answer = await embed(door, ['to corrupt', 'to replace']);
    assert.equal(answer.cache, 'miss');
    assertAnswers(['to corrupt', 'to replace'], answer.vectors);
    assert.deepEqual(backend.received.slice(before).sort(), ['to corrupt', 'to replace']);
    const metrics = parseExposition(await (await fetch(`${door.url}/metrics`)).text());
    assert.equal(valueOf(metrics, 'efd_cache_errors_total', { kind: 'invalid' }), 2);
    // Rewritten with good values: the next read hits.
    await eventually(async () => assert.equal((await embed(door, ['to corrupt', 'to replace'])).cache, 'hit'));
  });

  test('no text appears in any key or value', async () => {
    await redis.client.flushall();
    const secret = 'the quick brown fox jumps over the lazy dog';
    const door = await open({ API_KEYS });
    const texts = [secret, `${secret} twice`, 'ünïcödé ✓', 'short text'];
    await embed(door, texts, as(KEYS.alice));
    const entries = await eventually(async () => {
      const found = await storedEntries(redis);
      assert.equal(found.length, texts.length);
      return found;
    });
    for (const [key, value] of entries) {
      assert.match(key, new RegExp(`^${SHARED_KEY_PREFIX}[A-Za-z0-9_-]{43}$`), 'a key is a prefix and a SHA-256 digest');
      assert.equal(value.length, 1 + DIMENSION * 4);
      for (const text of [...texts, 'alice', 'quick', 'fox']) {
        assert.ok(!key.includes(text), 'no text in a key');
        assert.ok(!value.includes(Buffer.from(text)), 'no text in a value');
      }
    }
  });

  test('x-embed-cache, /info and the metrics count hits and misses', async () => {
    await redis.client.flushall();
    const door = await open({ CACHE_MEMORY_MB: '64' });
    await embed(door, ['m1', 'm2']);
    await embed(door, ['m1', 'm2']);
    await embed(door, ['m1', 'm3']);
    const info = await (await fetch(`${door.url}/info`)).json() as { cache: Record<string, unknown> };
    assert.equal(info.cache.lookups, 6);
    assert.equal(info.cache.hits, 3);
    assert.equal(info.cache.hit_ratio, 0.5);
    assert.equal(info.cache.memory_entries, 3);
    assert.equal(info.cache.shared, 'in_use');
    const metrics = parseExposition(await (await fetch(`${door.url}/metrics`)).text());
    assert.equal(valueOf(metrics, 'efd_cache_requests_total', { result: 'miss' }), 1);
    assert.equal(valueOf(metrics, 'efd_cache_requests_total', { result: 'hit' }), 1);
    assert.equal(valueOf(metrics, 'efd_cache_requests_total', { result: 'partial' }), 1);
    assert.equal(valueOf(metrics, 'efd_cache_texts_total', { source: 'memory' }), 3);
    assert.equal(valueOf(metrics, 'efd_cache_texts_total', { source: 'miss' }), 3);
    assert.ok((valueOf(metrics, 'efd_cache_memory_bytes', {}) ?? 0) > 3 * DIMENSION * 4);
    assert.equal(valueOf(metrics, 'efd_requests_total', { route: '/embed', method: 'POST', status: '200', tier: 'cache' }), 1);
  });
});
