/**
 * The scheduled warm-up end to end: `npm run warmup` as a child process, configured only through
 * the environment, against loopback servers speaking AWS JSON 1.1 (ECS, Application Auto Scaling)
 * and the Cloud Run Admin REST API, with simulated DJL instances behind the discovered endpoints.
 * It raises both services' minimum within the lead before a burst, changes nothing when run twice
 * or at a quiet time, warms every endpoint, and restores the minimum after the burst. Also
 * POST /warmup on the front door.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { after, before, describe, test } from 'node:test';
import { FakeAws, TEST_CREDENTIALS } from '../helpers/fake-aws';
import { FakeCloudRun } from '../helpers/fake-cloud-run';
import { hashApiKey } from '../../shared/security/api-keys';
import { startFrontDoor } from '../helpers/front-door';
import { DJL_PROFILES, type DjlSimulator, startDjlSimulator } from '../../tools/djl-simulator/djl-simulator';

const CLUSTER = 'embed';
const SERVICE = 'djl-cpu';
const RUN_NAME = 'projects/acme/locations/europe-west1/services/djl-gpu';
const PATH = '/predictions/all_MiniLM_L6_v2';
const ROOT = new URL('../..', import.meta.url).pathname;
// 02:00 Berlin time; in December Berlin is UTC+1, so the burst runs 01:00-02:00 UTC.
const SCHEDULE = [
  { name: 'nightly-reindex', cron: '0 2 * * *', timezone: 'Europe/Berlin', durationMinutes: 60, tier: 'cpu', minInstances: 4 },
  { name: 'nightly-reindex-gpu', cron: '0 2 * * *', timezone: 'Europe/Berlin', durationMinutes: 60, tier: 'gpu', minInstances: 2 },
];
const WITHIN_LEAD = '2026-12-01T00:55:00Z';
const DURING = '2026-12-01T01:30:00Z';
const QUIET = '2026-12-01T12:00:00Z';
const AFTER = '2026-12-01T02:05:00Z';

interface Run {
  readonly code: number | null;
  readonly lines: Record<string, unknown>[];
  readonly stderr: string;
}

describe('scheduled warm-up', () => {
  let aws: FakeAws;
  let run: FakeCloudRun;
  let sims: DjlSimulator[];
  let env: Record<string, string>;

  before(async () => {
    aws = await FakeAws.start();
    run = await FakeCloudRun.start();
    const cpu = await startDjlSimulator({ ...DJL_PROFILES.zero, host: '127.0.0.7' });
    const cpu2 = await startDjlSimulator({ ...DJL_PROFILES.zero, host: '127.0.0.8', port: cpu.port });
    const gpu = await startDjlSimulator({ ...DJL_PROFILES.zero });
    sims = [cpu, cpu2, gpu];
    aws.addService(CLUSTER, SERVICE, 1);
    aws.addScalableTarget(CLUSTER, SERVICE, 1, 10);
    aws.addTask(CLUSTER, SERVICE, { privateIp: '127.0.0.7' });
    aws.addTask(CLUSTER, SERVICE, { privateIp: '127.0.0.8' });
    run.put({ name: RUN_NAME, uri: gpu.url, scaling: { minInstanceCount: 0 }, template: { scaling: { maxInstanceCount: 5 }, maxInstanceRequestConcurrency: 4 } });
    env = {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '',
      CPU_BACKENDS: `ecs://${CLUSTER}/${SERVICE}?port=${cpu.port}&path=${PATH}`,
      GPU_BACKENDS: `cloudrun://${RUN_NAME}?path=${PATH}`,
      CLOUD_RUN_API_ENDPOINT: `http://127.0.0.1:${run.port}`,
      AWS_ENDPOINT_URL_ECS: aws.url,
      AWS_ENDPOINT_URL_APPLICATION_AUTO_SCALING: aws.url,
      AWS_REGION: 'eu-central-1',
      AWS_ACCESS_KEY_ID: TEST_CREDENTIALS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: TEST_CREDENTIALS.secretAccessKey,
      WARMUP_SCHEDULE: JSON.stringify(SCHEDULE),
      WARMUP_LEAD_SECONDS: '600',
      LOG_LEVEL: 'warn',
    };
    // The front doors of the last test run in this process: the AWS SDK reads its settings from
    // the process environment itself, as on AWS.
    for (const key of Object.keys(env).filter((name) => name.startsWith('AWS_'))) process.env[key] = env[key];
  });

  after(async () => {
    await Promise.all(sims.map((sim) => sim.close()));
    await aws.close();
    await run.close();
  });

  const warmup = (...args: string[]): Promise<Run> => new Promise((resolve, reject) => {
    const child = spawn('npm', ['run', '--silent', 'warmup', '--', ...args], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => { stdout += chunk.toString(); });
    child.stderr.on('data', (chunk: Buffer) => { stderr += chunk.toString(); });
    child.on('error', reject);
    child.on('close', (code) => resolve({
      code,
      stderr,
      lines: stdout.split('\n').filter((line) => line.startsWith('{')).map((line) => JSON.parse(line) as Record<string, unknown>),
    }));
  });
  /** The plan's action lines (the `applied` lines that follow carry an `event`). */
  const planned = (result: Run, action?: string) =>
    result.lines.filter((line) => !('event' in line) && 'action' in line && (action === undefined || line.action === action));
  const scalingWrites = () => aws.callsOf('RegisterScalableTarget').length + run.callsOf('PATCH').length;
  const ecsMin = () => aws.state.scalableTargets[0]?.minCapacity;
  const runMin = () => run.services.get(RUN_NAME)?.scaling?.minInstanceCount ?? 0;

  test('--dry-run at a quiet time plans nothing and changes nothing', async () => {
    const result = await warmup('--dry-run', '--at', QUIET);
    assert.equal(result.code, 0, result.stderr);
    assert.deepEqual(planned(result), []);
    assert.equal(scalingWrites(), 0);
  });

  test('within the lead before the burst it raises both services and warms every endpoint', async () => {
    const before = sims.map((sim) => sim.stats.requests);
    const result = await warmup('--apply', '--at', WITHIN_LEAD);
    assert.equal(result.code, 0, result.stderr);
    const raises = planned(result, 'raise');
    assert.deepEqual(raises.map((line) => [line.target, line.from, line.to]).sort(), [
      [`cloudrun:${RUN_NAME}`, 0, 2],
      [`ecs:service/${CLUSTER}/${SERVICE}`, 1, 4],
    ]);
    assert.equal(ecsMin(), 4);
    assert.equal(runMin(), 2);
    const applied = result.lines.filter((line) => line.event === 'applied');
    assert.ok(applied.every((line) => line.ok === true), JSON.stringify(applied));
    sims.forEach((sim, i) => assert.ok(sim.stats.requests > (before[i] as number), `${sim.url} was not warmed`));
  });

  test('running again, and during the burst, changes nothing more', async () => {
    const writes = scalingWrites();
    for (const at of [WITHIN_LEAD, DURING]) {
      const result = await warmup('--apply', '--at', at);
      assert.equal(result.code, 0, result.stderr);
      assert.deepEqual([...planned(result, 'raise'), ...planned(result, 'restore')], []);
    }
    assert.equal(scalingWrites(), writes);
    assert.equal(ecsMin(), 4);
  });

  test('after the burst it restores the previous minimums', async () => {
    const result = await warmup('--apply', '--at', AFTER);
    assert.equal(result.code, 0, result.stderr);
    assert.equal(planned(result, 'restore').length, 2);
    assert.equal(ecsMin(), 1);
    assert.equal(runMin(), 0);
    const again = await warmup('--apply', '--at', AFTER);
    assert.deepEqual(planned(again), []);
  });

  test('POST /warmup on the front door needs a key, and plans with dry_run', async () => {
    const key = 'efd_warmup_test_key';
    const door = await startFrontDoor({ ...env, API_KEYS: `ops:${hashApiKey(key)}:role=operator` });
    const open = await startFrontDoor(env);
    try {
      assert.equal((await fetch(`${door.url}/warmup`, { method: 'POST' })).status, 401);
      const refused = await fetch(`${open.url}/warmup`, { method: 'POST' });
      assert.equal(refused.status, 403);
      const refusal = await refused.text();
      assert.match(refusal, /API_KEYS/);
      assert.doesNotMatch(refusal, /Lambda/, 'a Node server runs the warm-up itself');

      const writes = scalingWrites();
      const post = (body: unknown) => fetch(`${door.url}/warmup`, {
        method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, body: JSON.stringify(body),
      });
      const planned = await post({ dry_run: true, at: WITHIN_LEAD });
      assert.equal(planned.status, 200);
      const body = await planned.json() as { dry_run: boolean; lead_ms: number; actions: { action: string; to?: number }[] };
      assert.equal(body.dry_run, true);
      assert.equal(body.lead_ms, 600_000);
      assert.deepEqual(body.actions.filter((action) => action.action === 'raise').map((action) => action.to).sort(), [2, 4]);
      assert.equal(scalingWrites(), writes, 'a dry run changes nothing');
      // Errors on /warmup use TEI's shape, whose validation status is 422.
      assert.equal((await post({ at: WITHIN_LEAD })).status, 422, 'a plan for another time is never applied');
      assert.equal((await post({ dry_run: 'yes' })).status, 422);
    } finally {
      await door.close();
      await open.close();
    }
  });
});
