/**
 * Every client mistake gets a 4xx in its route's dialect that names what to fix, the process keeps
 * serving, and nothing reaches the backends.
 */
import assert from 'node:assert/strict';
import { request as httpRequest } from 'node:http';
import { after, before, describe, test } from 'node:test';
import { post, readJson, startFrontDoor, type TestFrontDoor } from '../helpers/front-door';
import { DJL_PROFILES, type DjlSimulator, startDjlSimulator } from '../../tools/djl-simulator/djl-simulator';

interface Case {
  readonly name: string;
  readonly body: unknown;
  readonly status: number;
  readonly message: RegExp;
  readonly contentType?: string;
}

const OPENAI_CASES: Case[] = [
  { name: 'invalid JSON', body: '{"input": ', status: 400, message: /not valid JSON/ },
  { name: 'empty body', body: '', status: 400, message: /empty/ },
  { name: 'not an object', body: ['a'], status: 400, message: /JSON object/ },
  { name: 'missing input', body: { model: 'm' }, status: 400, message: /missing `input`/ },
  { name: 'empty list', body: { input: [], model: 'm' }, status: 400, message: /empty array/ },
  { name: 'empty string', body: { input: ['ok', ''], model: 'm' }, status: 400, message: /`input\[1\]` is an empty string/ },
  { name: 'wrong item type', body: { input: ['ok', { t: 1 }], model: 'm' }, status: 400, message: /`input\[1\]` is an object/ },
  { name: 'token arrays', body: { input: [[101, 2023]], model: 'm' }, status: 400, message: /token arrays are not supported/ },
  { name: 'too many items', body: { input: Array(5).fill('x'), model: 'm' }, status: 400, message: /more than the 4 items allowed/ },
  { name: 'text too long', body: { input: 'x'.repeat(101), model: 'm' }, status: 400, message: /101 characters/ },
  { name: 'bad encoding_format', body: { input: 'a', model: 'm', encoding_format: 'int8' }, status: 400, message: /"float" or "base64"/ },
  { name: 'other dimensions', body: { input: 'a', model: 'm', dimensions: 128 }, status: 400, message: /384 dimensions/ },
];

const TEI_CASES: Case[] = [
  { name: 'invalid JSON', body: '{', status: 400, message: /not valid JSON/ },
  { name: 'missing inputs', body: {}, status: 400, message: /missing `inputs`/ },
  { name: 'empty list', body: { inputs: [] }, status: 400, message: /empty array/ },
  { name: 'empty string', body: { inputs: '' }, status: 400, message: /empty string/ },
  { name: 'token ids', body: { inputs: [1.5, 'a'] }, status: 422, message: /token ids/ },
  { name: 'null item', body: { inputs: ['a', null] }, status: 422, message: /`inputs\[1\]` is null/ },
  { name: 'too many items', body: { inputs: Array(5).fill('x') }, status: 422, message: /more than the 4/ },
  { name: 'normalize false', body: { inputs: 'a', normalize: false }, status: 422, message: /normalised/ },
];

const DJL_CASES: Case[] = [
  { name: 'empty plain body', body: '', contentType: 'text/plain', status: 400, message: /empty/ },
  { name: 'invalid JSON', body: '[1,', status: 400, message: /not valid JSON/ },
  { name: 'missing inputs', body: { text: 'a' }, status: 400, message: /missing `inputs`/ },
  { name: 'empty list', body: { inputs: [] }, status: 400, message: /empty array/ },
  { name: 'null item', body: ['a', null], status: 400, message: /`inputs\[1\]` is null/ },
  { name: 'number', body: 42, status: 400, message: /string or an array/ },
  { name: 'too many items', body: Array(5).fill('x'), status: 400, message: /more than the 4/ },
];

