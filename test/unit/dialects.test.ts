import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseConfig } from '../../shared/config/config';
import { parseDjlRequest, formatDjlResponse, djlErrorBody } from '../../shared/dialects/djl';
import { createModelNames } from '../../shared/dialects/model-names';
import { estimateTokens, openAiErrorBody, parseOpenAiRequest } from '../../shared/dialects/openai';
import { parseJsonBody } from '../../shared/dialects/read-texts';
import { parseTeiRequest, teiErrorBody, teiStatus } from '../../shared/dialects/tei';
import { decodeFloat32Base64, encodeFloat32Base64 } from '../../shared/dialects/vector-encoding';
import { FrontDoorError } from '../../shared/errors';

const limits = { maxItems: 4, maxCharsPerItem: 10 };
const models = createModelNames(parseConfig({ MODEL_ALIASES: 'embedder' }));
const openAi = (body: unknown, strict = false) =>
  parseOpenAiRequest(body, { limits, models, dimension: 384, strictModelNames: strict });

function rejects(fn: () => unknown, status: number, code: string, message: RegExp): FrontDoorError {
  try {
    fn();
  } catch (error) {
    assert.ok(error instanceof FrontDoorError, `expected FrontDoorError, got ${String(error)}`);
    assert.equal(error.status, status);
    assert.equal(error.code, code);
    assert.match(error.message, message);
    return error;
  }
  assert.fail('expected a rejection');
}

describe('OpenAI request', () => {
  test('string and list inputs, defaults', () => {
    assert.deepEqual(openAi({ input: 'a', model: 'text-embedding-ada-002' }), { texts: ['a'], model: 'text-embedding-ada-002', encodingFormat: 'float' });
    assert.deepEqual(openAi({ input: ['a', 'b'], encoding_format: 'base64' }).texts, ['a', 'b']);
    assert.equal(openAi({ input: 'a' }).model, 'sentence-transformers/all-MiniLM-L6-v2');
    assert.equal(openAi({ input: 'a', dimensions: 384 }).texts.length, 1);
  });

  test('every mistake names its field', () => {
    rejects(() => openAi({}), 400, 'empty_input', /missing `input`/);
    rejects(() => openAi({ input: [] }), 400, 'empty_input', /empty array/);
    rejects(() => openAi({ input: ['a', ''] }), 400, 'empty_input', /`input\[1\]` is an empty string/);
    rejects(() => openAi({ input: ['a', 3] }), 400, 'invalid_request', /`input\[1\]` is a number/);
    rejects(() => openAi({ input: [1, 2, 3] }), 400, 'unsupported_parameter', /token arrays are not supported/);
    rejects(() => openAi({ input: [[1, 2]] }), 400, 'unsupported_parameter', /token arrays/);
    rejects(() => openAi({ input: ['a', 'b', 'c', 'd', 'e'] }), 400, 'too_many_items', /5 items, more than the 4/);
    rejects(() => openAi({ input: 'x'.repeat(11) }), 400, 'item_too_long', /11 characters/);
    rejects(() => openAi({ input: { text: 'a' } }), 400, 'invalid_request', /string or an array of strings, not an object/);
    rejects(() => openAi({ input: 'a', encoding_format: 'int8' }), 400, 'invalid_request', /"float" or "base64"/);
    const dims = rejects(() => openAi({ input: 'a', dimensions: 256 }), 400, 'unsupported_parameter', /returns 384 dimensions/);
    assert.equal(dims.param, 'dimensions');
    rejects(() => openAi(['a']), 400, 'invalid_request', /JSON object/);
  });

  test('strict mode answers unknown models with model_not_found', () => {
    assert.equal(openAi({ input: 'a', model: 'all-MiniLM-L6-v2' }, true).model, 'all-MiniLM-L6-v2');
    assert.equal(openAi({ input: 'a', model: 'embedder' }, true).model, 'embedder');
    const error = rejects(() => openAi({ input: 'a', model: 'text-embedding-ada-002' }, true), 404, 'model_not_found', /does not exist/);
    assert.deepEqual(openAiErrorBody(error), {
      error: { message: error.message, type: 'invalid_request_error', param: 'model', code: 'model_not_found' },
    });
  });

  test('token estimate is about four characters a token plus two special tokens', () => {
    assert.equal(estimateTokens(['abcd', 'abcdefgh']), 1 + 2 + 2 + 2);
  });
});

