/**
 * Property-based fuzzing of every route: thousands of random and malformed bodies, headers, paths
 * and methods against a real front door over a healthy zero-cost simulator. Every answer must be
 * 2xx or 4xx (a healthy backend leaves no room for 5xx), nothing may reject unhandled, nothing may
 * be logged as an error, and a valid request is still served afterwards.
 */
import assert from 'node:assert/strict';
import { Agent, request } from 'node:http';
import { after, before, describe, test } from 'node:test';
import fc from 'fast-check';
import { createLogger } from '../../shared/logger';
import { hashApiKey } from '../../shared/security/api-keys';
import { post, startFrontDoor, type TestFrontDoor } from '../helpers/front-door';
import { DJL_PROFILES, type DjlSimulator, startDjlSimulator } from '../../tools/djl-simulator/djl-simulator';

const KEY = 'efd_fuzz-key';
/** Runs per property; about 2,400 requests in all, a few seconds on loopback. */
const RUNS = { knownRoutes: 1_600, randomPaths: 800 } as const;
/** Fixed so a failure is reproducible; fast-check prints the counterexample. */
const SEED = 20_261_128;

const KNOWN_PATHS = [
  '/v1/embeddings', '/embed', '/predictions/all_MiniLM_L6_v2', '/predictions/all-MiniLM-L6-v2/1', '/models/all_MiniLM_L6_v2/invoke',
  '/invocations', '/invocations?model_name=all_MiniLM_L6_v2', '/ping', '/health', '/info', '/v1/models',
];
const METHODS = ['GET', 'POST', 'POST', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'HEAD', 'PROPFIND'];

/** A header value Node's client will send: printable ASCII. */
const headerValue = fc.stringMatching(/^[\x20-\x7e]{0,60}$/);

const authHeaders = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom({ authorization: `Bearer ${KEY}` }, { 'api-key': KEY }, { 'x-api-key': KEY }) },
  { weight: 1, arbitrary: fc.constant({}) },
  { weight: 2, arbitrary: headerValue.map((value) => ({ authorization: value })) },
  { weight: 1, arbitrary: headerValue.map((value) => ({ authorization: `Bearer ${value}`, 'x-api-key': value })) },
);

const contentType = fc.option(fc.oneof(
  fc.constantFrom('application/json', 'application/json; charset=utf-8', 'APPLICATION/JSON', 'text/plain', ';;;', 'multipart/form-data; boundary=x', 'application/x-www-form-urlencoded'),
  headerValue,
), { nil: undefined });

/**
 * Below this a valid client deadline can run out in flight on a loaded machine (a 504, which the
 * fuzz would count as a failure at random), so the fuzz sends only invalid deadlines and ones at
 * least this long; short deadlines have their own tests (dispatch: a fast 429).
 */
const MIN_FUZZ_DEADLINE_MS = 1_000;
const isShortDeadline = (value: string): boolean => {
  const asked = Number(value);
  return Number.isInteger(asked) && asked >= 1 && asked < MIN_FUZZ_DEADLINE_MS;
};

const otherHeaders = fc.record({
  'x-request-timeout-ms': fc.option(fc.oneof(headerValue, fc.integer().map(String)).filter((value) => !isShortDeadline(value)), { nil: undefined }),
  'x-request-id': fc.option(headerValue, { nil: undefined }),
  origin: fc.option(fc.constantFrom('https://evil.example', 'null'), { nil: undefined }),
}, { requiredKeys: [] });

const texts = fc.oneof(fc.string(), fc.fullUnicodeString(), fc.string({ unit: 'binary' }), fc.constantFrom('', '\u0000', '\ud800', '\u202e', '\uffff'));
const anything = fc.oneof(fc.jsonValue(), texts, fc.array(texts, { maxLength: 8 }));

/** Bodies: valid-shaped with random fields, random JSON, broken JSON, deep nesting, odd numbers. */
const body = fc.oneof(
  fc.record({ input: anything, model: fc.oneof(fc.string(), fc.jsonValue()), encoding_format: fc.oneof(fc.constantFrom('float', 'base64'), fc.jsonValue()), dimensions: fc.jsonValue() }, { requiredKeys: [] }).map((value) => JSON.stringify(value)),
  fc.record({ inputs: anything, normalize: fc.jsonValue(), truncate: fc.jsonValue() }, { requiredKeys: [] }).map((value) => JSON.stringify(value)),
  fc.array(texts, { maxLength: 10 }).map((value) => JSON.stringify(value)),
  fc.jsonValue().map((value) => JSON.stringify(value)),
  fc.string(),
  fc.fullUnicodeString(),
  fc.tuple(fc.integer({ min: 1, max: 5_000 }), fc.constantFrom('[', '{', '{"inputs":', '["a",')).map(([depth, open]) => open.repeat(depth)),
  fc.constantFrom('1e999999', '-0', '{"input": 1e400}', '{"input": [' + '9'.repeat(400) + ']}', '{"__proto__": {"input": "x"}}', 'null', '""', '{"input": "a"'),
);

