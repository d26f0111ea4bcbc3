/**
 * The shared cache dying and coming back mid-load, through the real front door with a real
 * redis-server of its own: every request answered, the breaker opens and closes, shared hits resume.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { eventually } from '../helpers/eventually';
import { post, startFrontDoor, type TestFrontDoor } from '../helpers/front-door';
import { parseExposition, valueOf } from '../helpers/prometheus-text';
import { startRedis, type TestRedis } from '../helpers/redis-server';
import { assertAnswers, type CountingBackend as Backend, DIMENSION, startCountingBackend as startBackend } from '../helpers/counting-backend';




describe('embedding cache outage', () => {
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

  test('the cache dying and coming back mid-load: every request answered, the breaker opens and closes', async () => {
    await redis.client.flushall();
    const door = await open({
      CACHE_MEMORY_MB: '0', CACHE_TIMEOUT_MS: '200', CACHE_BREAKER_FAILURES: '2', CACHE_BREAKER_OPEN_MS: '100',
    });
    let stop = false;
    const failures: string[] = [];
    let answered = 0;
    let round = 0;
    const client = async (id: number): Promise<void> => {
      while (!stop) {
        round++;
        const texts = [`load ${id} ${round % 7}`, `load shared ${round % 5}`];
        const answer = await post(`${door.url}/embed`, { inputs: texts });
        if (answer.status !== 200) failures.push(`${answer.status} ${answer.text}`);
        else {
          assertAnswers(texts, answer.body as number[][]);
          answered++;
        }
      }
    };
    const load = Promise.all([client(1), client(2), client(3)]);
    const metric = async (name: string, labels: Record<string, string>) =>
      valueOf(parseExposition(await (await fetch(`${door.url}/metrics`)).text()), name, labels) ?? 0;
    try {
      await eventually(async () => assert.ok(await metric('efd_cache_texts_total', { source: 'shared' }) > 0), { message: 'shared hits' });
      await redis.stop();
      await eventually(async () => assert.equal(await metric('efd_cache_shared_breaker_open', {}), 1), { message: 'the breaker to open' });
      const answeredWhileDown = answered;
      await eventually(() => answered > answeredWhileDown + 10, { message: 'requests answered while the cache is down' });
      await redis.start();
      await eventually(async () => assert.equal(await metric('efd_cache_shared_breaker_open', {}), 0), { message: 'the breaker to close' });
      const sharedHits = await metric('efd_cache_texts_total', { source: 'shared' });
      await eventually(async () => assert.ok(await metric('efd_cache_texts_total', { source: 'shared' }) > sharedHits), { message: 'shared hits again' });
    } finally {
      stop = true;
      await load;
    }
    assert.deepEqual(failures, [], 'no client saw an error');
  });
});