describe('bad input', () => {
  let sim: DjlSimulator;
  let door: TestFrontDoor;

  before(async () => {
    sim = await startDjlSimulator({ ...DJL_PROFILES.zero });
    door = await startFrontDoor({
      CPU_BACKENDS: sim.predictionsUrl,
      MAX_ITEMS_PER_REQUEST: '4',
      MAX_CHARS_PER_ITEM: '100',
      MAX_BODY_BYTES: '2048',
    });
  });
  after(async () => {
    await door.close();
    await sim.close();
  });

  const send = (path: string, c: Case) =>
    post(`${door.url}${path}`, c.body, c.contentType ? { 'content-type': c.contentType } : {});

  for (const c of OPENAI_CASES) {
    test(`OpenAI: ${c.name} -> ${c.status} with an OpenAI error body`, async () => {
      const { status, body } = await send('/v1/embeddings', c);
      assert.equal(status, c.status);
      assert.deepEqual(Object.keys(body.error).sort(), ['code', 'message', 'param', 'type']);
      assert.equal(body.error.type, 'invalid_request_error');
      assert.match(body.error.message, c.message);
    });
  }

  for (const c of TEI_CASES) {
    test(`TEI: ${c.name} -> ${c.status} with a TEI error body`, async () => {
      const { status, body } = await send('/embed', c);
      assert.equal(status, c.status);
      assert.deepEqual(Object.keys(body).sort(), ['error', 'error_type']);
      assert.match(body.error, c.message);
      assert.equal(body.error_type, status === 422 ? 'Validation' : body.error_type);
    });
  }

  for (const c of DJL_CASES) {
    test(`DJL: ${c.name} -> ${c.status} TranslateException`, async () => {
      const { status, body } = await send('/predictions/all_MiniLM_L6_v2', c);
      assert.equal(status, c.status);
      assert.equal(body.code, c.status);
      assert.equal(body.type, 'TranslateException');
      assert.match(body.message, c.message);
    });
  }

  test('no bad request reached a backend', () => {
    assert.equal(sim.stats.requests, 0);
  });

  test('a body over MAX_BODY_BYTES gets 413 in each dialect (Content-Length)', async () => {
    const big = { input: 'x'.repeat(3000), inputs: 'x'.repeat(3000) };
    const openai = await post(`${door.url}/v1/embeddings`, big);
    assert.equal(openai.status, 413);
    assert.match(openai.body.error.message, /MAX_BODY_BYTES/);
    const tei = await post(`${door.url}/embed`, big);
    assert.equal(tei.status, 413);
    assert.equal(tei.body.error_type, 'Validation');
    const djl = await post(`${door.url}/predictions/all_MiniLM_L6_v2`, big);
    assert.equal(djl.status, 413);
    assert.equal(djl.body.code, 413);
  });

  test('a chunked body is cut off at the limit without reading it all', async () => {
    const chunk = Buffer.alloc(1024, 'x');
    let written = 0;
    const { status, body } = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = httpRequest(`${door.url}/v1/embeddings`, { method: 'POST', headers: { 'content-type': 'application/json' } }, (res) => {
        let text = '';
        res.on('data', (data) => (text += data));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
      });
      req.on('error', reject);
      // Keep streaming well past the limit; the server must answer before we finish.
      const pump = (): void => {
        while (written < 64 && req.write(chunk)) written++;
        if (written < 64) req.once('drain', pump);
        else req.end();
      };
      pump();
    });
    assert.equal(status, 413);
    assert.match(JSON.parse(body).error.message, /2048 bytes/);
  });

  test('wrong method: 405 naming the right one; unknown path: 404 in the path dialect', async () => {
    const get = await fetch(`${door.url}/v1/embeddings`);
    assert.equal(get.status, 405);
    assert.match((await readJson(get)).error.message, /use POST/);
    const unknown = await fetch(`${door.url}/v1/completions`, { method: 'POST' });
    assert.equal(unknown.status, 404);
    assert.equal((await readJson(unknown)).error.code, 'not_found');
    const djl = await fetch(`${door.url}/models/x/unknown`);
    assert.equal(djl.status, 404);
    assert.equal((await readJson(djl)).type, 'ResourceNotFoundException');
  });

  test('the server still serves a good request after all of that', async () => {
    const { status, body } = await post(`${door.url}/embed`, { inputs: ['still fine'] });
    assert.equal(status, 200);
    assert.equal(body[0].length, 384);
  });
});
