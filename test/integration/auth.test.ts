/**
 * API keys on every route and in every header form, per-key limits, security headers and CORS,
 * through the real server and the openai SDK.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import OpenAI from 'openai';
import { hashApiKey } from '../../shared/security/api-keys';
import { startFrontDoor, type TestFrontDoor } from '../helpers/front-door';
import { DJL_PROFILES, type DjlSimulator, startDjlSimulator } from '../../tools/djl-simulator/djl-simulator';

const KEYS = { current: 'efd_current-key', next: 'efd_next-key', slow: 'efd_two-per-second', few: 'efd_five-texts', ops: 'efd_operator-key' } as const;
const API_KEYS = [
  `current:${hashApiKey(KEYS.current)}`,
  `ops:${hashApiKey(KEYS.ops)}:role=operator`,
  `next:${hashApiKey(KEYS.next)}`,
  `slow:${hashApiKey(KEYS.slow)}:rps=2`,
  `few:${hashApiKey(KEYS.few)}:tps=5`,
].join(',');

interface Route {
  readonly method: 'GET' | 'POST';
  readonly path: string;
  readonly body?: string;
  readonly contentType?: string;
  readonly dialect: 'openai' | 'tei' | 'djl';
  /** An operator route: served to an operator key only (test/integration/operator-keys.test.ts has the rest). */
  readonly operator?: true;
}

const ROUTES: readonly Route[] = [
  { method: 'POST', path: '/v1/embeddings', body: '{"input": ["a"], "model": "m"}', dialect: 'openai' },
  { method: 'GET', path: '/v1/models', dialect: 'openai' },
  { method: 'POST', path: '/embed', body: '{"inputs": ["a"]}', dialect: 'tei' },
  { method: 'POST', path: '/predictions/all_MiniLM_L6_v2', body: 'a', contentType: 'text/plain', dialect: 'djl' },
  { method: 'POST', path: '/predictions/all_MiniLM_L6_v2/1', body: '["a"]', dialect: 'djl' },
  { method: 'POST', path: '/models/all_MiniLM_L6_v2/invoke', body: '["a"]', dialect: 'djl' },
  { method: 'POST', path: '/invocations', body: '{"inputs": ["a"]}', dialect: 'djl' },
  { method: 'GET', path: '/info', dialect: 'tei', operator: true },
  { method: 'GET', path: '/metrics', dialect: 'tei', operator: true },
];

const HEADER_FORMS: Readonly<Record<string, (key: string) => Record<string, string>>> = {
  'Authorization: Bearer': (key) => ({ authorization: `Bearer ${key}` }),
  'api-key': (key) => ({ 'api-key': key }),
  'x-api-key': (key) => ({ 'x-api-key': key }),
};

async function call(url: string, route: Route, headers: Record<string, string> = {}): Promise<{ status: number; headers: Headers; body: any }> {
  const response = await fetch(`${url}${route.path}`, {
    method: route.method,
    headers: route.body === undefined ? headers : { 'content-type': route.contentType ?? 'application/json', ...headers },
    body: route.body,
  });
  const text = await response.text();
  const json = response.headers.get('content-type')?.startsWith('application/json') === true;
  return { status: response.status, headers: response.headers, body: json ? JSON.parse(text) : text || undefined };
}

function assertUnauthorized(route: Route, body: any): void {
  if (route.dialect === 'openai') {
    assert.equal(body.error.type, 'authentication_error');
    assert.equal(body.error.code, 'invalid_api_key');
  } else if (route.dialect === 'tei') {
    assert.equal(body.error_type, 'Unauthorized');
  } else {
    assert.deepEqual([body.code, body.type], [401, 'UnauthorizedException']);
  }
}

