/**
 * Vectors copied as the backend wrote them (core/vector-json.ts) answer exactly the doubles the
 * old parse-and-print path answered, in every dialect, for awkward numbers; vectors with no text
 * (the cache's, the in-process engine's) are printed exactly as before; and a backend's answer is
 * still refused when it is not count x dimension finite float32 numbers.
 */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { Tier } from '../../shared/core/tier';
import { formatDjlResponse } from '../../shared/dialects/djl';
import { EncodingFormat, estimateTokens, formatOpenAiResponse, type OpenAiRequest } from '../../shared/dialects/openai';
import { formatTeiResponse } from '../../shared/dialects/tei';
import { decodeFloat32Base64, encodeFloat32Base64 } from '../../shared/dialects/vector-encoding';
import { createDjlUpstream } from '../../shared/upstream/djl-upstream';
import { createTeiUpstream } from '../../shared/upstream/tei-upstream';
import { createUndiciTransport } from '../../shared/upstream/undici-transport';
import { isUpstreamError } from '../../shared/upstream/upstream-error';

const DIMENSION = 8;
/** Java's and JS's spellings, exponents both ways, more digits than a double holds, integers, tiny and huge float32s. */
const AWKWARD = '[ [1.0E-7, 1e-7, 0.12345678901234567890123, -1.5e+10, 3, 1E2, 1.401298464324817e-45, 3.4028234663852886e38],\n' +
  '[0.5,-0.0,2E3,0.1,-0,7e-8,123456789012345678901234567890,-3.4028234663852886e38] ]';

/** The old answers: the parsed vectors printed by JSON.stringify. */
const oldDjl = (vectors: number[][], single: boolean): string => JSON.stringify(single ? vectors[0] : vectors);
const oldOpenAi = (request: OpenAiRequest, vectors: number[][]): string => {
  const tokens = estimateTokens(request.texts);
  return JSON.stringify({
    object: 'list',
    data: vectors.map((vector, index) => ({
      object: 'embedding', index, embedding: request.encodingFormat === EncodingFormat.base64 ? encodeFloat32Base64(vector) : vector,
    })),
    model: request.model,
    usage: { prompt_tokens: tokens, total_tokens: tokens },
  });
};

/** Every number of two JSON answers is the same double, sign of zero included. */
function assertSameDoubles(actual: string, expected: string): void {
  const walk = (a: unknown, e: unknown, path: string): void => {
    if (typeof e === 'number') {
      assert.ok(Object.is(a, e), `${path}: ${String(a)} is not ${String(e)}`);
    } else if (Array.isArray(e)) {
      assert.ok(Array.isArray(a) && a.length === e.length, `${path}: list lengths differ`);
      e.forEach((item, index) => walk((a as unknown[])[index], item, `${path}[${index}]`));
    } else if (e !== null && typeof e === 'object') {
      assert.deepEqual(Object.keys(a as object), Object.keys(e), `${path}: keys differ`);
      for (const [key, value] of Object.entries(e)) walk((a as Record<string, unknown>)[key], value, `${path}.${key}`);
    } else {
      assert.equal(a, e, path);
    }
  };
  walk(JSON.parse(actual), JSON.parse(expected), '$');
}

