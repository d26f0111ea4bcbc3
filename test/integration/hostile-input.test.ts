/**
 * Hostile input: deep JSON, odd Unicode, huge single words, path tricks, a client trickling its
 * body byte by byte, and logs that never hold a request's text or key.
 */
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { createLogger } from '../../shared/logger';
import { hashApiKey } from '../../shared/security/api-keys';
import { post, startFrontDoor, type TestFrontDoor } from '../helpers/front-door';
import { DJL_PROFILES, type DjlSimulator, simulatedEmbedding, startDjlSimulator } from '../../tools/djl-simulator/djl-simulator';

const DIMENSION = 384;
const ONE_MB = 1_048_576;
/** Float32 as the simulator writes it, read back as float64. */
const VECTOR_TOLERANCE = 1e-6;
const SLOW_CLIENT_TIMEOUT_MS = 500;
const TRICKLE_INTERVAL_MS = 50;

const assertVectorOf = (vector: number[], text: string): void => {
  const expected = simulatedEmbedding(text, DIMENSION);
  assert.equal(vector.length, DIMENSION);
  vector.forEach((value, index) => assert.ok(Math.abs(value - expected[index]!) < VECTOR_TOLERANCE, `component ${index}`));
};

describe('hostile input', () => {
  let sim: DjlSimulator;
  let door: TestFrontDoor;

  before(async () => {
    sim = await startDjlSimulator({ ...DJL_PROFILES.zero });
    door = await startFrontDoor({
      CPU_BACKENDS: sim.predictionsUrl,
      MAX_CHARS_PER_ITEM: String(ONE_MB + 16),
      MAX_BODY_BYTES: String(4 * ONE_MB),
      CLIENT_BODY_TIMEOUT_MS: String(SLOW_CLIENT_TIMEOUT_MS),
    });
  });
  after(async () => {
    await door.close();
    await sim.close();
  });

  test('JSON nested past 64 levels is refused before parsing, in each dialect', async () => {
    const deep = `{"input": ${'['.repeat(65)}"a"${']'.repeat(65)}}`;
    const openai = await post(`${door.url}/v1/embeddings`, deep);
    assert.equal(openai.status, 400);
    assert.match(openai.body.error.message, /more than 64 levels deep/);
    assert.equal((await post(`${door.url}/embed`, '['.repeat(1_000_000))).status, 400);
    const djl = await post(`${door.url}/invocations`, '{'.repeat(100));
    assert.deepEqual([djl.status, djl.body.type], [400, 'TranslateException']);
  });

  test('a lone surrogate is embedded as U+FFFD; NUL and RTL marks pass through unchanged', async () => {
    const lone = await post(`${door.url}/embed`, '{"inputs": ["bad \\ud800 half", "a\\u0000b", "\\u202eevil\\u200f", "ok \\ud83d\\ude00"]}');
    assert.equal(lone.status, 200);
    assertVectorOf(lone.body[0], 'bad \ufffd half');
    assertVectorOf(lone.body[1], 'a\u0000b');
    assertVectorOf(lone.body[2], '\u202eevil\u200f');
    assertVectorOf(lone.body[3], 'ok \u{1f600}');
  });

  test('a 1 MB single word is served when MAX_CHARS_PER_ITEM allows it', async () => {
    const word = 'x'.repeat(ONE_MB);
    const answer = await post(`${door.url}/v1/embeddings`, { input: word, model: 'm' });
    assert.equal(answer.status, 200);
    assertVectorOf(answer.body.data[0].embedding, word);
  });

  test('path parameters never reach the backend: odd model names are 404s that send nothing upstream', async () => {
    const before = sim.stats.requests;
    for (const path of ['/predictions/..%2F..%2Fping', '/predictions/all_MiniLM_L6_v2%2F..%2Fx', '/predictions/%00', '/models/..%2F/invoke',
      '/predictions/http:%2F%2Fevil.example']) {
      const answer = await post(`${door.url}${path}`, '["a"]');
      assert.equal(answer.status, 404, path);
    }
    assert.equal((await post(`${door.url}/invocations?model_name=..%2F..%2Fadmin`, '["a"]')).status, 404);
    assert.equal(sim.stats.requests, before);
  });

  test('a client trickling its body is cut off by CLIENT_BODY_TIMEOUT_MS while others are served', async () => {
    const body = '{"inputs": ["slow"]}';
    const { port } = new URL(door.url);
    const socket = connect(Number(port), '127.0.0.1');
    let received = '';
    socket.on('data', (chunk) => { received += chunk.toString(); });
    socket.on('error', () => {});
    const closed = new Promise<number>((resolve) => socket.on('close', () => resolve(performance.now())));
    const startedAt = performance.now();
    socket.write(`POST /embed HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-type: application/json\r\ncontent-length: ${body.length * 100}\r\n\r\n`);
    let sent = 0;
    const trickle = setInterval(() => { if (!socket.destroyed) socket.write(body[sent++ % body.length]!); }, TRICKLE_INTERVAL_MS);
    try {
      // Meanwhile, other clients are served as usual.
      for (let index = 0; index < 10; index++) {
        const answer = await post(`${door.url}/embed`, { inputs: [`other ${index}`] });
        assert.equal(answer.status, 200);
      }
      const closedAt = await closed;
      const cutOffAfterMs = closedAt - startedAt;
      // Cut off within the timeout plus the server's check interval, long before the body could finish.
      assert.ok(cutOffAfterMs >= SLOW_CLIENT_TIMEOUT_MS * 0.8 && cutOffAfterMs < SLOW_CLIENT_TIMEOUT_MS * 4, `cut off after ${cutOffAfterMs} ms`);
      assert.ok(sent < body.length * 100);
      assert.ok(received.startsWith('HTTP/1.1 408'), received.slice(0, 40));
    } finally {
      clearInterval(trickle);
      socket.destroy();
    }
    assert.equal((await post(`${door.url}/embed`, { inputs: ['after'] })).status, 200);
  });
});

