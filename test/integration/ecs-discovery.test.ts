/**
 * `CPU_BACKENDS=ecs://...` end to end: the real front door discovers tasks through the real
 * `@aws-sdk/client-ecs` client (configured from the environment, as on AWS, with
 * AWS_ENDPOINT_URL_ECS pointing at a loopback server speaking AWS JSON 1.1), spreads requests over
 * simulated DJL instances at the tasks' IPs, and drops a stopped task within one refresh without a
 * client error.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { FakeAws, TEST_CREDENTIALS } from '../helpers/fake-aws';
import { post, startFrontDoor, type TestFrontDoor } from '../helpers/front-door';
import { DJL_PROFILES, type DjlSimulator, simulatedEmbedding, startDjlSimulator } from '../../tools/djl-simulator/djl-simulator';

const CLUSTER = 'embed-cluster';
const SERVICE = 'djl-cpu';
const REFRESH_MS = 200;
const TASK_IPS = ['127.0.0.2', '127.0.0.3', '127.0.0.4'];

describe('ECS discovery', () => {
  let aws: FakeAws;
  let sims: DjlSimulator[];
  let door: TestFrontDoor;

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
    });
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

  test('requests spread over every discovered task', async () => {
    await Promise.all(Array.from({ length: 60 }, (_, i) => embed(`spread ${i}`)));
    for (const sim of sims) assert.ok(sim.stats.requests > 0, `${sim.url} got no request`);
    const info = await (await fetch(`${door.url}/info`)).json() as { tiers: { cpu: { endpoints: number } } };
    assert.equal(info.tiers.cpu.endpoints, 3);
    assert.ok(aws.callsOf('ListTasks').length >= 1);
  });

  test('a stopped task is dropped within one refresh, without client errors', async () => {
    const stopping = sims[2] as DjlSimulator;
    const task = aws.state.tasks.find((candidate) => candidate.privateIp === stopping.options.host);
    assert.ok(task !== undefined);
    // ECS stops the task: it leaves RUNNING and its container goes away.
    task.lastStatus = 'STOPPED';
    task.desiredStatus = 'STOPPED';
    stopping.crash();
    const stopAt = performance.now();
    let i = 0;
    while (performance.now() - stopAt < 3 * REFRESH_MS) await embed(`during ${i++}`);
    const info = await (await fetch(`${door.url}/info`)).json() as { tiers: { cpu: { endpoints: number } } };
    assert.equal(info.tiers.cpu.endpoints, 2);
    stopping.resetStats();
    await Promise.all(Array.from({ length: 30 }, (_, n) => embed(`after ${n}`)));
    assert.equal(stopping.stats.requests, 0);
  });

  test('an API error keeps the last known tasks in use', async () => {
    aws.failNext('ListTasks', 'ThrottlingException', 5);
    await new Promise((resolve) => setTimeout(resolve, 3 * REFRESH_MS));
    await Promise.all(Array.from({ length: 20 }, (_, n) => embed(`throttled ${n}`)));
    const info = await (await fetch(`${door.url}/info`)).json() as { tiers: { cpu: { endpoints: number } } };
    assert.equal(info.tiers.cpu.endpoints, 2);
  });
});
