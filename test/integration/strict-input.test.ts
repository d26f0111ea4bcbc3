/**
 * Strict input: a compressed body and a content type a route does not read get 415 in the
 * route's dialect before anything is embedded; DJL's plain-text form keeps working. With no API
 * keys set, a Host name the server cannot vouch for gets 403 (the DNS-rebinding guard).
 */
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { gzipSync } from 'node:zlib';
import { after, before, describe, test } from 'node:test';
import { hashApiKey } from '../../shared/security/api-keys';
import { post, startFrontDoor, type TestFrontDoor } from '../helpers/front-door';
import { DJL_PROFILES, type DjlSimulator, startDjlSimulator } from '../../tools/djl-simulator/djl-simulator';

const DIMENSION = 384;
const DJL_PATH = '/predictions/all_MiniLM_L6_v2';

/** A request with any Host header (fetch will not send one of ours), answered with status and parsed body. */
function send(url: string, options: { method?: string; path: string; host: string; headers?: Record<string, string>; body?: string }): Promise<{ status: number; body: any }> {
  const { port } = new URL(url);
  return new Promise((resolve, reject) => {
    const outgoing = request({ host: '127.0.0.1', port: Number(port), method: options.method ?? 'POST', path: options.path,
      headers: { host: options.host, ...(options.body === undefined ? {} : { 'content-type': 'application/json' }), ...options.headers } }, (response) => {
      let text = '';
      response.on('data', (chunk: Buffer) => { text += chunk.toString(); });
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body: text === '' ? undefined : JSON.parse(text) }));
    });
    outgoing.on('error', reject);
    outgoing.end(options.body);
  });
}

describe('strict input', () => {
  let sim: DjlSimulator;
  let door: TestFrontDoor;

  before(async () => {
    sim = await startDjlSimulator({ ...DJL_PROFILES.zero });
    door = await startFrontDoor({ CPU_BACKENDS: sim.predictionsUrl });
  });
  after(async () => {
    await door.close();
    await sim.close();
  });

  test('a compressed body gets 415 in each dialect, saying to send it uncompressed; nothing reaches the backend', async () => {
    const before = sim.stats.requests;
    const gzip = { 'content-encoding': 'gzip' };
    const openai = await post(`${door.url}/v1/embeddings`, gzipSync('{"input": "a"}').toString('latin1'), gzip);
    assert.deepEqual([openai.status, openai.body.error.code, openai.body.error.type], [415, 'unsupported_media_type', 'invalid_request_error']);
    assert.match(openai.body.error.message, /send uncompressed JSON, without Content-Encoding/);
    const tei = await post(`${door.url}/embed`, '{"inputs": ["a"]}', { 'content-encoding': 'br' });
    assert.deepEqual([tei.status, tei.body.error_type], [415, 'Validation']);
    const djl = await post(`${door.url}${DJL_PATH}`, 'some text', { 'content-type': 'text/plain', 'content-encoding': 'GZIP' });
    assert.deepEqual([djl.status, djl.body.code, djl.body.type], [415, 415, 'TranslateException']);
    assert.match(djl.body.message, /send uncompressed JSON or text/);
    assert.equal(sim.stats.requests, before);
    // `identity` is no compression at all.
    assert.equal((await post(`${door.url}/embed`, { inputs: ['a'] }, { 'content-encoding': 'identity' })).status, 200);
  });

  test('the JSON routes take a JSON content type only; the 415 names it', async () => {
    for (const contentType of ['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/jsonx', '']) {
      const openai = await post(`${door.url}/v1/embeddings`, { input: 'a', model: 'm' }, { 'content-type': contentType });
      assert.deepEqual([openai.status, openai.body.error.code], [415, 'unsupported_media_type'], contentType);
      assert.match(openai.body.error.message, /Content-Type: application\/json/);
      const tei = await post(`${door.url}/embed`, { inputs: ['a'] }, { 'content-type': contentType });
      assert.deepEqual([tei.status, tei.body.error_type], [415, 'Validation'], contentType);
    }
    for (const contentType of ['application/json', 'Application/JSON; charset=utf-8', 'application/vnd.api+json']) {
      assert.equal((await post(`${door.url}/v1/embeddings`, { input: 'a', model: 'm' }, { 'content-type': contentType })).status, 200, contentType);
      assert.equal((await post(`${door.url}/embed`, { inputs: ['a'] }, { 'content-type': contentType })).status, 200, contentType);
    }
  });

  test('the DJL routes take JSON or plain text (or no content type), as DJL does, and refuse other types', async () => {
    const plain = await post(`${door.url}${DJL_PATH}`, 'first chunk', { 'content-type': 'text/plain; charset=utf-8' });
    assert.equal(plain.status, 200);
    assert.equal(plain.body.length, DIMENSION);
    const untyped = await send(door.url, { path: DJL_PATH, host: '127.0.0.1', body: 'first chunk', headers: { 'content-type': '' } });
    assert.equal(untyped.status, 200);
    assert.equal(untyped.body.length, DIMENSION);
    const json = await post(`${door.url}/invocations?model_name=all_MiniLM_L6_v2`, '["a", "b"]', { 'content-type': 'application/vnd.djl+json' });
    assert.equal(json.status, 200);
    assert.deepEqual(json.body.map((vector: number[]) => vector.length), [DIMENSION, DIMENSION]);
    for (const contentType of ['application/x-www-form-urlencoded', 'application/octet-stream', 'text/html']) {
      const refused = await post(`${door.url}${DJL_PATH}`, 'a', { 'content-type': contentType });
      assert.deepEqual([refused.status, refused.body.type], [415, 'TranslateException'], contentType);
      assert.match(refused.body.message, /application\/json .* or text\/plain/);
    }
  });
});

