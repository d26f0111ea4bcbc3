/**
 * Backends are not trusted: numbers that are not finite float32s never reach clients, and a
 * backend's error text (its free message, or a `type` that is not a short identifier) reaches
 * neither client answers nor log lines. Real loopback backends answer the hostile bodies.
 */
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { createLogger } from '../../shared/logger';
import { eventually } from '../helpers/eventually';
import { post, startFrontDoor, type TestFrontDoor } from '../helpers/front-door';

const DIMENSION = 384;
const MAX_FLOAT32 = 3.4028234663852886e38;

interface Answer {
  readonly status: number;
  readonly body: string;
}

interface HostileBackend {
  readonly url: string;
  /** How the backend answers each embed POST, from the texts it was sent. */
  answer: (texts: string[]) => Answer;
  close(): Promise<void>;
}

const readBody = async (req: IncomingMessage): Promise<string> => {
  let body = '';
  for await (const chunk of req) body += String(chunk);
  return body;
};

/** The texts of a DJL/TEI (`inputs`) or OpenAI (`input`) request body. */
const textsOf = (body: string): string[] => {
  const json = JSON.parse(body) as { inputs?: string[]; input?: string[] };
  return json.inputs ?? json.input ?? [];
};

/**
 * A backend that reports itself healthy to every probe (a DJL `/ping` body, which TEI's
 * `/health` and OpenAI's `/v1/models` probes accept as a 200) and answers embeds as told.
 */
