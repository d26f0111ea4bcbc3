/**
 * The Google Cloud entry (functions/gcp/index.ts) served by the Functions Framework's own server
 * (Express with its body parsers, which read the body before the app sees it), as Cloud
 * Functions gen2 and Cloud Run run it, on loopback port 0, in front of a simulated DJL instance.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { getTestServer } from '@google-cloud/functions-framework/testing';
import { parseExposition } from '../helpers/prometheus-text';
import { DJL_PROFILES, type DjlSimulator, simulatedEmbedding, startDjlSimulator } from '../../tools/djl-simulator/djl-simulator';

const KEY = 'efd_gcp-entry-test-key';
const AUTH = { authorization: `Bearer ${KEY}` };

describe('Google Cloud entry (functions-framework)', () => {
  let sim: DjlSimulator;
  let server: Server;
  let url: string;

  before(async () => {
    sim = await startDjlSimulator({ ...DJL_PROFILES.zero });
    // Each test file runs in its own process: the environment is ours to set, as the platform sets it.
    process.env.CPU_BACKENDS = sim.predictionsUrl;
    process.env.LOG_LEVEL = 'silent';
    // A key makes POST /warmup available (it changes capacity, so it never runs open).
    process.env.API_KEYS = `gcp-test:${createHash('sha256').update(KEY).digest('hex')}:role=operator`;
    await import('../../functions/gcp/index');
    server = getTestServer('embed');
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  after(async () => {
    server.closeAllConnections();
    server.close();
    await sim.close();
  });

  test('POST /embed (JSON, parsed by the framework first) answers with the backend\'s vectors', async () => {
    const response = await fetch(`${url}/embed`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...AUTH },
      body: JSON.stringify({ inputs: ['first chunk', 'second chunk'] }),
    });
    assert.equal(response.status, 200, await response.clone().text());
    assert.deepEqual(await response.json(), [simulatedEmbedding('first chunk', 384), simulatedEmbedding('second chunk', 384)]);
    assert.equal(sim.stats.requests > 0, true);
  });

  test('a DJL plain-text body (read by the framework\'s text parser) reaches the app intact', async () => {
    const response = await fetch(`${url}/predictions/all-MiniLM-L6-v2`, {
      method: 'POST', headers: { 'content-type': 'text/plain', ...AUTH }, body: 'plain text',
    });
    assert.equal(response.status, 200);
    assert.deepEqual(await response.json(), simulatedEmbedding('plain text', 384));
  });

  test('a wrong key gets the dialect\'s 401, not the backend', async () => {
    const response = await fetch(`${url}/embed`, {
      method: 'POST', headers: { 'content-type': 'application/json', authorization: 'Bearer wrong' }, body: '{"inputs": ["x"]}',
    });
    assert.equal(response.status, 401);
    assert.equal((await response.json() as { error_type: string }).error_type, 'Unauthorized');
  });

  test('GET /metrics is Prometheus text counting the requests served', async () => {
    const response = await fetch(`${url}/metrics`, { headers: AUTH });
    assert.equal(response.status, 200);
    assert.match(response.headers.get('content-type') ?? '', /^text\/plain/);
    const { samples } = parseExposition(await response.text());
    const served = samples.filter((sample) => sample.name === 'efd_requests_total' && sample.labels.route === '/embed' && sample.labels.status === '200');
    assert.ok(served.length > 0 && served.every((sample) => sample.value >= 1), 'efd_requests_total counts POST /embed');
  });

  test('POST /warmup runs the warm-up (dry run: static backends, nothing to scale)', async () => {
    const response = await fetch(`${url}/warmup`, {
      method: 'POST', headers: { 'content-type': 'application/json', ...AUTH }, body: JSON.stringify({ dry_run: true }),
    });
    assert.equal(response.status, 200, await response.clone().text());
    const body = await response.json() as { dry_run: boolean; actions: unknown[]; unreadable: unknown[] };
    assert.equal(body.dry_run, true);
    assert.deepEqual(body.actions, []);
    assert.deepEqual(body.unreadable, []);
  });
});
