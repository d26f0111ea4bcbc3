/**
 * Bounded uploads: the bytes of every body being received at once stay under
 * MAX_INFLIGHT_BODY_BYTES (an immediate 429, the body unread, while small requests are served,
 * and every refused or abandoned upload gives its bytes back), and a body with more items than
 * MAX_ITEMS_PER_REQUEST is refused before it is parsed, in each dialect.
 */
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { eventually } from '../helpers/eventually';
import { post, startFrontDoor, type TestFrontDoor } from '../helpers/front-door';
import { DJL_PROFILES, type DjlSimulator, startDjlSimulator } from '../../tools/djl-simulator/djl-simulator';

const MAX_ITEMS = 8;
/** `{},{},...` as in the CPU-amplification attack: two million objects for JSON.parse at 6 MB. */
const objects = (count: number): string => Array(count).fill('{}').join(',');

describe('upload limits', () => {
  let sim: DjlSimulator;
  let door: TestFrontDoor;

  before(async () => {
    sim = await startDjlSimulator({ ...DJL_PROFILES.zero });
    door = await startFrontDoor({ CPU_BACKENDS: sim.predictionsUrl, MAX_ITEMS_PER_REQUEST: String(MAX_ITEMS) });
  });
  after(async () => {
    await door.close();
    await sim.close();
  });

  test('a list over MAX_ITEMS_PER_REQUEST is a 400 naming the limit, before the body is parsed', async () => {
    // Not JSON after the items: had JSON.parse run, the answer would be invalid_json.
    const tail = '], oops';
    const openai = await post(`${door.url}/v1/embeddings`, `{"input": [${objects(100_000)}${tail}`);
    assert.equal(openai.status, 400);
    assert.deepEqual([openai.body.error.code, openai.body.error.param], ['too_many_items', 'input']);
    assert.match(openai.body.error.message, new RegExp(`more than the ${MAX_ITEMS} items allowed per request \\(MAX_ITEMS_PER_REQUEST\\)`));
    const tei = await post(`${door.url}/embed`, `{"inputs": [${objects(100_000)}${tail}`);
    assert.equal(tei.status, 422);
    assert.match(tei.body.error, /`inputs` has more than the 8 items allowed/);
    const djl = await post(`${door.url}/invocations`, `[${objects(100_000)}${tail}`);
    assert.deepEqual([djl.status, djl.body.type], [400, 'TranslateException']);
    assert.match(djl.body.message, /the list of texts has more than the 8 items allowed per request \(MAX_ITEMS_PER_REQUEST\)/);
    // At the limit, texts are served.
    const served = await post(`${door.url}/v1/embeddings`, { input: Array(MAX_ITEMS).fill('a') });
    assert.equal(served.status, 200);
  });
});

const BUDGET_BYTES = 65_536;
const HELD_BYTES = 30_000;

/** A valid OpenAI body of exactly `bytes` bytes (padded with JSON whitespace). */
const bodyOf = (bytes: number): string => {
  const json = '{"input": ["a"], "model": "m"}';
  return json + ' '.repeat(bytes - json.length);
};

interface RawUpload {
  readonly socket: Socket;
  /** The status line and headers of the answer, once they arrive. */
  readonly head: Promise<string>;
}

/** Sends a request's head and `bodyStart` on a raw socket, and leaves the rest of the body unsent. */
function startUpload(door: TestFrontDoor, headers: string, bodyStart: string): RawUpload {
  const socket = connect(Number(new URL(door.url).port), '127.0.0.1');
  socket.on('error', () => {});
  let received = '';
  const head = new Promise<string>((resolve) => {
    socket.on('data', (chunk) => {
      received += chunk.toString();
      if (received.includes('\r\n\r\n')) resolve(received);
    });
  });
  socket.write(`POST /v1/embeddings HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-type: application/json\r\n${headers}\r\n${bodyStart}`);
  return { socket, head };
}

const holdUpload = (door: TestFrontDoor): RawUpload => startUpload(door, `content-length: ${HELD_BYTES}\r\n`, '{"input": [');

describe('bytes being received at once', () => {
  let sim: DjlSimulator;
  let door: TestFrontDoor;

  before(async () => {
    sim = await startDjlSimulator({ ...DJL_PROFILES.zero });
    door = await startFrontDoor({
      CPU_BACKENDS: sim.predictionsUrl,
      MAX_BODY_BYTES: String(BUDGET_BYTES),
      MAX_INFLIGHT_BODY_BYTES: String(BUDGET_BYTES),
    });
  });
  after(async () => {
    await door.close();
    await sim.close();
  });

  test('uploads past MAX_INFLIGHT_BODY_BYTES get an immediate 429, unread, while a small request is served; aborts give the bytes back', async () => {
    const held = [holdUpload(door), holdUpload(door)];
    // Fits beside one held upload, not beside two: refused once both are being received.
    const probe = bodyOf(BUDGET_BYTES - HELD_BYTES - 100);
    await eventually(async () => assert.equal((await post(`${door.url}/v1/embeddings`, probe)).status, 429),
      { message: 'both held uploads to be counted' });

    // Another upload's Content-Length is refused before any of its body is sent.
    const large = startUpload(door, `content-length: ${HELD_BYTES}\r\n`, '');
    const largeHead = await large.head;
    assert.match(largeHead, /^HTTP\/1\.1 429 /);
    assert.match(largeHead, /\r\nretry-after: 1\r\n/i);
    large.socket.destroy();
    // A chunked one is refused by the chunk that passes the budget, its end never sent.
    const chunk = 'x'.repeat(10_000);
    const chunked = startUpload(door, 'transfer-encoding: chunked\r\n', `${chunk.length.toString(16)}\r\n${chunk}\r\n`);
    assert.match(await chunked.head, /^HTTP\/1\.1 429 /);
    chunked.socket.destroy();
    const refused = await post(`${door.url}/v1/embeddings`, bodyOf(HELD_BYTES));
    assert.deepEqual([refused.status, refused.headers.get('retry-after'), refused.body.error.code], [429, '1', 'overloaded']);
    assert.match(refused.body.error.message, /MAX_INFLIGHT_BODY_BYTES/);

    // A small request still fits beside the held uploads.
    const small = await post(`${door.url}/v1/embeddings`, { input: ['a'], model: 'm' });
    assert.equal(small.status, 200);

    // Many more abandoned and refused uploads, then every byte must be back: a body of the whole
    // budget fits only when nothing at all is held.
    for (const upload of held) upload.socket.destroy();
    for (let round = 0; round < 20; round++) {
      const abandoned = holdUpload(door);
      const overflow = startUpload(door, `content-length: ${BUDGET_BYTES + 1}\r\n`, '');
      await overflow.head;
      overflow.socket.destroy();
      abandoned.socket.destroy();
    }
    const whole = await eventually(async () => {
      const answer = await post(`${door.url}/v1/embeddings`, bodyOf(BUDGET_BYTES));
      assert.equal(answer.status, 200, answer.text.slice(0, 200));
      return answer;
    }, { message: 'the whole budget to be free again' });
    assert.equal(whole.body.data.length, 1);
  });
});
