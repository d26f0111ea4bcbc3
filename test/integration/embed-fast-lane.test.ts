/**
 * The Node server's embed fast lane (shared/http/embed-fast-lane.ts) answers exactly as the Hono
 * routes do. Two front doors over one simulator, one serving through the lane and one through Hono
 * only, get the same raw HTTP requests, good and bad; status, headers and body must match. A
 * counter around the lane proves which requests it took and which it left to the app.
 */
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { after, before, describe, test } from 'node:test';
import type { ConnectionFacts } from '../../shared/http/app-env';
import type { FrontDoorApp } from '../../shared/http/create-app';
import type { FetchApp } from '../../shared/runtime/node-server';
import { hashApiKey } from '../../shared/security/api-keys';
import { startFrontDoor, type TestFrontDoor } from '../helpers/front-door';
import { DJL_PROFILES, type DjlSimulator, startDjlSimulator } from '../../tools/djl-simulator/djl-simulator';

interface RawAnswer {
  readonly status: number;
  readonly headers: ReadonlyMap<string, string>;
  readonly body: string;
}

/** Sends one request as raw bytes (repeated headers, any bytes) on its own connection and reads the answer. */
function rawRequest(url: string, head: string, body: Buffer | string = ''): Promise<RawAnswer> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname);
    const chunks: Buffer[] = [];
    socket.on('data', (chunk) => chunks.push(chunk));
    socket.on('error', reject);
    socket.on('end', () => {
      const text = Buffer.concat(chunks).toString('latin1');
      const split = text.indexOf('\r\n\r\n');
      const [statusLine = '', ...lines] = text.slice(0, split).split('\r\n');
      const headers = new Map<string, string>();
      for (const line of lines) {
        const colon = line.indexOf(':');
        headers.set(line.slice(0, colon).toLowerCase(), line.slice(colon + 1).trim());
      }
      const rawBody = Buffer.from(text.slice(split + 4), 'latin1');
      const body = headers.get('transfer-encoding') === 'chunked' ? dechunk(rawBody) : rawBody;
      resolve({ status: Number(statusLine.split(' ')[1]), headers, body: body.toString('utf8') });
    });
    socket.write(Buffer.concat([Buffer.from(`${head}\r\nconnection: close\r\n\r\n`, 'latin1'), Buffer.isBuffer(body) ? body : Buffer.from(body)]));
  });
}

function dechunk(raw: Buffer): Buffer {
  const parts: Buffer[] = [];
  let at = 0;
  for (;;) {
    const lineEnd = raw.indexOf('\r\n', at);
    const size = parseInt(raw.subarray(at, lineEnd).toString('latin1'), 16);
    if (!(size > 0)) return Buffer.concat(parts);
    parts.push(raw.subarray(lineEnd + 2, lineEnd + 2 + size));
    at = lineEnd + 2 + size + 2;
  }
}

/** Headers that differ between two answers by nature: the clock, the measured times, the connection. */
const VARYING = new Set(['date', 'server-timing', 'connection', 'keep-alive']);
/** A request id the front door made up (a UUID) rather than the client's. */
const GENERATED_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

function comparable(answer: RawAnswer): { status: number; headers: Record<string, string>; body: string } {
  const headers: Record<string, string> = {};
  for (const [name, value] of [...answer.headers].sort(([a], [b]) => a.localeCompare(b))) {
    if (VARYING.has(name)) continue;
    headers[name] = name === 'x-request-id' && GENERATED_ID.test(value) ? '<generated>' : value;
  }
  const body = answer.body.replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g, '<generated>');
  return { status: answer.status, headers, body };
}

const KEY = 'efd_fast-lane-key';
const ONE_PER_MINUTE_KEY = 'efd_one-request-key';
const MODEL = 'all_MiniLM_L6_v2';

interface Case {
  readonly name: string;
  readonly head: string;
  readonly body?: Buffer | string;
  /** Whether the lane takes it (true) or leaves it to the app (false). */
  readonly lane: boolean;
}

const post = (path: string, contentType: string | undefined, body: Buffer | string, extra: readonly string[] = [], host = '127.0.0.1'): Pick<Case, 'head' | 'body'> => ({
  head: [`POST ${path} HTTP/1.1`, `host: ${host}`, ...(contentType === undefined ? [] : [`content-type: ${contentType}`]),
    `content-length: ${Buffer.byteLength(body)}`, ...extra].join('\r\n'),
  body,
});

