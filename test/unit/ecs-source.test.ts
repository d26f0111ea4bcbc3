import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, test } from 'node:test';
import { DescribeTasksCommand, type ECSClient } from '@aws-sdk/client-ecs';
import { DiscoveryError } from '../../shared/discovery/endpoint-source';
import { createEcsSource } from '../../shared/aws/ecs-source';
import { FakeAws, TEST_CREDENTIALS } from '../helpers/fake-aws';

const CLUSTER = 'embed';
const SERVICE = 'minilm-cpu';
const PORT = 8080;
const PATH = '/predictions/all_MiniLM_L6_v2';

describe('ECS endpoint source (real SDK against a fake ECS)', () => {
  let aws: FakeAws;
  let client: ECSClient;

  beforeEach(async () => {
    aws = await FakeAws.start();
    aws.addService(CLUSTER, SERVICE);
    client = aws.createEcsClient();
  });

  afterEach(async () => {
    client.destroy();
    await aws.close();
  });

  const source = (cluster = CLUSTER) => createEcsSource({ client, cluster, service: SERVICE, port: PORT, path: PATH, scheme: 'http' });

  test('finds every running task across ListTasks pages, keyed by task ARN', async () => {
    aws.state.listTasksPageSize = 2;
    const tasks = Array.from({ length: 5 }, () => aws.addTask(CLUSTER, SERVICE));
    aws.addTask(CLUSTER, 'another-service');

    const endpoints = await source().discover();

    assert.deepEqual(
      endpoints.map((e) => ({ key: e.key, url: e.url })),
      tasks.map((t) => ({ key: t.taskArn, url: `http://${t.privateIp}:${PORT}${PATH}` })),
    );
    const lists = aws.callsOf('ListTasks');
    assert.equal(lists.length, 3, 'five tasks at two a page are three pages');
    for (const list of lists) {
      assert.equal(list.body.cluster, CLUSTER);
      assert.equal(list.body.serviceName, SERVICE);
      assert.equal(list.body.desiredStatus, 'RUNNING');
    }
    assert.equal(lists[0]?.body.nextToken, undefined);
    assert.equal(typeof lists[1]?.body.nextToken, 'string');
    assert.deepEqual(aws.callsOf('DescribeTasks').map((c) => c.body), [{ cluster: CLUSTER, tasks: tasks.map((t) => t.taskArn) }]);
  });

  test('the scheme, port and path given shape the URL', async () => {
    const task = aws.addTask(CLUSTER, SERVICE, { privateIp: '10.1.2.3' });
    const https = createEcsSource({ client, cluster: CLUSTER, service: SERVICE, port: 8443, path: '/invocations', scheme: 'https' });
    assert.deepEqual(await https.discover(), [{ key: task.taskArn, url: 'https://10.1.2.3:8443/invocations', startedAt: task.createdAt }]);
  });

  test('more than 100 tasks are described in calls of at most 100 ids', async () => {
    aws.state.listTasksPageSize = 100;
    const tasks = Array.from({ length: 230 }, () => aws.addTask(CLUSTER, SERVICE));

    const endpoints = await source().discover();

    assert.equal(endpoints.length, 230);
    assert.deepEqual(new Set(endpoints.map((e) => e.url)).size, 230, 'every task has its own address');
    const described = aws.callsOf('DescribeTasks').map((c) => c.body.tasks as string[]);
    assert.deepEqual(described.map((ids) => ids.length), [100, 100, 30]);
    assert.deepEqual(described.flat(), tasks.map((t) => t.taskArn));
  });

  test('the fake refuses more than 100 ids, as AWS does (so the chunking test means something)', async () => {
    const ids = Array.from({ length: 101 }, (_, i) => `task-${i}`);
    await assert.rejects(client.send(new DescribeTasksCommand({ cluster: CLUSTER, tasks: ids })), { name: 'InvalidParameterException' });
  });

  test('a task still provisioning (no private IP yet) is skipped', async () => {
    const ready = aws.addTask(CLUSTER, SERVICE);
    aws.addTask(CLUSTER, SERVICE, { lastStatus: 'PROVISIONING', privateIp: undefined, startedAt: undefined });
    aws.addTask(CLUSTER, SERVICE, { lastStatus: 'RUNNING', privateIp: undefined });

    const endpoints = await source().discover();

    assert.deepEqual(endpoints.map((e) => e.key), [ready.taskArn]);
    assert.equal(aws.callsOf('DescribeTasks').flatMap((c) => c.body.tasks as string[]).length, 3, 'all three were described');
  });

  test('tasks not RUNNING (pending, deactivating, stopped) are skipped', async () => {
    const ready = aws.addTask(CLUSTER, SERVICE);
    aws.addTask(CLUSTER, SERVICE, { lastStatus: 'PENDING' });
    aws.addTask(CLUSTER, SERVICE, { lastStatus: 'DEACTIVATING' });
    // Desired STOPPED: ListTasks already leaves it out, so it is never described.
    const stopping = aws.addTask(CLUSTER, SERVICE, { lastStatus: 'STOPPED', desiredStatus: 'STOPPED' });

    const endpoints = await source().discover();

    assert.deepEqual(endpoints.map((e) => e.key), [ready.taskArn]);
    const described = aws.callsOf('DescribeTasks').flatMap((c) => c.body.tasks as string[]);
    assert.equal(described.length, 3);
    assert.ok(!described.includes(stopping.taskArn));
  });

  test('startedAt is the task createdAt in epoch ms, not its startedAt', async () => {
    const task = aws.addTask(CLUSTER, SERVICE, { createdAt: 1_717_171_717_123, startedAt: 1_717_171_777_000 });
    const [endpoint] = await source().discover();
    assert.equal(endpoint?.startedAt, 1_717_171_717_123);
    assert.equal(endpoint?.key, task.taskArn);
  });

  test('no tasks is an empty list and no DescribeTasks call', async () => {
    assert.deepEqual(await source().discover(), []);
    assert.equal(aws.callsOf('DescribeTasks').length, 0);
  });

  test('throttling becomes a DiscoveryError with throttled=true, naming the service and the error', async () => {
    aws.addTask(CLUSTER, SERVICE);
    const cases = [
      ['ListTasks', 'ThrottlingException'],
      ['DescribeTasks', 'ThrottlingException'],
      ['ListTasks', 'TooManyRequestsException'],
    ] as const;
    for (const [operation, type] of cases) {
      aws.failNext(operation, type);
      const error = await source().discover().then(() => undefined, (e: unknown) => e);
      assert.ok(error instanceof DiscoveryError, `${operation} ${type}`);
      assert.equal(error.throttled, true);
      assert.match(error.message, new RegExp(`ecs://${CLUSTER}/${SERVICE}`));
      assert.match(error.message, new RegExp(type));
      assert.ok(!error.message.includes(TEST_CREDENTIALS.accessKeyId) && !error.message.includes(TEST_CREDENTIALS.secretAccessKey));
      assert.equal((error.cause as Error).name, type);
    }
  });

  test('any HTTP 429 counts as throttling, whatever its type', async () => {
    aws.failNext('ListTasks', 'SlowDown', 1, 429);
    await assert.rejects(source().discover(), (error: unknown) => error instanceof DiscoveryError && error.throttled);
  });

  test('other API errors become a DiscoveryError with throttled=false', async () => {
    await assert.rejects(source('no-such-cluster').discover(), (error: unknown) => {
      assert.ok(error instanceof DiscoveryError);
      assert.equal(error.throttled, false);
      assert.match(error.message, /ecs:\/\/no-such-cluster\/minilm-cpu/);
      assert.match(error.message, /ClusterNotFoundException/);
      return true;
    });
    aws.addTask(CLUSTER, SERVICE);
    aws.failNext('DescribeTasks', 'ServerException', 1, 500);
    await assert.rejects(source().discover(), (error: unknown) => {
      assert.ok(error instanceof DiscoveryError);
      assert.equal(error.throttled, false);
      assert.match(error.message, /ServerException \(HTTP 500\)/);
      return true;
    });
  });

  test('an unreachable endpoint is a DiscoveryError naming the network error', async () => {
    await aws.close();
    await assert.rejects(source().discover(), (error: unknown) => {
      assert.ok(error instanceof DiscoveryError);
      assert.equal(error.throttled, false);
      assert.match(error.message, /ECONNREFUSED/);
      return true;
    });
  });

  test('after a fault clears, discovery works again', async () => {
    const task = aws.addTask(CLUSTER, SERVICE);
    aws.failNext('ListTasks', 'ThrottlingException');
    await assert.rejects(source().discover(), DiscoveryError);
    assert.deepEqual((await source().discover()).map((e) => e.key), [task.taskArn]);
  });

  test('the description names cluster and service', () => {
    assert.equal(source().description, `ecs://${CLUSTER}/${SERVICE}`);
  });
});