describe('Host guard with no API keys', () => {
  let sim: DjlSimulator;
  let door: TestFrontDoor;

  before(async () => {
    sim = await startDjlSimulator({ ...DJL_PROFILES.zero });
    door = await startFrontDoor({ CPU_BACKENDS: sim.predictionsUrl, ALLOWED_HOSTS: 'embed.internal,*.svc.example' });
  });
  after(async () => {
    await door.close();
    await sim.close();
  });

  test('a name the server cannot vouch for gets 403 host_not_allowed on keyed and operator routes, in the dialect', async () => {
    const evil = 'rebind.evil.example:8080';
    const openai = await send(door.url, { path: '/v1/embeddings', host: evil, body: '{"input": "a"}' });
    assert.deepEqual([openai.status, openai.body.error.code, openai.body.error.type], [403, 'host_not_allowed', 'permission_error']);
    assert.match(openai.body.error.message, /ALLOWED_HOSTS/);
    const djl = await send(door.url, { path: DJL_PATH, host: evil, body: '["a"]' });
    assert.deepEqual([djl.status, djl.body.type], [403, 'TranslateException']);
    assert.equal((await send(door.url, { method: 'GET', path: '/info', host: evil })).status, 403);
    assert.equal((await send(door.url, { method: 'GET', path: '/metrics', host: evil })).status, 403);
    // Load balancers' probes pass whatever Host they send.
    assert.equal((await send(door.url, { method: 'GET', path: '/ping', host: evil })).status, 200);
    assert.equal((await send(door.url, { method: 'GET', path: '/health', host: evil })).status, 200);
  });

  test('loopback names, IP addresses and ALLOWED_HOSTS names are served', async () => {
    for (const host of ['localhost:8080', '127.0.0.1', '[::1]:8080', '10.0.0.7:8080', 'embed.internal', 'a.svc.example:80']) {
      const answer = await send(door.url, { path: '/embed', host, body: '{"inputs": ["a"]}' });
      assert.equal(answer.status, 200, host);
      assert.equal(answer.body[0].length, DIMENSION, host);
    }
  });

  test('with API keys set the Host is not checked: the key is the guard', async () => {
    const key = 'efd_host-test-key';
    const keyed = await startFrontDoor({ CPU_BACKENDS: sim.predictionsUrl, API_KEYS: `t:${hashApiKey(key)}` });
    try {
      const answer = await send(keyed.url, { path: '/embed', host: 'any.name.example', body: '{"inputs": ["a"]}', headers: { authorization: `Bearer ${key}` } });
      assert.equal(answer.status, 200);
    } finally {
      await keyed.close();
    }
  });
});
