/**
 * Embed answers, written with all their headers at once (shared/http/answer-headers.ts), carry
 * exactly the security headers every other route gets from secureHeaders, plus the request id,
 * no-store, the content type and the tier and timing headers; CORS still adds its own.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { post, startFrontDoor, type TestFrontDoor } from '../helpers/front-door';
import { DJL_PROFILES, type DjlSimulator, startDjlSimulator } from '../../tools/djl-simulator/djl-simulator';

/** Headers secureHeaders sets (as configured in apply-security.ts), read from a /health answer. */
const SECURITY_HEADERS = [
  'content-security-policy', 'cross-origin-opener-policy', 'cross-origin-resource-policy', 'origin-agent-cluster', 'referrer-policy',
  'strict-transport-security', 'x-content-type-options', 'x-dns-prefetch-control', 'x-download-options', 'x-frame-options',
  'x-permitted-cross-domain-policies', 'x-xss-protection',
] as const;

describe('embed answers carry the same headers as every other route', () => {
  let sim: DjlSimulator;
  let door: TestFrontDoor;
  let corsDoor: TestFrontDoor;

  before(async () => {
    sim = await startDjlSimulator({ ...DJL_PROFILES.zero });
    door = await startFrontDoor({ CPU_BACKENDS: sim.predictionsUrl });
    corsDoor = await startFrontDoor({ CPU_BACKENDS: sim.predictionsUrl, CORS_ORIGINS: 'https://app.example' });
  });
  after(async () => {
    await door.close();
    await corsDoor.close();
    await sim.close();
  });

  test('the security headers, no-store, JSON, the request id and the tier and timing headers, in every dialect', async () => {
    const health = await fetch(`${door.url}/health`);
    await health.arrayBuffer();
    for (const name of SECURITY_HEADERS) assert.ok(health.headers.get(name), `/health has ${name}`);
    const answers = [
      await post(`${door.url}/predictions/all_MiniLM_L6_v2`, ['a'], { 'x-request-id': 'abc-123' }),
      await post(`${door.url}/embed`, { inputs: ['a'] }, { 'x-request-id': 'abc-123' }),
      await post(`${door.url}/v1/embeddings`, { input: ['a'], model: 'all-MiniLM-L6-v2' }, { 'x-request-id': 'abc-123' }),
    ];
    for (const answer of answers) {
      assert.equal(answer.status, 200);
      for (const name of SECURITY_HEADERS) assert.equal(answer.headers.get(name), health.headers.get(name), name);
      assert.equal(answer.headers.get('cache-control'), 'no-store');
      assert.equal(answer.headers.get('content-type'), 'application/json');
      assert.equal(answer.headers.get('x-request-id'), 'abc-123');
      assert.equal(answer.headers.get('x-embed-tier'), 'cpu');
      assert.match(answer.headers.get('server-timing') ?? '', /^queue;dur=[\d.]+, upstream;dur=[\d.]+, total;dur=[\d.]+$/);
      assert.equal(answer.headers.get('content-length'), String(Buffer.byteLength(answer.text)));
    }
    const generated = await post(`${door.url}/embed`, { inputs: ['a'] }, { 'x-request-id': 'not safe!' });
    assert.match(generated.headers.get('x-request-id') ?? '', /^[0-9a-f-]{36}$/);
  });

  test('with CORS configured, an embed answer also carries the CORS headers', async () => {
    const answer = await post(`${corsDoor.url}/embed`, { inputs: ['a'] }, { origin: 'https://app.example' });
    assert.equal(answer.status, 200);
    assert.equal(answer.headers.get('access-control-allow-origin'), 'https://app.example');
    assert.match(answer.headers.get('access-control-expose-headers') ?? '', /x-embed-tier/);
    assert.equal(answer.headers.get('x-frame-options'), 'SAMEORIGIN');
  });
});