describe('TEI request', () => {
  test('accepts TEI options it can honour and rejects the rest with 422', () => {
    assert.deepEqual(parseTeiRequest({ inputs: 'a', normalize: true, truncate: true, truncation_direction: 'Right' }, limits, 384).texts, ['a']);
    const error = rejects(() => parseTeiRequest({ inputs: 'a', normalize: false }, limits, 384), 400, 'unsupported_parameter', /normalised/);
    assert.equal(teiStatus(error), 422);
    assert.deepEqual(teiErrorBody(error), { error: error.message, error_type: 'Validation' });
    const empty = rejects(() => parseTeiRequest({ inputs: [] }, limits, 384), 400, 'empty_input', /empty/);
    assert.equal(teiStatus(empty), 400);
    assert.equal((teiErrorBody(empty) as { error_type: string }).error_type, 'Empty');
    rejects(() => parseTeiRequest({ inputs: 'a', truncation_direction: 'Left' }, limits, 384), 400, 'unsupported_parameter', /Right/);
    rejects(() => parseTeiRequest({ inputs: 'a', prompt_name: 'query' }, limits, 384), 400, 'unsupported_parameter', /prompt/);
  });
});

describe('DJL request', () => {
  test('content type decides: JSON list, JSON object, bare string, plain text', () => {
    assert.deepEqual(parseDjlRequest('["a","b"]', 'application/json', limits), { texts: ['a', 'b'], single: false });
    assert.deepEqual(parseDjlRequest('{"inputs":["a"]}', 'application/json; charset=utf-8', limits), { texts: ['a'], single: false });
    assert.deepEqual(parseDjlRequest('{"inputs":"a"}', 'application/json', limits), { texts: ['a'], single: true });
    assert.deepEqual(parseDjlRequest('"a"', 'application/json', limits), { texts: ['a'], single: true });
    assert.deepEqual(parseDjlRequest('["a"]', 'text/plain', limits), { texts: ['["a"]'], single: true });
    assert.deepEqual(parseDjlRequest('hello', undefined, limits), { texts: ['hello'], single: true });
    // DJL embeds an empty string like any other text.
    assert.deepEqual(parseDjlRequest('[""]', 'application/json', limits).texts, ['']);
  });

  test('bad bodies get TranslateException', () => {
    const empty = rejects(() => parseDjlRequest('', 'text/plain', limits), 400, 'empty_input', /empty/);
    assert.deepEqual(djlErrorBody(empty), { code: 400, type: 'TranslateException', message: empty.message });
    rejects(() => parseDjlRequest('{"inputs": [', 'application/json', limits), 400, 'invalid_json', /not valid JSON/);
    rejects(() => parseDjlRequest('{"text": "a"}', 'application/json', limits), 400, 'empty_input', /missing `inputs`/);
    rejects(() => parseDjlRequest('{"inputs": ["a", null]}', 'application/json', limits), 400, 'invalid_request', /`inputs\[1\]` is null/);
    rejects(() => parseDjlRequest('[]', 'application/json', limits), 400, 'empty_input', /empty array/);
  });

  test('flat vector for one text, nested for a list', () => {
    assert.equal(formatDjlResponse({ texts: ['a'], single: true }, [[1, 2]]), '[1,2]');
    assert.equal(formatDjlResponse({ texts: ['a'], single: false }, [[1, 2]]), '[[1,2]]');
  });
});

describe('model names', () => {
  test('both DJL spellings, the id and aliases are accepted', () => {
    for (const name of ['all-MiniLM-L6-v2', 'all_MiniLM_L6_v2', 'sentence-transformers/all-MiniLM-L6-v2', 'embedder']) {
      assert.ok(models.accepts(name), name);
    }
    assert.equal(models.accepts('bge-small'), false);
    assert.equal(models.djlName, 'all_MiniLM_L6_v2');
  });
});

describe('encodings', () => {
  test('base64 is little-endian float32 and round-trips', () => {
    const vector = [0.5, -1, Math.fround(0.1)];
    const encoded = encodeFloat32Base64(vector);
    const bytes = Buffer.from(encoded, 'base64');
    assert.equal(bytes.length, 12);
    assert.equal(bytes.readFloatLE(4), -1);
    assert.deepEqual(decodeFloat32Base64(encoded), vector);
  });

  test('base64 bytes are those of a fresh Float32Array, whatever the length before', () => {
    const reference = (vector: number[]): string => Buffer.from(Float32Array.from(vector).buffer).toString('base64');
    const awkward = [0.1, -0, 1e-45, 3.4028234663852886e38, -3.4028234663852886e38, 1e-7, 123456789.123, Math.PI];
    // A vector past the shared buffer's 4,096 numbers, then shorter ones: no byte of a longer one shows.
    for (const length of [384, 5_000, 3, 384, 0, 768]) {
      const vector = Array.from({ length }, (_, i) => (awkward[i % awkward.length] as number) * (i % 3 === 0 ? -1 : 1) + i * 1e-3);
      assert.equal(encodeFloat32Base64(vector), reference(vector), `length ${length}`);
    }
  });

  test('invalid JSON says so', () => {
    rejects(() => parseJsonBody('{'), 400, 'invalid_json', /not valid JSON/);
    rejects(() => parseJsonBody('  '), 400, 'invalid_json', /empty/);
  });
});
