/**
 * Client input comes back bounded: an error message quotes at most 64 characters of a field, path
 * or header (then an ellipsis), JSON-escaped, and a 200 names the client's model only when it is a
 * plain short name.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { post, startFrontDoor, type TestFrontDoor } from '../helpers/front-door';
import { DJL_PROFILES, type DjlSimulator, startDjlSimulator } from '../../tools/djl-simulator/djl-simulator';

const ONE_MB = 1_048_576;
const SERVED_MODEL = 'sentence-transformers/all-MiniLM-L6-v2';
/** An error answer quoting 64 characters of a field, with room for the message around it. */
const MAX_ERROR_ANSWER_CHARS = 400;
/** A path segment or header value well past any echo, and within Node's 16 KB header limit. */
const LONG_URL_PART = 8_000;

describe('bounded echoes of client input', () => {
  let sim: DjlSimulator;
  let door: TestFrontDoor;
  let strict: TestFrontDoor;

  before(async () => {
    sim = await startDjlSimulator({ ...DJL_PROFILES.zero });
    const env = { CPU_BACKENDS: sim.predictionsUrl, MAX_BODY_BYTES: String(4 * ONE_MB) };
    door = await startFrontDoor(env);
    strict = await startFrontDoor({ ...env, STRICT_MODEL_NAMES: 'true' });
  });
  after(async () => {
    await door.close();
    await strict.close();
    await sim.close();
  });

  test('a 1 MB encoding_format: 400 quoting its first 64 characters and an ellipsis', async () => {
    const { status, body, text } = await post(`${door.url}/v1/embeddings`, { input: 'a', model: 'm', encoding_format: 'f'.repeat(ONE_MB) });
    assert.equal(status, 400);
    assert.equal(body.error.message, `\`encoding_format\`="${'f'.repeat(64)}…" is not supported: use "float" or "base64"`);
    assert.equal(body.error.param, 'encoding_format');
    assert.ok(text.length < MAX_ERROR_ANSWER_CHARS, `a ${text.length}-character answer`);
  });

  test('quotes and control characters in an echo are JSON-escaped; a short value is quoted whole', async () => {
    const { status, body } = await post(`${door.url}/v1/embeddings`, { input: 'a', model: 'm', encoding_format: 'in"t\n8' });
    assert.equal(status, 400);
    assert.equal(body.error.message, '`encoding_format`="in\\"t\\n8" is not supported: use "float" or "base64"');
  });

  test('a huge dimensions value is described or cut, never repeated whole', async () => {
    const list = await post(`${door.url}/v1/embeddings`, { input: 'a', model: 'm', dimensions: Array(4_000).fill(1) });
    assert.equal(list.status, 400);
    assert.match(list.body.error.message, /^`dimensions`=an array of 4000 items is not supported/);
    const string = await post(`${door.url}/embed`, { inputs: 'a', dimensions: '9'.repeat(ONE_MB) });
    assert.equal(string.status, 422);
    assert.ok(string.body.error.startsWith(`\`dimensions\`="${'9'.repeat(64)}…" is not supported`), string.body.error.slice(0, 200));
    assert.ok(string.text.length < MAX_ERROR_ANSWER_CHARS, `a ${string.text.length}-character answer`);
  });

  test('a 1 MB model name: a 200 naming the served model, not the client\'s name', async () => {
    const { status, body, text } = await post(`${door.url}/v1/embeddings`, { input: 'a', model: 'm'.repeat(ONE_MB) });
    assert.equal(status, 200);
    assert.equal(body.model, SERVED_MODEL);
    assert.ok(text.length < 20_000, `a ${text.length}-character answer`);
    const odd = await post(`${door.url}/v1/embeddings`, { input: 'a', model: 'line\nbreak' });
    assert.equal(odd.body.model, SERVED_MODEL, 'a name with a control character is not repeated');
    const plain = await post(`${door.url}/v1/embeddings`, { input: 'a', model: 'text-embedding-ada-002' });
    assert.equal(plain.body.model, 'text-embedding-ada-002', 'a plain short name still comes back as sent');
  });

  test('a long path, DJL model name or x-request-timeout-ms header is quoted 64 characters long', async () => {
    const long = 'p'.repeat(LONG_URL_PART);
    const model = await post(`${door.url}/predictions/${long}`, ['a']);
    assert.equal(model.status, 404);
    assert.deepEqual(model.body, { code: 404, type: 'ModelNotFoundException', message: `Model or workflow not found: ${'p'.repeat(64)}…` });
    const path = await post(`${door.url}/v1/${long}`, { input: 'a' });
    assert.equal(path.status, 404);
    assert.ok(path.body.error.message.startsWith(`no route for POST /v1/${'p'.repeat(60)}…; routes: `), path.body.error.message.slice(0, 200));
    assert.ok(path.text.length < 2_000, `a ${path.text.length}-character answer`);
    const header = await post(`${door.url}/embed`, { inputs: 'a' }, { 'x-request-timeout-ms': long });
    assert.equal(header.status, 422);
    assert.ok(header.body.error.startsWith(`x-request-timeout-ms="${'p'.repeat(64)}…" is not valid`), header.body.error.slice(0, 200));
    assert.ok(header.text.length < MAX_ERROR_ANSWER_CHARS, `a ${header.text.length}-character answer`);
  });

  test('STRICT_MODEL_NAMES: a 1 MB unknown model is a 404 quoting 64 characters of it', async () => {
    const { status, body, text } = await post(`${strict.url}/v1/embeddings`, { input: 'a', model: 'q'.repeat(ONE_MB) });
    assert.equal(status, 404);
    assert.equal(body.error.code, 'model_not_found');
    assert.ok(body.error.message.startsWith(`The model \`${'q'.repeat(64)}…\` does not exist`), body.error.message.slice(0, 200));
    assert.ok(text.length < MAX_ERROR_ANSWER_CHARS + 200, `a ${text.length}-character answer`);
  });
});
