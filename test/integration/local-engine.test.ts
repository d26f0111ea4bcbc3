/**
 * The front door with the in-process engine as its CPU tier (`local:/dir`), serving the tiny
 * BERT-shaped model from worker threads: all three dialects, the official openai client, health,
 * and a model that is not there.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import OpenAI from 'openai';
import { post, readJson, startFrontDoor, type TestFrontDoor } from '../helpers/front-door';
import { expectedVector, TINY_CASES, TINY_DIMENSION, type TinyModelDir, writeTinyModel } from '../../tools/fixtures/tiny-model';

const assertClose = (actual: readonly number[], expected: readonly number[], message: string): void => {
  assert.equal(actual.length, expected.length, message);
  actual.forEach((x, index) => assert.ok(Math.abs(x - expected[index]!) < 1e-6, `${message}: [${index}] ${x} vs ${expected[index]}`));
};
const expected = (text: string): number[] => expectedVector(TINY_CASES.find((item) => item.text === text)!.ids);

describe('front door over the in-process engine (tiny model, worker threads)', () => {
  let model: TinyModelDir;
  let door: TestFrontDoor;

  before(async () => {
    model = await writeTinyModel();
    // No slow start: the model loads while the first test runs, and the ten-second ramp after it
    // outlasted the whole suite on a loaded machine (warmth 'warming' in the /info test).
    door = await startFrontDoor({ CPU_BACKENDS: `local:${model.dir}`, MODEL_DIMENSION: String(TINY_DIMENSION), SLOW_START_MS: '0' });
  });
  after(async () => {
    await door.close();
    await model.remove();
  });

  const texts = TINY_CASES.map((item) => item.text).filter((text) => text !== '');

  test('OpenAI dialect through the official client (base64 by default): unit vectors, the hand-computed numbers', async () => {
    const client = new OpenAI({ apiKey: 'unused', baseURL: `${door.url}/v1`, maxRetries: 0 });
    const response = await client.embeddings.create({ model: 'all-MiniLM-L6-v2', input: texts });
    assert.equal(response.data.length, texts.length);
    response.data.forEach((item, index) => {
      assert.equal(item.index, index);
      assert.ok(Math.abs(Math.hypot(...item.embedding) - 1) < 1e-6, 'unit length');
      assertClose(item.embedding, expected(texts[index]!), texts[index]!);
    });
  });

  test('TEI dialect', async () => {
    const { status, body } = await post(`${door.url}/embed`, { inputs: ['Hello, WORLD!', 'zebra'] });
    assert.equal(status, 200);
    assertClose(body[0], expected('Hello, WORLD!'), 'first');
    assertClose(body[1], expected('zebra'), 'second');
  });

  test('DJL dialect: plain text in, one flat vector out; "" embeds like DJL does', async () => {
    const plain = await post(`${door.url}/predictions/all_MiniLM_L6_v2`, 'Embedding café', { 'content-type': 'text/plain' });
    assert.equal(plain.status, 200);
    assertClose(plain.body, expected('Embedding café'), 'plain');
    const list = await post(`${door.url}/predictions/all-MiniLM-L6-v2`, ['', 'zebra']);
    assertClose(list.body[0], expected(''), 'empty');
    assertClose(list.body[1], expected('zebra'), 'zebra');
  });

  test('many requests at once: every vector comes back for its own text', async () => {
    const requests = Array.from({ length: 40 }, (_, index) => texts[index % texts.length]!);
    const answers = await Promise.all(requests.map((text) => post(`${door.url}/embed`, { inputs: [text] })));
    answers.forEach((answer, index) => assertClose(answer.body[0], expected(requests[index]!), requests[index]!));
  });

  test('/health and /info: the local endpoint is healthy, named by its dialect', async () => {
    assert.equal((await fetch(`${door.url}/health`)).status, 200);
    const info = await readJson(await fetch(`${door.url}/info`));
    assert.equal(info.dimension, TINY_DIMENSION);
    assert.deepEqual(info.tiers.cpu.backends, [{ id: 'cpu-0', dialect: 'local', state: 'healthy', warmth: 'warm' }]);
    assert.ok(!JSON.stringify(info).includes(model.dir), 'no filesystem path in /info');
  });
});

describe('front door over an in-process engine without its model', () => {
  let empty: string;
  let door: TestFrontDoor;

  before(async () => {
    empty = await mkdtemp(join(tmpdir(), 'no-model-'));
    door = await startFrontDoor({ CPU_BACKENDS: `local:${empty}`, MODEL_DIMENSION: String(TINY_DIMENSION) });
  });
  after(async () => {
    await door.close();
    await rm(empty, { recursive: true, force: true });
  });

  test('requests get a 503 in their dialect that names no path; /health is 503', async () => {
    const { status, body, text } = await post(`${door.url}/v1/embeddings`, { input: 'x', model: 'm' });
    assert.equal(status, 503);
    assert.equal(body.error.type, 'server_error');
    assert.ok(!text.includes(empty), 'the model directory is not shown to clients');
    assert.equal((await fetch(`${door.url}/health`)).status, 503);
  });
});