/** Paths: known routes, random segments, encoded and traversal tricks, query strings. */
const segment = fc.oneof(
  fc.constantFrom('..', '.', '%2e%2e', '%2F', '%00', '%ZZ', '%', 'v1', 'embeddings', 'embed', 'predictions', 'all_MiniLM_L6_v2', 'invocations', 'models', 'invoke', '', '~'),
  fc.stringMatching(/^[A-Za-z0-9._~%:@!$&'()*+,;=-]{0,16}$/),
);
const randomPath = fc.tuple(fc.array(segment, { minLength: 1, maxLength: 5 }), fc.option(fc.stringMatching(/^[A-Za-z0-9_=&%.-]{0,30}$/), { nil: undefined }))
  .map(([segments, query]) => `/${segments.join('/')}${query === undefined ? '' : `?${query}`}`);

interface Sent {
  readonly method: string;
  readonly path: string;
  readonly headers: Record<string, string | undefined>;
  readonly body: string;
  readonly chunked: boolean;
}

describe('fuzz', () => {
  let sim: DjlSimulator;
  let door: TestFrontDoor;
  const agent = new Agent({ keepAlive: true, maxSockets: 4 });
  const logLines: string[] = [];
  let unhandled = 0;
  let requests = 0;
  const statuses = new Map<number, number>();
  const onUnhandled = (): void => { unhandled++; };

  before(async () => {
    process.on('unhandledRejection', onUnhandled);
    sim = await startDjlSimulator({ ...DJL_PROFILES.zero });
    door = await startFrontDoor(
      { CPU_BACKENDS: sim.predictionsUrl, API_KEYS: `fuzz:${hashApiKey(KEY)}:rps=0:tps=0`, MAX_ITEMS_PER_REQUEST: '64', MAX_BODY_BYTES: '65536' },
      createLogger('warn', (line) => logLines.push(line)),
    );
  });
  after(async () => {
    agent.destroy();
    await door.close();
    await sim.close();
    process.off('unhandledRejection', onUnhandled);
  });

  function send(sent: Sent): Promise<number> {
    const { port } = new URL(door.url);
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(sent.headers)) if (value !== undefined) headers[name] = value;
    if (!sent.chunked) headers['content-length'] = String(Buffer.byteLength(sent.body));
    return new Promise((resolve, reject) => {
      const outgoing = request({ host: '127.0.0.1', port, method: sent.method, path: sent.path, headers, agent }, (response) => {
        response.resume();
        response.on('end', () => resolve(response.statusCode ?? 0));
        response.on('error', reject);
      });
      outgoing.on('error', reject);
      outgoing.end(sent.body);
    });
  }

  async function check(sent: Sent): Promise<void> {
    const status = await send(sent);
    requests++;
    statuses.set(status, (statuses.get(status) ?? 0) + 1);
    assert.ok(status >= 200 && status < 500, `${sent.method} ${sent.path} answered ${status}`);
  }

  const sentOf = (method: fc.Arbitrary<string>, path: fc.Arbitrary<string>): fc.Arbitrary<Sent> =>
    fc.record({ method, path, auth: authHeaders, contentType, other: otherHeaders, body, chunked: fc.boolean() })
      .map(({ auth, contentType: type, other, ...rest }) => ({ ...rest, headers: { ...auth, 'content-type': type, ...other } }));

  test(`every known route, random bodies and headers (${RUNS.knownRoutes} runs): only 2xx/4xx`, async () => {
    await fc.assert(fc.asyncProperty(sentOf(fc.constantFrom(...METHODS), fc.constantFrom(...KNOWN_PATHS)), check),
      { numRuns: RUNS.knownRoutes, seed: SEED });
  });

  test(`random paths and methods (${RUNS.randomPaths} runs): only 2xx/4xx`, async () => {
    await fc.assert(fc.asyncProperty(sentOf(fc.constantFrom(...METHODS), randomPath), check),
      { numRuns: RUNS.randomPaths, seed: SEED });
  });

  test('afterwards: no unhandled rejection, no error logged, and a valid request is served', async () => {
    const served = await post(`${door.url}/v1/embeddings`, { input: ['still here'], model: 'm' }, { authorization: `Bearer ${KEY}` });
    assert.equal(served.status, 200);
    assert.equal(served.body.data[0].embedding.length, 384);
    assert.equal(unhandled, 0);
    assert.deepEqual(logLines.filter((line) => /"level":"error"/.test(line)), []);
    const byStatus = [...statuses].sort(([a], [b]) => a - b).map(([status, count]) => `${status}: ${count}`).join(', ');
    process.stdout.write(`# fuzz: ${requests} requests (${byStatus})\n`);
    assert.ok(requests >= RUNS.knownRoutes + RUNS.randomPaths);
  });
});
