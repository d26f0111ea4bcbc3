/**
 * The shared cache dying and coming back mid-load, through the real front door with a real
 * redis-server of its own: every request answered, the breaker opens and closes, shared hits resume.
 */
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { eventually } from '../helpers/eventually';
import { post, startFrontDoor, type TestFrontDoor } from '../helpers/front-door';
import { parseExposition, valueOf } from '../helpers/prometheus-text';
import { startRedis, type TestRedis } from '../helpers/redis-server';

const DIMENSION = 8;

/** A vector that names its text: the test can tell which text each answer belongs to. */
function vectorOf(text: string): number[] {
  let hash = 0;
  for (let i = 0; i < text.length; i++) hash = (hash * 31 + text.charCodeAt(i)) >>> 0;
  return Array.from({ length: DIMENSION }, (_, i) => ((hash >>> (i * 4)) & 0xf) / 16 + text.length / 1024);
}
const close = (a: readonly number[], b: readonly number[]): boolean => a.length === b.length && a.every((x, i) => Math.abs(x - (b[i] as number)) < 1e-6);

/** A DJL stand-in answering every batch at once and counting the texts it received. */
async function startBackend() {
  const received: string[] = [];
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    if (req.method === 'GET') {
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"m": {"status": "Healthy"}}');
      return;
    }
    let body = '';
    req.on('data', (chunk: Buffer) => (body += String(chunk)));
    req.on('end', () => {
      const json = JSON.parse(body) as string[] | { inputs: string[] };
      const texts = Array.isArray(json) ? json : json.inputs;
      received.push(...texts);
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(texts.map(vectorOf)));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/predictions/m`,
    received,
    close: () => new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    }),
  };
}
type Backend = Awaited<ReturnType<typeof startBackend>>;

function assertAnswers(texts: readonly string[], vectors: readonly number[][]): void {
  assert.equal(vectors.length, texts.length);
  texts.forEach((text, i) => assert.ok(close(vectors[i] as number[], vectorOf(text)), `vector ${i} is ${text}'s`));
}

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
