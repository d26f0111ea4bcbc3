/**
 * `serverless offline` (serverless-offline 13 running the serverless-esbuild bundles) on free
 * loopback ports, in front of a simulated DJL instance: HTTP API routes reach the embed function
 * as real API Gateway v2 events, the catch-all route gives the app's own 404, and the warm-up
 * function answers a direct Lambda invoke. The whole process group is stopped afterwards.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm, rmdir } from 'node:fs/promises';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, test } from 'node:test';
import { DJL_PROFILES, type DjlSimulator, simulatedEmbedding, startDjlSimulator } from '../../tools/djl-simulator/djl-simulator';

const REPO = fileURLToPath(new URL('../..', import.meta.url));
/** Bundling both functions and starting up took about 10 s here; headroom for a busy CI machine. */
const READY_TIMEOUT_MS = 90_000;
const STOP_GRACE_MS = 5_000;
const WARMUP_FUNCTION = 'embed-front-door-dev-warmup';
/** serverless.yml's default WARMUP_LEAD_SECONDS (the 5-minute tick plus a 120 s cold start). */
const CONFIGURED_LEAD_MS = 420_000;

/** A port that was free a moment ago: bind port 0, read it, release it. */
async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  server.close();
  await once(server, 'close');
  return port;
}

/** Resolves once `pattern` appears in the child's output; rejects if it exits or time runs out. */
function waitForOutput(child: ChildProcess, pattern: RegExp, output: () => string): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => finish(new Error(`no ${pattern} within ${READY_TIMEOUT_MS} ms:\n${output()}`)), READY_TIMEOUT_MS);
    const check = () => { if (pattern.test(output())) finish(); };
    const exited = (code: number | null) => finish(new Error(`serverless offline exited (${code}) before it was ready:\n${output()}`));
    function finish(error?: Error) {
      clearTimeout(timer);
      child.stdout?.off('data', check);
      child.stderr?.off('data', check);
      child.off('exit', exited);
      if (error) reject(error); else resolve();
    }
    child.stdout?.on('data', check);
    child.stderr?.on('data', check);
    child.once('exit', exited);
    check();
  });
}

describe('serverless offline', { timeout: READY_TIMEOUT_MS + 60_000 }, () => {
  let sim: DjlSimulator;
  let child: ChildProcess;
  let output = '';
  let home: string;
  let httpUrl: string;
  let lambdaUrl: string;
  const workFolder = join('.esbuild', `offline-test-${process.pid}`);

  before(async () => {
    sim = await startDjlSimulator({ ...DJL_PROFILES.zero });
    home = await mkdtemp(join(tmpdir(), 'efd-sls-offline-'));
    const [httpPort, lambdaPort] = [await freePort(), await freePort()];
    httpUrl = `http://127.0.0.1:${httpPort}`;
    lambdaUrl = `http://127.0.0.1:${lambdaPort}`;
    const env: NodeJS.ProcessEnv = {};
    for (const [key, value] of Object.entries(process.env)) {
      if (!key.startsWith('AWS_') && !key.startsWith('SLS_')) env[key] = value;
    }
    // Its own process group (detached), so the stop below reaches npx, the framework and its workers.
    child = spawn('npx', ['serverless', 'offline'], {
      cwd: REPO,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: {
        ...env,
        HOME: home,
        SLS_TELEMETRY_DISABLED: '1',
        SLS_NOTIFICATIONS_MODE: 'off',
        npm_config_update_notifier: 'false',
        EFD_ESBUILD_WORK_FOLDER: workFolder,
        OFFLINE_HOST: '127.0.0.1',
        OFFLINE_HTTP_PORT: String(httpPort),
        OFFLINE_LAMBDA_PORT: String(lambdaPort),
        // Read by serverless.yml into the functions' environment, as a deploy would.
        CPU_BACKENDS: sim.predictionsUrl,
        LOG_LEVEL: 'warn',
      },
    });
    child.stdout?.on('data', (chunk: Buffer) => { output += chunk.toString(); });
    child.stderr?.on('data', (chunk: Buffer) => { output += chunk.toString(); });
    await waitForOutput(child, /Server ready/, () => output);
  });

  after(async () => {
    if (child?.pid !== undefined && child.exitCode === null && child.signalCode === null) {
      const exited = once(child, 'exit');
      process.kill(-child.pid, 'SIGTERM');
      const timer = setTimeout(() => process.kill(-(child.pid as number), 'SIGKILL'), STOP_GRACE_MS);
      await exited;
      clearTimeout(timer);
    }
    await sim?.close();
    await rm(join(REPO, workFolder), { recursive: true, force: true });
    await rmdir(join(REPO, '.esbuild')).catch(() => undefined);
    if (home !== undefined) await rm(home, { recursive: true, force: true });
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
