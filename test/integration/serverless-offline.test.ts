/**
 * `serverless offline` (serverless-offline 13 running the serverless-esbuild bundles) on free
 * loopback ports, in front of a simulated DJL instance: HTTP API routes reach the embed function
 * as real API Gateway v2 events, the catch-all route gives the app's own 404, and the warm-up
 * function answers a direct Lambda invoke. The whole process group is stopped afterwards.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { DJL_PROFILES, type DjlSimulator, simulatedEmbedding, startDjlSimulator } from '../../tools/djl-simulator/djl-simulator';
import { OFFLINE_READY_TIMEOUT_MS, type ServerlessOffline, startServerlessOffline } from '../helpers/serverless-offline';

const WARMUP_FUNCTION = 'embed-front-door-dev-warmup';
/** serverless.yml's default WARMUP_LEAD_SECONDS (the 5-minute tick plus a 120 s cold start). */
const CONFIGURED_LEAD_MS = 420_000;

describe('serverless offline', { timeout: OFFLINE_READY_TIMEOUT_MS + 60_000 }, () => {
  let sim: DjlSimulator;
  let offline: ServerlessOffline | undefined;
  let httpUrl: string;
  let lambdaUrl: string;

  before(async () => {
    sim = await startDjlSimulator({ ...DJL_PROFILES.zero });
    // CPU_BACKENDS is read by serverless.yml into the functions' environment, as a deploy would.
    offline = await startServerlessOffline({ CPU_BACKENDS: sim.predictionsUrl, LOG_LEVEL: 'warn' });
    ({ httpUrl, lambdaUrl } = offline);
  });

  after(async () => {
    await offline?.stop();
    await sim?.close();
  });

  test('POST /embed through the HTTP API route returns the backend\'s vectors', async () => {
    const response = await fetch(`${httpUrl}/embed`, {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ inputs: ['offline one', 'offline two'] }),
    });
    assert.equal(response.status, 200, await response.clone().text());
    assert.deepEqual(await response.json(), [simulatedEmbedding('offline one', 384), simulatedEmbedding('offline two', 384)]);
  });

  test('GET /ping answers the DJL way', async () => {
    const response = await fetch(`${httpUrl}/ping`);
    assert.equal(response.status, 200);
    assert.deepEqual(await response.json(), { all_MiniLM_L6_v2: { status: 'Healthy' } });
  });

  test('an unknown path reaches the app through the catch-all route: its 404, not the gateway\'s', async () => {
    const response = await fetch(`${httpUrl}/v1/nothing-here`);
    assert.equal(response.status, 404);
    const body = await response.json() as { error?: { message?: string } };
    assert.match(body.error?.message ?? '', /no route for GET \/v1\/nothing-here/);
  });

  test('the warm-up function answers a direct invoke with its dry-run plan', async () => {
    const response = await fetch(`${lambdaUrl}/2015-03-31/functions/${WARMUP_FUNCTION}/invocations`, {
      method: 'POST', body: JSON.stringify({ dryRun: true }),
    });
    assert.equal(response.status, 200, await response.clone().text());
    const plan = await response.json() as { dryRun: boolean; leadMs: number; actions: unknown[]; failed: number };
    assert.equal(plan.dryRun, true);
    // Static backends: nothing to scale, nothing failed; the lead comes from serverless.yml.
    assert.deepEqual(plan.actions, []);
    assert.equal(plan.failed, 0);
    assert.equal(plan.leadMs, CONFIGURED_LEAD_MS);
  });
});