describe('logs', () => {
  test('no request text or key appears in any log line, at debug level, on success or failure', async () => {
    const secretText = 'PATIENT-RECORD-7f3a';
    const key = 'efd_log-test-key-9c1e';
    const lines: string[] = [];
    const sim = await startDjlSimulator({ ...DJL_PROFILES.zero });
    const door = await startFrontDoor(
      { CPU_BACKENDS: sim.predictionsUrl, API_KEYS: `logs:${hashApiKey(key)}:rps=1000`, MAX_CHARS_PER_ITEM: '100', MAX_ATTEMPTS: '1' },
      createLogger('debug', (line) => lines.push(line)),
    );
    try {
      const auth = { authorization: `Bearer ${key}` };
      const sends = [
        post(`${door.url}/v1/embeddings`, { input: [secretText], model: 'm' }, auth),
        post(`${door.url}/embed`, `{"inputs": ["${secretText}"`, auth),
        post(`${door.url}/embed`, { inputs: [secretText.repeat(10)] }, auth),
        post(`${door.url}/predictions/${secretText}`, secretText, { ...auth, 'content-type': 'text/plain' }),
        post(`${door.url}/embed`, { inputs: [secretText] }, { authorization: `Bearer ${key}-wrong` }),
        post(`${door.url}/embed`, { inputs: [secretText] }, { 'x-request-timeout-ms': secretText, ...auth }),
      ];
      const statuses = (await Promise.all(sends)).map((answer) => answer.status);
      assert.deepEqual(statuses, [200, 400, 422, 404, 401, 422]);
      // Backend failures are logged (request_failed); their messages must not carry the texts either.
      sim.setFaults({ errorRate: 1 });
      const failed = await post(`${door.url}/embed`, { inputs: [secretText] }, auth);
      assert.ok(failed.status >= 500);
      sim.setFaults({ errorRate: 0 });
    } finally {
      await door.close();
      await sim.close();
    }
    assert.ok(lines.some((line) => line.includes('request_failed')), 'the backend failure was logged');
    for (const line of lines) {
      assert.ok(!line.includes(secretText), `request text in a log line: ${line}`);
      assert.ok(!line.includes(key), `API key in a log line: ${line}`);
      assert.ok(!line.includes(hashApiKey(key)), `API key digest in a log line: ${line}`);
    }
  });
});
