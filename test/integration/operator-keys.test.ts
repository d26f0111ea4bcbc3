/**
 * Operator keys through the real front door: a client key (even one without limits) gets 403 on
 * POST /warmup, /info and /metrics, an operator key is served; PROTECT_OPERATOR_ROUTES=false opens
 * /info and /metrics but never /warmup; one warm-up runs at a time (a second gets 409 with
 * Retry-After, while a held run is under way); and requests the key guard stops are counted under
 * the route they asked for, not as `unmatched`.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { hashApiKey } from '../../shared/security/api-keys';
import type { WarmupRunner, WarmupRunResult } from '../../shared/warmup/run-warmup';
import { parseExposition } from '../helpers/prometheus-text';
import { startFrontDoor, type TestFrontDoor } from '../helpers/front-door';
import { DJL_PROFILES, type DjlSimulator, startDjlSimulator } from '../../tools/djl-simulator/djl-simulator';

const KEYS = { client: 'efd_client-key', operator: 'efd_operator-key' } as const;
const API_KEYS = `app:${hashApiKey(KEYS.client)}:rps=0:tps=0,ops:${hashApiKey(KEYS.operator)}:role=operator:rps=0`;
const OPERATOR_ROUTES = [
  { method: 'POST', path: '/warmup', body: '{"dry_run": true}' },
  { method: 'GET', path: '/info' },
  { method: 'GET', path: '/metrics' },
] as const;

const bearer = (key: string): Record<string, string> => ({ authorization: `Bearer ${key}` });
const DONE: WarmupRunResult = { at: 0, leadMs: 0, actions: [], results: [], unreadable: [] };

interface HeldRun {
  release(): void;
  fail(error: Error): void;
}

/**
 * A warm-up that answers at once unless the test asked it to hold the next run: `holdNext`
 * resolves with that run once it has started, and the run ends when the test settles it. So a
 * test waits for that event, never for time, and a run the test did not expect (a refused key
 * let through, a second run let in) answers instead of hanging the test.
 */
class HeldWarmup {
  runs = 0;
  private holding: ((run: HeldRun) => void) | undefined;

  readonly runner: WarmupRunner = async () => {
    this.runs++;
    const started = this.holding;
    this.holding = undefined;
    if (started === undefined) return DONE;
    return new Promise<WarmupRunResult>((resolve, reject) => started({ release: () => resolve(DONE), fail: reject }));
  };

  /** Holds the next run; resolves once it has started. */
  holdNext(): Promise<HeldRun> {
    return new Promise((resolve) => { this.holding = resolve; });
  }
}

async function call(url: string, route: { method: string; path: string; body?: string }, headers: Record<string, string> = {}): Promise<{ status: number; headers: Headers; body: any }> {
  const response = await fetch(`${url}${route.path}`, {
    method: route.method,
    headers: route.body === undefined ? headers : { 'content-type': 'application/json', ...headers },
    body: route.body,
  });
  const text = await response.text();
  return { status: response.status, headers: response.headers, body: response.headers.get('content-type')?.startsWith('application/json') ? JSON.parse(text) : text };
}

