/** Every route against simulated DJL backends over real HTTP: vectors right, in order, in each dialect's shape. */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { decodeFloat32Base64 } from '../../shared/dialects/vector-encoding';
import { numberedTexts, post, readJson, startFrontDoor, type TestFrontDoor } from '../helpers/front-door';
import { DJL_PROFILES, type DjlSimulator, simulatedEmbedding, startDjlSimulator } from '../../tools/djl-simulator/djl-simulator';

const DIM = 384;
const expected = (text: string): number[] => simulatedEmbedding(text, DIM);

describe('routes over two simulated DJL instances', () => {
  let sims: DjlSimulator[];
  let door: TestFrontDoor;

  before(async () => {
    sims = await Promise.all([startDjlSimulator({ ...DJL_PROFILES.zero }), startDjlSimulator({ ...DJL_PROFILES.zero })]);
    door = await startFrontDoor({ CPU_BACKENDS: sims.map((sim) => sim.predictionsUrl).join(',') });
  });
  after(async () => {
    await door.close();
    await Promise.all(sims.map((sim) => sim.close()));
  });

  test('POST /v1/embeddings, float: OpenAI shape, vectors in order, model echoed', async () => {
    const texts = ['first', 'second', 'third'];
    const { status, body, headers } = await post(`${door.url}/v1/embeddings`, { input: texts, model: 'text-embedding-ada-002' });
    assert.equal(status, 200);
    assert.equal(headers.get('content-type'), 'application/json');
    assert.equal(body.object, 'list');
    assert.equal(body.model, 'text-embedding-ada-002');
    assert.deepEqual(body.data.map((item: { index: number }) => item.index), [0, 1, 2]);
    body.data.forEach((item: { object: string; embedding: number[] }, index: number) => {
      assert.equal(item.object, 'embedding');
      assert.deepEqual(item.embedding, expected(texts[index] as string));
    });
    assert.ok(body.usage.prompt_tokens > 0);
    assert.equal(body.usage.total_tokens, body.usage.prompt_tokens);
  });

  test('POST /v1/embeddings, base64: little-endian float32 of the same vectors', async () => {
    const { status, body } = await post(`${door.url}/v1/embeddings`, { input: 'hello', model: 'm', encoding_format: 'base64' });
    assert.equal(status, 200);
    assert.equal(typeof body.data[0].embedding, 'string');
    assert.deepEqual(decodeFloat32Base64(body.data[0].embedding), expected('hello'));
  });

  test('300+ texts in one request come back complete and in order', async () => {
    const texts = numberedTexts(333);
    const { status, body } = await post(`${door.url}/v1/embeddings`, { input: texts, model: 'm' });
    assert.equal(status, 200);
    assert.equal(body.data.length, 333);
    body.data.forEach((item: { embedding: number[]; index: number }, index: number) => {
      assert.equal(item.index, index);
      assert.deepEqual(item.embedding, expected(texts[index] as string));
    });
    const tei = await post(`${door.url}/embed`, { inputs: texts });
    assert.equal(tei.status, 200);
    assert.deepEqual(tei.body, texts.map(expected));
  });

  test('POST /embed (TEI): always nested, even for one string', async () => {
    const one = await post(`${door.url}/embed`, { inputs: 'solo' });
    assert.equal(one.status, 200);
    assert.deepEqual(one.body, [expected('solo')]);
    const many = await post(`${door.url}/embed`, { inputs: ['a', 'b'], normalize: true, truncate: true });
    assert.deepEqual(many.body, [expected('a'), expected('b')]);
  });

  test('POST /predictions/{model}: both DJL spellings; plain text flat, JSON list nested', async () => {
    for (const model of ['all-MiniLM-L6-v2', 'all_MiniLM_L6_v2']) {
      const plain = await post(`${door.url}/predictions/${model}`, 'just some text', { 'content-type': 'text/plain' });
      assert.equal(plain.status, 200, model);
      assert.deepEqual(plain.body, expected('just some text'));
      const list = await post(`${door.url}/predictions/${model}`, ['x', 'y']);
      assert.deepEqual(list.body, [expected('x'), expected('y')]);
      const inputs = await post(`${door.url}/predictions/${model}`, { inputs: ['x'] });
      assert.deepEqual(inputs.body, [expected('x')]);
    }
  });

  test('POST /invocations and /predictions/{model}/{version}', async () => {
    const invocation = await post(`${door.url}/invocations`, { inputs: ['q'] });
    assert.deepEqual(invocation.body, [expected('q')]);
    const named = await post(`${door.url}/invocations?model_name=all_MiniLM_L6_v2`, '"q"');
    assert.deepEqual(named.body, expected('q'));
    const versioned = await post(`${door.url}/predictions/all_MiniLM_L6_v2/1`, ['q']);
    assert.deepEqual(versioned.body, [expected('q')]);
  });

  test('unknown DJL model: 404 ModelNotFoundException', async () => {
    const { status, body } = await post(`${door.url}/predictions/bge-small`, ['q']);
    assert.equal(status, 404);
    assert.deepEqual(body, { code: 404, type: 'ModelNotFoundException', message: 'Model or workflow not found: bge-small' });
    const invocation = await post(`${door.url}/invocations?model_name=nope`, ['q']);
    assert.equal(invocation.status, 404);
  });

  test('requests are spread over both instances', async () => {
    sims.forEach((sim) => sim.resetStats());
    await Promise.all(numberedTexts(8).map((text) => post(`${door.url}/embed`, { inputs: text })));
    for (const sim of sims) assert.ok(sim.stats.requests >= 2, `each instance served some: ${sim.stats.requests}`);
  });

  test('x-request-id is echoed when safe and generated otherwise', async () => {
    const given = await post(`${door.url}/embed`, { inputs: 'a' }, { 'x-request-id': 'client-id-42' });
    assert.equal(given.headers.get('x-request-id'), 'client-id-42');
    const generated = await post(`${door.url}/embed`, { inputs: 'a' }, { 'x-request-id': 'bad id with spaces' });
    assert.match(generated.headers.get('x-request-id') ?? '', /^[0-9a-f-]{36}$/);
    const onError = await post(`${door.url}/embed`, { inputs: [] }, { 'x-request-id': 'err-1' });
    assert.equal(onError.headers.get('x-request-id'), 'err-1');
  });

  test('GET /ping (DJL body), /health, /info', async () => {
    const ping = await fetch(`${door.url}/ping`);
    assert.equal(ping.status, 200);
    assert.deepEqual(await readJson(ping), { all_MiniLM_L6_v2: { status: 'Healthy' } });
    const health = await fetch(`${door.url}/health`);
    assert.equal(health.status, 200);
    assert.deepEqual(await readJson(health), { status: 'ok', tiers: { cpu: { ready: 2, endpoints: 2 }, gpu: { ready: 0, endpoints: 0 } } });
    const info = await readJson(await fetch(`${door.url}/info`));
    assert.equal(info.model_id, 'sentence-transformers/all-MiniLM-L6-v2');
    assert.equal(info.dimension, DIM);
    assert.equal(info.limits.max_items_per_request, 2048);
    assert.equal(info.tiers.cpu.endpoints, 2);
    assert.equal(info.tiers.cpu.healthy, 2);
    assert.ok(info.endpoints.includes('POST /v1/embeddings'));
    assert.doesNotMatch(JSON.stringify(info), /127\.0\.0\.1/, '/info never shows backend addresses');
  });
});

describe('a DJL client that only changed its host', () => {
  test('gets the same answers DJL gives', async () => {
    const sim = await startDjlSimulator({ ...DJL_PROFILES.zero });
    const door = await startFrontDoor({ DJL_URL: sim.predictionsUrl });
    try {
      const path = '/predictions/all_MiniLM_L6_v2';
      const requests: [string, string][] = [
        ['plain text body', 'text/plain'],
        ['["a","b","c"]', 'application/json'],
        ['{"inputs":["a"]}', 'application/json'],
        ['{"inputs":"a"}', 'application/json'],
      ];
      for (const [body, contentType] of requests) {
        const direct = await post(`${sim.url}${path}`, body, { 'content-type': contentType });
        const viaDoor = await post(`${door.url}${path}`, body, { 'content-type': contentType });
        assert.equal(viaDoor.status, direct.status, body);
        assert.deepEqual(viaDoor.body, direct.body, body);
      }
    } finally {
      await door.close();
      await sim.close();
    }
  });
});