const JSON_TYPE = 'application/json';
const OPEN_CASES: readonly Case[] = [
  { name: 'OpenAI, one text', ...post('/v1/embeddings', JSON_TYPE, '{"input":"hello","model":"all-MiniLM-L6-v2"}', ['x-request-id: id-1']), lane: true },
  { name: 'OpenAI, base64', ...post('/v1/embeddings', JSON_TYPE, '{"input":["a","b"],"model":"all-MiniLM-L6-v2","encoding_format":"base64"}'), lane: true },
  { name: 'TEI, two texts', ...post('/embed', `${JSON_TYPE}; charset=utf-8`, '{"inputs":["a","b"]}', ['x-request-id: id-2']), lane: true },
  { name: 'DJL, a JSON list', ...post(`/predictions/${MODEL}`, JSON_TYPE, '["a","b"]'), lane: true },
  { name: 'DJL, one text as text/plain', ...post(`/predictions/${MODEL}`, 'text/plain', 'one text'), lane: true },
  { name: 'DJL, no content type', ...post(`/predictions/${MODEL}`, undefined, 'one text'), lane: true },
  { name: 'a BOM and bad UTF-8 are decoded as Request.text() does', ...post('/embed', JSON_TYPE, Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('{"inputs":["a'), Buffer.from([0xc3, 0x28, 0xff]), Buffer.from('"]}')])), lane: true },
  { name: 'an unsafe request id is replaced', ...post('/embed', JSON_TYPE, '{"inputs":["a"]}', ['x-request-id: not safe!']), lane: true },
  { name: 'cache-control no-store', ...post('/embed', JSON_TYPE, '{"inputs":["a"]}', ['cache-control: no-store']), lane: true },
  { name: 'a shorter deadline', ...post('/embed', JSON_TYPE, '{"inputs":["a"]}', ['x-request-timeout-ms: 5000']), lane: true },
  { name: 'a bad deadline header', ...post('/embed', JSON_TYPE, '{"inputs":["a"]}', ['x-request-timeout-ms: soon']), lane: true },
  { name: 'bad JSON, OpenAI', ...post('/v1/embeddings', JSON_TYPE, '{"input": [}'), lane: true },
  { name: 'bad JSON, TEI', ...post('/embed', JSON_TYPE, '{"inputs": [}'), lane: true },
  { name: 'bad JSON, DJL', ...post(`/predictions/${MODEL}`, JSON_TYPE, '[1, 2'), lane: true },
  { name: 'an empty body', ...post('/embed', JSON_TYPE, ''), lane: true },
  { name: 'an empty text', ...post('/embed', JSON_TYPE, '{"inputs":[""]}'), lane: true },
  { name: 'too many texts', ...post('/embed', JSON_TYPE, JSON.stringify({ inputs: Array.from({ length: 9 }, (_, i) => `t${i}`) })), lane: true },
  { name: 'a form body', ...post('/embed', 'application/x-www-form-urlencoded', 'inputs=a'), lane: true },
  { name: 'a gzip body', ...post('/embed', JSON_TYPE, '{"inputs":["a"]}', ['content-encoding: gzip']), lane: true },
  { name: 'a body over MAX_BODY_BYTES', ...post('/embed', JSON_TYPE, JSON.stringify({ inputs: ['x'.repeat(3_000)] })), lane: true },
  { name: 'an unknown model', ...post('/predictions/other-model', JSON_TYPE, '["a"]'), lane: true },
  { name: 'an unknown model name that needs decoding', ...post('/predictions/other%20model', JSON_TYPE, '["a"]'), lane: false },
  { name: 'the unknown model of an OpenAI request', ...post('/v1/embeddings', JSON_TYPE, '{"input":"a","model":"gpt-9"}'), lane: true },
  { name: 'a Host this server cannot vouch for', ...post('/embed', JSON_TYPE, '{"inputs":["a"]}', [], 'evil.example'), lane: true },
  { name: 'two Host fields', ...post('/embed', JSON_TYPE, '{"inputs":["a"]}', ['host: evil.example']), lane: true },
  { name: 'a query string', ...post('/embed?x=1', JSON_TYPE, '{"inputs":["a"]}'), lane: false },
  { name: 'DJL /invocations', ...post(`/invocations?model_name=${MODEL}`, JSON_TYPE, '["a"]'), lane: false },
  { name: 'a chunked body', head: ['POST /embed HTTP/1.1', 'host: 127.0.0.1', `content-type: ${JSON_TYPE}`, 'transfer-encoding: chunked'].join('\r\n'), body: '10\r\n{"inputs":["a"]}\r\n0\r\n\r\n', lane: false },
  { name: 'GET on an embed route', head: 'GET /embed HTTP/1.1\r\nhost: 127.0.0.1', lane: false },
];

