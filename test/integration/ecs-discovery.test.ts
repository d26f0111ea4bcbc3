/**
 * `CPU_BACKENDS=ecs://...` end to end: the real front door discovers tasks through the real
 * `@aws-sdk/client-ecs` client (configured from the environment, as on AWS, with
 * AWS_ENDPOINT_URL_ECS pointing at a loopback server speaking AWS JSON 1.1), spreads requests over
 * simulated DJL instances at the tasks' IPs, and drops a stopped task at a refresh without a
 * client error. Every wait is for a state (a task served, a task gone, a refresh failed), never
 * for a time, so a loaded machine only makes it slower.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createLogger } from '../../shared/logger';
import { eventually } from '../helpers/eventually';
import { FakeAws, TEST_CREDENTIALS } from '../helpers/fake-aws';
import { post, startFrontDoor, type TestFrontDoor } from '../helpers/front-door';
import { DJL_PROFILES, type DjlSimulator, simulatedEmbedding, startDjlSimulator } from '../../tools/djl-simulator/djl-simulator';

const CLUSTER = 'embed-cluster';
const SERVICE = 'djl-cpu';
const REFRESH_MS = 200;
const TASK_IPS = ['127.0.0.2', '127.0.0.3', '127.0.0.4'];
/**
 * Requests after the burst, one at a time, before a task that got none counts as left out: each
 * goes to one of the three at random, so (2/3)^200 is the chance a served task is never picked.
 */
const MAX_FOLLOW_UPS = 200;
/**
 * The simulated tasks share the front door's process: on a loaded machine a stalled event loop
 * times out the 2 s default /ping, and every task would read as down at once.
 */
const PING_TIMEOUT_MS = 30_000;

describe('ECS discovery', () => {
  let aws: FakeAws;
  let sims: DjlSimulator[];
  let door: TestFrontDoor;
  /** The front door's log lines, to wait for what it did (a refresh that failed). */
  const logLines: string[] = [];

  before(async () => {
    aws = await FakeAws.start();
    // The SDK reads these itself, as on AWS.
    process.env.AWS_ENDPOINT_URL_ECS = aws.url;
    process.env.AWS_REGION = 'eu-west-1';
    process.env.AWS_ACCESS_KEY_ID = TEST_CREDENTIALS.accessKeyId;
    process.env.AWS_SECRET_ACCESS_KEY = TEST_CREDENTIALS.secretAccessKey;
    const first = await startDjlSimulator({ ...DJL_PROFILES.zero, host: TASK_IPS[0] });
    // Tasks share their container port on different IPs.
    const rest = await Promise.all(TASK_IPS.slice(1).map((host) => startDjlSimulator({ ...DJL_PROFILES.zero, host, port: first.port })));
    sims = [first, ...rest];
    aws.addService(CLUSTER, SERVICE, sims.length);
    for (const host of TASK_IPS) aws.addTask(CLUSTER, SERVICE, { privateIp: host });
    // A task still provisioning: no IP yet, not an endpoint.
    aws.addTask(CLUSTER, SERVICE, { privateIp: undefined, lastStatus: 'PROVISIONING' });
    door = await startFrontDoor({
      CPU_BACKENDS: `ecs://${CLUSTER}/${SERVICE}?port=${first.port}&path=/predictions/all_MiniLM_L6_v2`,
      DISCOVERY_INTERVAL_MS: String(REFRESH_MS),
    }, createLogger('warn', (line) => logLines.push(line)), { pingTimeoutMs: PING_TIMEOUT_MS });
  });

  after(async () => {
    await door.close();
    await Promise.all(sims.map((sim) => sim.close()));
    await aws.close();
  });

  const embed = async (text: string) => {
    const reply = await post(`${door.url}/embed`, { inputs: [text] });
    assert.equal(reply.status, 200, reply.text);
    assert.deepEqual(reply.body[0], simulatedEmbedding(text, 384));
  };

  const cpuEndpoints = async (): Promise<number> => {
    const info = await (await fetch(`${door.url}/info`)).json() as { tiers: { cpu: { endpoints: number } } };
    return info.tiers.cpu.endpoints;
  };

  test('requests spread over every discovered task', async () => {
    // A cold start with traffic waiting: the burst waits for the first discovery round.
    await Promise.all(Array.from({ length: 60 }, (_, i) => embed(`spread ${i}`)));
    assert.equal(await cpuEndpoints(), 3);
    // The burst may pack into fewer batches than there are tasks; then single requests must
    // still reach every task (a task held back would never be picked).
    const idle = () => sims.filter((sim) => sim.stats.requests === 0).map((sim) => sim.url);
    for (let i = 0; idle().length > 0; i++) {
      assert.ok(i < MAX_FOLLOW_UPS, `${idle().join(', ')} got no request in the burst nor in ${i} more`);
      await embed(`spread more ${i}`);
    }
    assert.ok(aws.callsOf('ListTasks').length >= 1);
  });

  test('a stopped task is dropped at a refresh, without client errors', async () => {
    const stopping = sims[2] as DjlSimulator;
    const task = aws.state.tasks.find((candidate) => candidate.privateIp === stopping.options.host);
    assert.ok(task !== undefined);
    // ECS stops the task: it leaves RUNNING and its container goes away.
    task.lastStatus = 'STOPPED';
    task.desiredStatus = 'STOPPED';
    stopping.crash();
    // Traffic keeps flowing, without a client error, until a refresh drops the task.
    const failed: string[] = [];
    let i = 0;
    await eventually(async () => {
      const text = `during ${i++}`;
      const reply = await post(`${door.url}/embed`, { inputs: [text] });
      if (reply.status !== 200) failed.push(`${text}: ${reply.status} ${reply.text}`);
      return (await cpuEndpoints()) === 2;
    }, { message: 'the stopped task to leave the CPU tier' });
    assert.deepEqual(failed, [], 'no client saw the task stop');
    stopping.resetStats();
    await Promise.all(Array.from({ length: 30 }, (_, n) => embed(`after ${n}`)));
    assert.equal(stopping.stats.requests, 0);
  });

  test('an API error keeps the last known tasks in use', async () => {
    // Counted only when the refresher saw the fault as throttling, the path that backs off longest.
    const refreshFailed = () => logLines.filter((line) => line.includes('"event":"discovery_failed"') && line.includes('"throttled":true')).length;
    const failedBefore = refreshFailed();
    // More faults than the SDK's own attempts, so a whole refresh fails.
    aws.failNext('ListTasks', 'ThrottlingException', 5);
    await eventually(() => refreshFailed() > failedBefore, { message: 'a discovery refresh to fail as throttled' });
    await Promise.all(Array.from({ length: 20 }, (_, n) => embed(`throttled ${n}`)));
    assert.equal(await cpuEndpoints(), 2);
  });
});
