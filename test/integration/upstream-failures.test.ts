/** Upstream trouble reaches clients as clear 502/503/504s in their dialect, never as 500 or a hang. */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, test } from 'node:test';
import { createLogger } from '../../shared/logger';
import { BACKEND_UNREACHABLE } from '../../shared/upstream/unreachable-at-start';
import { deadPort } from '../helpers/dead-port';
import { eventually } from '../helpers/eventually';
import { post, readJson, startFrontDoor } from '../helpers/front-door';
import { DJL_PROFILES, simulatedEmbedding, startDjlSimulator } from '../../tools/djl-simulator/djl-simulator';

/** A DJL URL nothing listens on. */
const deadUrl = async (): Promise<string> => `http://127.0.0.1:${await deadPort()}/predictions/all_MiniLM_L6_v2`;

/** A backend that reports itself healthy on /ping but answers every embed with the given status and body. */
async function fixedBackend(status: number, body: string): Promise<{ url: string; server: Server }> {
  const server = createServer((req, res) => {
    if (req.url === '/ping') {
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"all_MiniLM_L6_v2": {"status": "Healthy"}}');
      return;
    }
    res.writeHead(status, { 'content-type': 'application/json' }).end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

describe('upstream failures', () => {
  test('backend down: 503 in every dialect, with a message that hides its address', async () => {
    const door = await startFrontDoor({ CPU_BACKENDS: await deadUrl() });
    try {
      const openai = await post(`${door.url}/v1/embeddings`, { input: 'a', model: 'm' });
      assert.equal(openai.status, 503);
      assert.equal(openai.body.error.code, 'backend_unavailable');
      assert.equal(openai.body.error.type, 'server_error');
      assert.doesNotMatch(openai.text, /127\.0\.0\.1/);
      const tei = await post(`${door.url}/embed`, { inputs: 'a' });
      assert.equal(tei.status, 503);
      assert.equal(tei.body.error_type, 'Unhealthy');
      const djl = await post(`${door.url}/predictions/all_MiniLM_L6_v2`, ['a']);
      assert.equal(djl.status, 503);
      assert.equal(djl.body.type, 'ServiceUnavailableException');
      const health = await fetch(`${door.url}/health`);
      assert.equal(health.status, 503);
      const healthText = await health.text();
      assert.deepEqual(JSON.parse(healthText), {
        status: 'unavailable', tiers: { cpu: { ready: 0, endpoints: 1 }, gpu: { ready: 0, endpoints: 0 } },
        error: 'no backend can serve requests right now', error_type: 'Unhealthy',
      });
      assert.doesNotMatch(healthText, /127\.0\.0\.1/);
      const ping = await readJson(await fetch(`${door.url}/ping`));
      assert.deepEqual(ping, { all_MiniLM_L6_v2: { status: 'Unhealthy' } });
    } finally {
      await door.close();
    }
  });

  test('a backend nothing listens on at start: one backend_unreachable warning naming its tier and host:port, nothing else of its URL', async () => {
    const sim = await startDjlSimulator({ ...DJL_PROFILES.zero });
    const port = await deadPort();
    const lines: Record<string, unknown>[] = [];
    const logger = createLogger('debug', (line) => lines.push(JSON.parse(line) as Record<string, unknown>));
    const door = await startFrontDoor({
      CPU_BACKENDS: `${sim.predictionsUrl},http://127.0.0.1:${port}/predictions/all_MiniLM_L6_v2?token=s3cret`,
      HEALTH_INTERVAL_MS: '200',
    }, logger);
    try {
      // Every full probe round asks both backends; three rounds mean three probes of the dead one.
      await eventually(() => sim.stats.pings >= 3, { message: 'three probe rounds' });
      const warnings = lines.filter((line) => line.event === BACKEND_UNREACHABLE);
      assert.equal(warnings.length, 1, 'once, at the first probe');
      const { time: _time, ...warning } = warnings[0] as Record<string, unknown>;
      assert.deepEqual(warning, {
        level: 'warn', event: BACKEND_UNREACHABLE, tier: 'cpu', endpoint: 'cpu-1', address: `127.0.0.1:${port}`,
        message: 'nothing answered its health check at start: connection refused, unknown host or no answer in time',
      });
      assert.doesNotMatch(JSON.stringify(lines), /s3cret|predictions/, 'no path or query of a backend URL in any line');
    } finally {
      await door.close();
      await sim.close();
    }
  });

  test('one backend down of two: requests fail over and all succeed', async () => {
    const sim = await startDjlSimulator({ ...DJL_PROFILES.zero });
    const door = await startFrontDoor({ CPU_BACKENDS: `${await deadUrl()},${sim.predictionsUrl}` });
    try {
      for (let i = 0; i < 6; i++) {
        const { status, body } = await post(`${door.url}/embed`, { inputs: [`t${i}`] });
        assert.equal(status, 200);
        assert.deepEqual(body, [simulatedEmbedding(`t${i}`, 384)]);
      }
    } finally {
      await door.close();
      await sim.close();
    }
  });

  test('backend slow: 504 once the upstream timeout passes, not a hang', async () => {
    const sim = await startDjlSimulator({ ...DJL_PROFILES.zero, hangRate: 1 });
    const door = await startFrontDoor({ CPU_BACKENDS: sim.predictionsUrl, UPSTREAM_TIMEOUT_MS: '300', REQUEST_TIMEOUT_MS: '2000' });
    try {
      const started = performance.now();
      const { status, body } = await post(`${door.url}/v1/embeddings`, { input: 'a', model: 'm' });
      const elapsed = performance.now() - started;
      assert.equal(status, 504);
      assert.equal(body.error.code, 'backend_timeout');
      assert.ok(elapsed >= 290 && elapsed < 1_900, `answered after ${elapsed.toFixed(0)} ms`);
      const djl = await post(`${door.url}/predictions/all_MiniLM_L6_v2`, '"a"');
      assert.equal(djl.status, 504);
      assert.equal(djl.body.type, 'GatewayTimeoutException');
    } finally {
      await door.close();
      await sim.close();
    }
  });

  test('backend overloaded (DJL WlmCapacityException): 503 backend_overloaded', async () => {
    const sim = await startDjlSimulator({ ...DJL_PROFILES.zero, errorRate: 1 });
    const door = await startFrontDoor({ CPU_BACKENDS: sim.predictionsUrl });
    try {
      const { status, body } = await post(`${door.url}/v1/embeddings`, { input: 'a', model: 'm' });
      assert.equal(status, 503);
      assert.equal(body.error.code, 'backend_overloaded');
      const tei = await post(`${door.url}/embed`, { inputs: 'a' });
      assert.equal(tei.status, 503);
    } finally {
      await door.close();
      await sim.close();
    }
  });

  test('backend answering garbage or the wrong dimension: 502, never 500', async () => {
    const garbage = await fixedBackend(200, '<html>oops</html>');
    const wrongDim = await fixedBackend(200, JSON.stringify([[0.1, 0.2]]));
    const failing = await fixedBackend(500, JSON.stringify({ code: 500, type: 'InternalServerException', message: 'boom' }));
    try {
      for (const [backend, code] of [[garbage, 'backend_bad_response'], [wrongDim, 'backend_bad_response'], [failing, 'backend_error']] as const) {
        const door = await startFrontDoor({ CPU_BACKENDS: `${backend.url}/predictions/all_MiniLM_L6_v2` });
        try {
          const { status, body } = await post(`${door.url}/v1/embeddings`, { input: 'a', model: 'm' });
          assert.equal(status, 502);
          assert.equal(body.error.code, code);
        } finally {
          await door.close();
        }
      }
    } finally {
      garbage.server.close();
      wrongDim.server.close();
      failing.server.close();
    }
  });

  test('no backend configured: 503 that says to set CPU_BACKENDS', async () => {
    const door = await startFrontDoor({});
    try {
      const { status, body } = await post(`${door.url}/v1/embeddings`, { input: 'a', model: 'm' });
      assert.equal(status, 503);
      assert.match(body.error.message, /CPU_BACKENDS/);
    } finally {
      await door.close();
    }
  });
});