const KEYED_CASES: readonly Case[] = [
  { name: 'no key', ...post('/embed', JSON_TYPE, '{"inputs":["a"]}'), lane: true },
  { name: 'a wrong key', ...post('/v1/embeddings', JSON_TYPE, '{"input":"a","model":"all-MiniLM-L6-v2"}', ['authorization: Bearer efd_wrong']), lane: true },
  { name: 'a good key, Bearer', ...post('/v1/embeddings', JSON_TYPE, '{"input":"a","model":"all-MiniLM-L6-v2"}', [`authorization: Bearer ${KEY}`]), lane: true },
  { name: 'a good key in api-key', ...post(`/predictions/${MODEL}`, JSON_TYPE, '["a"]', [`api-key: ${KEY}`]), lane: true },
  { name: 'two Authorization fields', ...post('/embed', JSON_TYPE, '{"inputs":["a"]}', [`authorization: Bearer ${KEY}`, 'authorization: Bearer efd_wrong']), lane: true },
  { name: 'a key within its requests/s', ...post('/embed', JSON_TYPE, '{"inputs":["a"]}', [`x-api-key: ${ONE_PER_MINUTE_KEY}`]), lane: true },
  { name: 'the same key over its requests/s', ...post('/embed', JSON_TYPE, '{"inputs":["a"]}', [`x-api-key: ${ONE_PER_MINUTE_KEY}`]), lane: true },
];

/** Serves the app through its lane, counting the requests the lane takes. */
function countingLane(counter: { taken: number }): (app: FrontDoorApp) => FetchApp {
  return (app) => ({
    fetch: (request, env) => app.fetch(request, env as ConnectionFacts),
    embedFastLane: {
      serve: (req, res, connection) => {
        const served = app.embedFastLane.serve(req, res, connection);
        if (served !== undefined) counter.taken++;
        return served;
      },
    },
  });
}

/** Serves the app through Hono only. */
const honoOnly = (app: FrontDoorApp): FetchApp => ({ fetch: (request, env) => app.fetch(request, env as ConnectionFacts) });

describe('the embed fast lane answers as the Hono routes do', () => {
  let sim: DjlSimulator;
  const doors: TestFrontDoor[] = [];

  before(async () => {
    sim = await startDjlSimulator({ ...DJL_PROFILES.zero });
  });
  after(async () => {
    for (const door of doors) await door.close();
    await sim.close();
  });

  async function compare(env: Record<string, string>, cases: readonly Case[]): Promise<void> {
    const counter = { taken: 0 };
    const lane = await startFrontDoor(env, undefined, { serve: countingLane(counter) });
    const hono = await startFrontDoor(env, undefined, { serve: honoOnly });
    doors.push(lane, hono);
    for (const { name, head, body, lane: taken } of cases) {
      const before = counter.taken;
      const viaLane = await rawRequest(lane.url, head, body);
      assert.equal(counter.taken - before, taken ? 1 : 0, `${name}: ${taken ? 'taken by' : 'left to the app by'} the lane`);
      const viaHono = await rawRequest(hono.url, head, body);
      assert.deepEqual(comparable(viaLane), comparable(viaHono), name);
      if (viaLane.status === 200) assert.equal(viaLane.headers.get('content-length'), String(Buffer.byteLength(viaLane.body)), `${name}: length`);
    }
  }

  test('open mode (no keys): answers, refusals in each dialect, and what the lane leaves to the app', async () => {
    await compare({ CPU_BACKENDS: sim.predictionsUrl, MAX_ITEMS_PER_REQUEST: '8', MAX_BODY_BYTES: '2048' }, OPEN_CASES);
  });

  test('with API keys: 401s, a key in each header, repeated fields, and the requests/s limit', async () => {
    const keys = `lane:${hashApiKey(KEY)},slow:${hashApiKey(ONE_PER_MINUTE_KEY)}:rps=0.01`;
    await compare({ CPU_BACKENDS: sim.predictionsUrl, API_KEYS: keys }, KEYED_CASES);
  });

  test('the metrics count the lane\'s requests by route and status, as the app\'s', async () => {
    const env = { CPU_BACKENDS: sim.predictionsUrl, PROTECT_OPERATOR_ROUTES: 'false' };
    const counter = { taken: 0 };
    const lane = await startFrontDoor(env, undefined, { serve: countingLane(counter) });
    doors.push(lane);
    await rawRequest(lane.url, post('/embed', JSON_TYPE, '{"inputs":["a","b"]}').head, '{"inputs":["a","b"]}');
    const bad = post(`/predictions/${MODEL}`, JSON_TYPE, '[1');
    await rawRequest(lane.url, bad.head, bad.body);
    assert.equal(counter.taken, 2);
    const metrics = await (await fetch(`${lane.url}/metrics`)).text();
    assert.match(metrics, /efd_requests_total\{route="\/embed",method="POST",status="200",tier="cpu"\} 1/);
    assert.match(metrics, /efd_requests_total\{route="\/predictions\/:model",method="POST",status="400",tier="none"\} 1/);
  });
});