describe('vectors copied as the backend wrote them', () => {
  let body = AWKWARD;
  let server: Server;
  let url = '';
  const transport = createUndiciTransport({ connectionsPerOrigin: 2 });
  const call = { requestId: 'r', timeoutMs: 5_000 };

  before(async () => {
    server = createServer((req, res) => {
      req.resume();
      req.on('end', () => res.writeHead(200, { 'content-type': 'application/json' }).end(body));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/predictions/m`;
  });
  after(async () => {
    await transport.close();
    await new Promise((resolve) => server.close(resolve));
  });

  const djl = () => createDjlUpstream({ id: 'cpu-0', tier: Tier.cpu, url, modelName: 'm', dimension: DIMENSION, transport });

  test('DJL, TEI and OpenAI float answers hold the same doubles as before; the backend text is copied', async () => {
    body = AWKWARD;
    const vectors = await djl().embed(['a', 'b'], call);
    for (const single of [false, true]) assertSameDoubles(formatDjlResponse({ texts: ['a'], single }, vectors), oldDjl(vectors, single));
    const djlAnswer = formatDjlResponse({ texts: ['a', 'b'], single: false }, vectors);
    assert.ok(djlAnswer.includes('[1.0E-7, 1e-7, 0.12345678901234567890123'), 'the first vector is the backend\'s own text');
    assert.ok(!djlAnswer.includes('-0.0') && !djlAnswer.includes(',-0,'), 'the vector holding -0 is printed, as JSON.stringify prints -0: 0');
    assertSameDoubles(formatTeiResponse(vectors), JSON.stringify(vectors));
    const request: OpenAiRequest = { texts: ['a', 'b'], model: 'all-MiniLM-L6-v2', encodingFormat: EncodingFormat.float };
    assertSameDoubles(formatOpenAiResponse(request, vectors), oldOpenAi(request, vectors));
  });

  test('base64 answers are the same float32 bytes', async () => {
    body = AWKWARD;
    const vectors = await djl().embed(['a', 'b'], call);
    const request: OpenAiRequest = { texts: ['a', 'b'], model: 'm"odd', encodingFormat: EncodingFormat.base64 };
    const answer = formatOpenAiResponse(request, vectors);
    assert.equal(answer, oldOpenAi(request, vectors));
    const data = (JSON.parse(answer) as { data: { embedding: string }[] }).data;
    data.forEach((item, index) => assert.deepEqual(decodeFloat32Base64(item.embedding), (vectors[index] as number[]).map(Math.fround)));
  });

  test('through the TEI client too', async () => {
    body = AWKWARD;
    const tei = createTeiUpstream({ id: 'cpu-0', tier: Tier.cpu, url, dimension: DIMENSION, transport, apiKey: undefined });
    const vectors = await tei.embed(['a', 'b'], call);
    assertSameDoubles(formatTeiResponse(vectors), JSON.stringify(vectors));
    assert.ok(formatTeiResponse(vectors).startsWith('[[1.0E-7, 1e-7,'));
  });

  test('vectors with no backend text (cache, in-process engine) are printed exactly as before', () => {
    const vectors = [[0.25, -0, 1e-7, 0.1], [1, 2, 3, 4]];
    assert.equal(formatDjlResponse({ texts: ['a', 'b'], single: false }, vectors), oldDjl(vectors, false));
    assert.equal(formatDjlResponse({ texts: ['a'], single: true }, vectors), oldDjl(vectors, true));
    assert.equal(formatTeiResponse(vectors), JSON.stringify(vectors));
    for (const encodingFormat of [EncodingFormat.float, EncodingFormat.base64]) {
      const request: OpenAiRequest = { texts: ['a', 'bb'], model: 'text-embedding-3-small', encodingFormat };
      assert.equal(formatOpenAiResponse(request, vectors), oldOpenAi(request, vectors));
    }
  });

  test('an answer that is not count x dimension finite float32 numbers is still refused', async () => {
    const row = (value: string): string => `[${Array.from({ length: DIMENSION }, (_, index) => (index === 3 ? value : '0.5')).join(',')}]`;
    for (const bad of [
      `[${row('NaN')},${row('1')}]`, `[${row('Infinity')},${row('1')}]`, `[${row('1e999')},${row('1')}]`, `[${row('3.5e38')},${row('1')}]`,
      `[${row('"1"')},${row('1')}]`, `[${row('1')}]`, `[${row('1')},[1,2]]`, `[${row('1')},${row('1')}] trailing`, '{"a":1}',
    ]) {
      body = bad;
      await assert.rejects(djl().embed(['a', 'b'], call), (error: unknown) => isUpstreamError(error) && error.reason === 'bad_response', bad.slice(0, 60));
    }
  });
});