async function startHostileBackend(): Promise<HostileBackend> {
  const backend: HostileBackend = {
    url: '',
    answer: () => ({ status: 500, body: '{}' }),
    close: () => new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    }),
  };
  const server: Server = createServer((req, res) => {
    if (req.method === 'GET') {
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"all_MiniLM_L6_v2": {"status": "Healthy"}}');
      return;
    }
    void readBody(req).then((body) => {
      const { status, body: answer } = backend.answer(textsOf(body));
      res.writeHead(status, { 'content-type': 'application/json' }).end(answer);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return Object.assign(backend, { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` });
}

/** One vector's JSON text with `first` written verbatim as its first component (`1e999` stays `1e999`). */
const vectorJson = (first: string): string => `[${[first, ...Array<string>(DIMENSION - 1).fill('0.01')].join(',')}]`;

/** The first float32 of an OpenAI base64 embedding. */
const firstFloat32 = (base64: string): number => Buffer.from(base64, 'base64').readFloatLE(0);

describe('distrusted backends: numbers', () => {
  let backend: HostileBackend;
  let door: TestFrontDoor;

  before(async () => {
    backend = await startHostileBackend();
    // The text asked for is the first component the backend answers, written as JSON text.
    backend.answer = (texts) => ({ status: 200, body: `[${texts.map((text) => vectorJson(text)).join(',')}]` });
    door = await startFrontDoor({ CPU_BACKENDS: `${backend.url}/predictions/all_MiniLM_L6_v2` });
  });
  after(async () => {
    await door.close();
    await backend.close();
  });

  for (const number of ['1e999', '-1e999', '1e300', '-3.5e38']) {
    test(`a backend answering ${number}: 502 backend_bad_response in float and base64 and in every dialect, never a 200`, async () => {
      for (const encoding_format of ['float', 'base64']) {
        const openai = await post(`${door.url}/v1/embeddings`, { input: number, model: 'm', encoding_format });
        assert.equal(openai.status, 502, `${encoding_format}: ${openai.text.slice(0, 200)}`);
        assert.deepEqual(openai.body.error, {
          message: 'the backend answered a vector holding a number that is not a finite float32',
          type: 'server_error', param: null, code: 'backend_bad_response',
        });
      }
      const tei = await post(`${door.url}/embed`, { inputs: [number] });
      assert.equal(tei.status, 502);
      assert.equal(tei.body.error_type, 'Backend');
      const djl = await post(`${door.url}/predictions/all_MiniLM_L6_v2`, [number]);
      assert.equal(djl.status, 502);
      assert.equal(djl.body.type, 'BadGatewayException');
    });
  }

  test('the largest float32s pass, in float and base64', async () => {
    for (const number of [MAX_FLOAT32, -MAX_FLOAT32]) {
      const float = await post(`${door.url}/v1/embeddings`, { input: String(number), model: 'm' });
      assert.equal(float.status, 200);
      assert.equal(float.body.data[0].embedding[0], number);
      const base64 = await post(`${door.url}/v1/embeddings`, { input: String(number), model: 'm', encoding_format: 'base64' });
      assert.equal(base64.status, 200);
      assert.equal(firstFloat32(base64.body.data[0].embedding), number);
    }
  });
});

describe('distrusted backends: error text', () => {
  const SECRET = 'sk-live-0123456789abcdef';
  const ADDRESS = '10.20.30.40:8080';
  const TEXT = 'confidential-client-text';
  /** What a hostile (or just careless) backend says in its error message: a secret, an address, the texts. */
  const hostileMessage = (texts: readonly string[]): string => `${SECRET} at http://${ADDRESS} for ${texts.join(' ')}`;
  /** The same as an error type, 50 KB long (still under the transport's cap on error bodies, so it is read). */
  const hostile = (texts: readonly string[]): string => `${'x'.repeat(50_000)} ${hostileMessage(texts)}`;
  const leaks = /sk-live|10\.20\.30\.40|confidential-client-text|x{65}/;

  let backend: HostileBackend;
  let lines: Record<string, unknown>[];
  const doors: TestFrontDoor[] = [];

  before(async () => {
    backend = await startHostileBackend();
  });
  after(async () => {
    for (const door of doors) await door.close();
    await backend.close();
  });

  const open = async (path: string): Promise<TestFrontDoor> => {
    lines = [];
    const logger = createLogger('debug', (line) => lines.push(JSON.parse(line) as Record<string, unknown>));
    const door = await startFrontDoor({ CPU_BACKENDS: `${backend.url}${path}` }, logger);
    doors.push(door);
    return door;
  };

  /** Asserts the 502 a backend's 500 became, and that no answer or log line carries its text. */
  const assertBackend500 = async (door: TestFrontDoor, message: string): Promise<void> => {
    const openai = await post(`${door.url}/v1/embeddings`, { input: [TEXT], model: 'm' });
    assert.equal(openai.status, 502);
    assert.deepEqual(openai.body.error, { message, type: 'server_error', param: null, code: 'backend_error' });
    const djl = await post(`${door.url}/predictions/all_MiniLM_L6_v2`, [TEXT]);
    assert.equal(djl.status, 502);
    assert.deepEqual(djl.body, { code: 502, type: 'BadGatewayException', message });
    await eventually(() => lines.filter((line) => line.event === 'request_failed').length === 2, { message: 'two request_failed lines' });
    await eventually(() => lines.filter((line) => line.event === 'request').length === 2, { message: 'two request lines' });
    const failed = lines.find((line) => line.event === 'request_failed');
    assert.equal(failed?.message, message);
    assert.doesNotMatch(JSON.stringify(lines), leaks);
  };

  test('DJL: a 500 whose type is free text is a 502 naming only the status; no log line holds the text', async () => {
    const door = await open('/predictions/all_MiniLM_L6_v2');
    backend.answer = (texts) => ({ status: 500, body: JSON.stringify({ code: 500, type: hostile(texts), message: hostileMessage(texts) }) });
    await assertBackend500(door, 'the backend answered 500');
  });

  test('TEI: a 500 whose error_type is free text is a 502 naming only the status; no log line holds the text', async () => {
    const door = await open('/embed');
    backend.answer = (texts) => ({ status: 500, body: JSON.stringify({ error: hostileMessage(texts), error_type: hostile(texts) }) });
    await assertBackend500(door, 'the backend answered 500');
  });

  test('OpenAI: a free-text code is dropped, a short type kept; free-text code and type both dropped', async () => {
    const door = await open('/v1/embeddings');
    backend.answer = (texts) => ({ status: 500, body: JSON.stringify({ error: { message: hostileMessage(texts), type: 'server_error', code: hostile(texts) } }) });
    await assertBackend500(door, 'the backend answered 500 server_error');
    lines.length = 0;
    backend.answer = (texts) => ({ status: 500, body: JSON.stringify({ error: { message: hostileMessage(texts), type: hostile(texts), code: null } }) });
    await assertBackend500(door, 'the backend answered 500');
  });

  test('a 400 with a 50 KB type: the refused text is named by index, the type is not echoed', async () => {
    const door = await open('/predictions/all_MiniLM_L6_v2');
    backend.answer = (texts) => ({ status: 400, body: JSON.stringify({ code: 400, type: hostile(texts), message: hostileMessage(texts) }) });
    const refused = await post(`${door.url}/v1/embeddings`, { input: [TEXT], model: 'm' });
    assert.equal(refused.status, 400);
    assert.equal(refused.body.error.code, 'input_rejected');
    assert.equal(refused.body.error.message, 'the backend could not embed the text at index 0 (400); check or remove that text');
    assert.ok(refused.text.length < 300, `a ${refused.text.length}-character answer`);
    // A short identifier is still passed on, as DJL clients recognise it.
    backend.answer = () => ({ status: 400, body: JSON.stringify({ code: 400, type: 'TranslateException', message: SECRET }) });
    const named = await post(`${door.url}/v1/embeddings`, { input: [TEXT], model: 'm' });
    assert.equal(named.status, 400);
    assert.equal(named.body.error.message, 'the backend could not embed the text at index 0 (400 TranslateException); check or remove that text');
    await eventually(() => lines.filter((line) => line.event === 'request').length === 2, { message: 'two request lines' });
    assert.doesNotMatch(JSON.stringify(lines), leaks);
  });
});