describe('API keys', () => {
  let sim: DjlSimulator;
  let door: TestFrontDoor;
  let open: TestFrontDoor;

  before(async () => {
    sim = await startDjlSimulator({ ...DJL_PROFILES.zero });
    door = await startFrontDoor({ CPU_BACKENDS: sim.predictionsUrl, API_KEYS });
    open = await startFrontDoor({
      CPU_BACKENDS: sim.predictionsUrl, API_KEYS, PROTECT_OPERATOR_ROUTES: 'false', CORS_ORIGINS: 'https://app.example',
    });
  });
  after(async () => {
    await door.close();
    await open.close();
    await sim.close();
  });

  for (const route of ROUTES) {
    test(`${route.method} ${route.path}: 401 in its dialect without a key or with a wrong one, the same answer for both`, async () => {
      const missing = await call(door.url, route);
      assert.equal(missing.status, 401);
      assert.equal(missing.headers.get('www-authenticate'), 'Bearer realm="embed-front-door"');
      assertUnauthorized(route, missing.body);
      const forms: Record<string, string>[] = [
        { authorization: 'Bearer efd_wrong' }, { authorization: `Bearer ${KEYS.current}x` }, { authorization: KEYS.current },
        { 'api-key': KEYS.current.slice(0, -1) }, { 'x-api-key': hashApiKey(KEYS.current) }, { authorization: 'Basic abc' },
      ];
      for (const headers of forms) {
        const wrong = await call(door.url, route, headers);
        assert.equal(wrong.status, 401, JSON.stringify(headers));
        assert.deepEqual(wrong.body, missing.body, 'no hint of which part was wrong');
      }
    });

    for (const [form, headers] of Object.entries(HEADER_FORMS)) {
      test(`${route.method} ${route.path}: served with the key in ${form}`, async () => {
        const answer = await call(door.url, route, headers(route.operator ? KEYS.ops : KEYS.current));
        assert.equal(answer.status, 200, JSON.stringify(answer.body));
      });
    }
  }

  test('both keys of a rotation are accepted at once', async () => {
    for (const key of [KEYS.current, KEYS.next]) {
      assert.equal((await call(door.url, ROUTES[0]!, { authorization: `Bearer ${key}` })).status, 200);
    }
  });

  test('/ping and /health stay open; /info and /metrics are open when PROTECT_OPERATOR_ROUTES=false, embeds are not', async () => {
    for (const path of ['/ping', '/health']) assert.equal((await fetch(`${door.url}${path}`)).status, 200, path);
    assert.equal((await fetch(`${open.url}/info`)).status, 200);
    assert.equal((await fetch(`${open.url}/metrics`)).status, 200);
    assert.equal((await call(open.url, ROUTES[0]!)).status, 401);
  });

  test('the openai SDK authenticates with its apiKey and gets AuthenticationError with a wrong one', async () => {
    const client = new OpenAI({ baseURL: `${door.url}/v1`, apiKey: KEYS.next, maxRetries: 0 });
    const { data } = await client.embeddings.create({ model: 'all-MiniLM-L6-v2', input: ['first chunk'] });
    assert.equal(data[0]?.embedding.length, 384);
    const wrong = new OpenAI({ baseURL: `${door.url}/v1`, apiKey: 'efd_wrong', maxRetries: 0 });
    await assert.rejects(wrong.embeddings.create({ model: 'm', input: ['a'] }), OpenAI.AuthenticationError);
  });

  test('requests/s per key: 429 with Retry-After in each dialect; other keys unaffected', async () => {
    const headers = { 'x-api-key': KEYS.slow };
    for (const route of [ROUTES[0]!, ROUTES[2]!, ROUTES[3]!]) {
      let limited;
      for (let attempt = 0; attempt < 4 && limited === undefined; attempt++) {
        const answer = await call(door.url, route, headers);
        if (answer.status === 429) limited = answer;
        else assert.equal(answer.status, 200);
      }
      assert.ok(limited, `${route.path}: the third request within a second is refused`);
      assert.ok(Number(limited.headers.get('retry-after')) >= 1);
      if (route.dialect === 'openai') assert.deepEqual([limited.body.error.type, limited.body.error.code], ['rate_limit_error', 'rate_limited']);
      if (route.dialect === 'tei') assert.equal(limited.body.error_type, 'Overloaded');
      if (route.dialect === 'djl') assert.deepEqual([limited.body.code, limited.body.type], [429, 'WlmCapacityException']);
    }
    assert.equal((await call(door.url, ROUTES[0]!, { 'x-api-key': KEYS.current })).status, 200);
  });

  test('texts/s per key: counted once the body is parsed', async () => {
    const headers = { authorization: `Bearer ${KEYS.few}`, 'content-type': 'application/json' };
    const send = (texts: number) => fetch(`${door.url}/embed`, { method: 'POST', headers, body: JSON.stringify({ inputs: Array(texts).fill('t') }) });
    assert.equal((await send(5)).status, 200);
    // Five texts again, not one: one text flows back in 200 ms, which a loaded machine can take
    // between two requests; five take a second. Counted per request, these would both pass.
    const refused = await send(5);
    assert.equal(refused.status, 429);
    assert.match((await refused.json() as { error: string }).error, /few is over its limit of 5 texts per second/);
  });

  test('security headers on every answer; no CORS unless configured', async () => {
    for (const response of [await fetch(`${door.url}/ping`), await fetch(`${door.url}/embed`, { method: 'POST' })]) {
      assert.equal(response.headers.get('x-content-type-options'), 'nosniff');
      assert.equal(response.headers.get('cache-control'), 'no-store');
      assert.equal(response.headers.get('x-frame-options'), 'SAMEORIGIN');
      assert.match(response.headers.get('content-security-policy') ?? '', /default-src 'none'/);
    }
    const cross = await fetch(`${door.url}/ping`, { headers: { origin: 'https://evil.example' } });
    assert.equal(cross.headers.get('access-control-allow-origin'), null);
    const preflight = await fetch(`${open.url}/v1/embeddings`, {
      method: 'OPTIONS', headers: { origin: 'https://app.example', 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization' },
    });
    assert.equal(preflight.status, 204);
    assert.equal(preflight.headers.get('access-control-allow-origin'), 'https://app.example');
    const other = await fetch(`${open.url}/ping`, { headers: { origin: 'https://evil.example' } });
    assert.equal(other.headers.get('access-control-allow-origin'), null);
  });
});