describe('operator keys', () => {
  let sim: DjlSimulator;
  let door: TestFrontDoor;
  let open: TestFrontDoor;
  const warmup = new HeldWarmup();
  const openWarmup = new HeldWarmup();

  before(async () => {
    sim = await startDjlSimulator({ ...DJL_PROFILES.zero });
    door = await startFrontDoor({ CPU_BACKENDS: sim.predictionsUrl, API_KEYS }, undefined, { warmup: () => warmup.runner });
    open = await startFrontDoor({ CPU_BACKENDS: sim.predictionsUrl, API_KEYS, PROTECT_OPERATOR_ROUTES: 'false' }, undefined, { warmup: () => openWarmup.runner });
  });
  after(async () => {
    await door.close();
    await open.close();
    await sim.close();
  });

  for (const route of OPERATOR_ROUTES) {
    test(`${route.method} ${route.path}: a client key gets 403 saying an operator key is needed, no key 401, an operator key is served`, async () => {
      const runs = warmup.runs;
      const refused = await call(door.url, route, bearer(KEYS.client));
      assert.equal(refused.status, 403);
      assert.equal(refused.body.error_type, 'Forbidden');
      assert.match(refused.body.error, /^this route needs an operator key: API key app is a client key; .*:role=operator/);
      assert.equal(refused.headers.get('www-authenticate'), null, 'the key is valid: nothing to authenticate again');
      assert.equal((await call(door.url, route)).status, 401);
      assert.equal(warmup.runs, runs, 'no warm-up ran for a refused key');
      const served = await call(door.url, route, bearer(KEYS.operator));
      assert.equal(served.status, 200, JSON.stringify(served.body));
    });
  }

  test('an operator key embeds like a client key', async () => {
    assert.equal((await call(door.url, { method: 'POST', path: '/embed', body: '{"inputs": ["a"]}' }, bearer(KEYS.operator))).status, 200);
  });

  test('PROTECT_OPERATOR_ROUTES=false opens /info and /metrics, but POST /warmup still needs an operator key', async () => {
    for (const path of ['/info', '/metrics']) {
      assert.equal((await call(open.url, { method: 'GET', path })).status, 200, path);
      assert.equal((await call(open.url, { method: 'GET', path }, bearer(KEYS.client))).status, 200, path);
    }
    const route = OPERATOR_ROUTES[0];
    assert.equal((await call(open.url, route)).status, 401);
    assert.equal((await call(open.url, route, bearer(KEYS.client))).status, 403);
    assert.equal(openWarmup.runs, 0);
    assert.equal((await call(open.url, route, bearer(KEYS.operator))).status, 200);
  });

  test('one warm-up at a time: a second POST /warmup while one runs gets 409 with Retry-After; the next after it is served', async () => {
    const route = { method: 'POST', path: '/warmup' } as const;
    const held = warmup.holdNext();
    const first = call(door.url, route, bearer(KEYS.operator));
    const running = await held;
    const runs = warmup.runs;
    const second = await call(door.url, { ...route, body: '{"dry_run": true}' }, bearer(KEYS.operator));
    assert.equal(second.status, 409);
    assert.ok(Number(second.headers.get('retry-after')) >= 1);
    assert.match(second.body.error, /a warm-up run is already under way/);
    assert.equal(warmup.runs, runs, 'the second run never started');
    running.release();
    assert.equal((await first).status, 200);
    assert.equal((await call(door.url, route, bearer(KEYS.operator))).status, 200);
  });

  test('a run that fails frees the warm-up for the next one', async () => {
    const route = { method: 'POST', path: '/warmup' } as const;
    const held = warmup.holdNext();
    const failing = call(door.url, route, bearer(KEYS.operator));
    (await held).fail(new Error('scaler exploded'));
    assert.equal((await failing).status, 500);
    assert.equal((await call(door.url, route, bearer(KEYS.operator))).status, 200);
  });

  test('requests the key guard stops are counted under the route they asked for', async () => {
    const counts = async (): Promise<(route: string, status: string) => number> => {
      const { samples } = parseExposition((await call(open.url, { method: 'GET', path: '/metrics' })).body as string);
      return (route, status) => samples
        .filter((sample) => sample.name === 'efd_requests_total' && sample.labels.route === route && sample.labels.status === status)
        .reduce((sum, sample) => sum + sample.value, 0);
    };
    const before = await counts();
    assert.equal((await call(open.url, { method: 'POST', path: '/v1/embeddings', body: '{"input": "a", "model": "m"}' })).status, 401);
    assert.equal((await call(open.url, { method: 'POST', path: '/predictions/all_MiniLM_L6_v2', body: '["a"]' })).status, 401);
    assert.equal((await call(open.url, { method: 'POST', path: '/warmup' }, bearer(KEYS.client))).status, 403);
    assert.equal((await call(open.url, { method: 'POST', path: '/v1/no-such-route' })).status, 401);
    const now = await counts();
    const added = (route: string, status: string): number => now(route, status) - before(route, status);
    assert.deepEqual(
      [added('/v1/embeddings', '401'), added('/predictions/:model', '401'), added('/warmup', '403')],
      [1, 1, 1],
    );
    // A path no route has stays `unmatched`, keeping the label's values bounded.
    assert.equal(added('unmatched', '401'), 1);
  });
});
