import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, test } from 'node:test';
import type { ApplicationAutoScalingClient } from '@aws-sdk/client-application-auto-scaling';
import type { ECSClient } from '@aws-sdk/client-ecs';
import { createEcsScaler, WARMUP_TAG } from '../../shared/aws/ecs-scaler';
import { type Scaler, ScalingError } from '../../shared/scaling/scaler';
import { FakeAws, type FakeService } from '../helpers/fake-aws';

const CLUSTER = 'embed';
const SERVICE = 'minilm-cpu';
const RESOURCE_ID = `service/${CLUSTER}/${SERVICE}`;
const WRITES = ['RegisterScalableTarget', 'UpdateService', 'TagResource', 'UntagResource'];

describe('ECS scaler (real SDK against fake ECS and Application Auto Scaling)', () => {
  let aws: FakeAws;
  let ecs: ECSClient;
  let autoScaling: ApplicationAutoScalingClient;
  let service: FakeService;
  let scaler: Scaler;

  beforeEach(async () => {
    aws = await FakeAws.start();
    service = aws.addService(CLUSTER, SERVICE, 2);
    ecs = aws.createEcsClient();
    autoScaling = aws.createAutoScalingClient();
    scaler = createEcsScaler({ ecs, autoScaling, cluster: CLUSTER, service: SERVICE });
  });

  afterEach(async () => {
    ecs.destroy();
    autoScaling.destroy();
    await aws.close();
  });

  const writes = () => aws.calls.filter((c) => WRITES.includes(c.operation));

  test('the target names cluster and service', () => {
    assert.equal(scaler.target, `ecs:${RESOURCE_ID}`);
  });

  test('current(): with a scalable target, min and max come from it', async () => {
    aws.addScalableTarget(CLUSTER, SERVICE, 1, 10);
    assert.deepEqual(await scaler.current(), { minInstances: 1, maxInstances: 10, marker: undefined });
    assert.deepEqual(aws.callsOf('DescribeScalableTargets').map((c) => c.body), [
      { ServiceNamespace: 'ecs', ResourceIds: [RESOURCE_ID], ScalableDimension: 'ecs:service:DesiredCount' },
    ]);
    assert.deepEqual(aws.callsOf('DescribeServices').map((c) => c.body), [{ cluster: CLUSTER, services: [SERVICE] }]);
    assert.deepEqual(aws.callsOf('ListTagsForResource').map((c) => c.body), [{ resourceArn: service.serviceArn }]);
  });

  test('current(): without a scalable target, min is desiredCount and there is no max', async () => {
    assert.deepEqual(await scaler.current(), { minInstances: 2, maxInstances: undefined, marker: undefined });
  });

  test('current(): both marker tags, numeric, are a marker; half or garbled ones are not', async () => {
    aws.addScalableTarget(CLUSTER, SERVICE, 4, 10);
    service.tags.set(WARMUP_TAG.restingMin, '1').set(WARMUP_TAG.raisedTo, '4').set('team', 'search');
    assert.deepEqual((await scaler.current()).marker, { restingMin: 1, raisedTo: 4 });

    service.tags.delete(WARMUP_TAG.raisedTo);
    assert.equal((await scaler.current()).marker, undefined);
    service.tags.set(WARMUP_TAG.raisedTo, 'four');
    assert.equal((await scaler.current()).marker, undefined);
    service.tags.set(WARMUP_TAG.raisedTo, '-4');
    assert.equal((await scaler.current()).marker, undefined);
  });

  test('setMinimum raises MinCapacity (keeping MaxCapacity) and tags the marker', async () => {
    const target = aws.addScalableTarget(CLUSTER, SERVICE, 1, 10);

    await scaler.setMinimum(4, { restingMin: 1, raisedTo: 4 });

    assert.deepEqual(aws.callsOf('RegisterScalableTarget').map((c) => c.body), [
      { ServiceNamespace: 'ecs', ResourceId: RESOURCE_ID, ScalableDimension: 'ecs:service:DesiredCount', MinCapacity: 4 },
    ]);
    assert.deepEqual(aws.callsOf('TagResource').map((c) => c.body), [
      {
        resourceArn: service.serviceArn,
        tags: [
          { key: WARMUP_TAG.restingMin, value: '1' },
          { key: WARMUP_TAG.raisedTo, value: '4' },
        ],
      },
    ]);
    assert.equal(aws.callsOf('UpdateService').length, 0, 'desiredCount is left to target tracking');
    assert.deepEqual([target.minCapacity, target.maxCapacity], [4, 10]);
    assert.deepEqual(await scaler.current(), { minInstances: 4, maxInstances: 10, marker: { restingMin: 1, raisedTo: 4 } });
  });

  test('the marker is written before the raise, so a failed raise never leaves an unmarked minimum', async () => {
    aws.addScalableTarget(CLUSTER, SERVICE, 1, 10);
    await scaler.setMinimum(4, { restingMin: 1, raisedTo: 4 });
    assert.deepEqual(writes().map((c) => c.operation), ['TagResource', 'RegisterScalableTarget']);
  });

  test('setting the same minimum and marker twice makes no second write', async () => {
    aws.addScalableTarget(CLUSTER, SERVICE, 1, 10);
    await scaler.setMinimum(4, { restingMin: 1, raisedTo: 4 });
    const before = writes().length;

    await scaler.setMinimum(4, { restingMin: 1, raisedTo: 4 });

    assert.equal(before, 2);
    assert.equal(writes().length, before, `no write on the second call: ${JSON.stringify(writes().slice(before))}`);
  });

  test('a minimum above MaxCapacity is clamped to it, and the marker records the clamped value', async () => {
    const target = aws.addScalableTarget(CLUSTER, SERVICE, 1, 5);

    await scaler.setMinimum(8, { restingMin: 1, raisedTo: 8 });

    assert.deepEqual([target.minCapacity, target.maxCapacity], [5, 5]);
    assert.deepEqual((await scaler.current()).marker, { restingMin: 1, raisedTo: 5 });
    const before = writes().length;
    await scaler.setMinimum(8, { restingMin: 1, raisedTo: 8 });
    assert.equal(writes().length, before, 'the clamped raise is already in force');
  });

  test('clearing the marker restores the minimum first, then untags', async () => {
    const target = aws.addScalableTarget(CLUSTER, SERVICE, 4, 10);
    service.tags.set(WARMUP_TAG.restingMin, '1').set(WARMUP_TAG.raisedTo, '4').set('team', 'search');

    await scaler.setMinimum(1, undefined);

    assert.deepEqual(writes().map((c) => c.operation), ['RegisterScalableTarget', 'UntagResource']);
    assert.deepEqual(aws.callsOf('UntagResource').map((c) => c.body), [
      { resourceArn: service.serviceArn, tagKeys: [WARMUP_TAG.restingMin, WARMUP_TAG.raisedTo] },
    ]);
    assert.equal(target.minCapacity, 1);
    assert.deepEqual([...service.tags], [['team', 'search']], 'other tags are untouched');

    const before = writes().length;
    await scaler.setMinimum(1, undefined);
    assert.equal(writes().length, before, 'nothing left to restore or untag');
  });

  test('a half-written marker is cleared too', async () => {
    aws.addScalableTarget(CLUSTER, SERVICE, 1, 10);
    service.tags.set(WARMUP_TAG.raisedTo, '4');
    await scaler.setMinimum(1, undefined);
    assert.deepEqual(writes().map((c) => c.operation), ['UntagResource']);
    assert.equal(service.tags.size, 0);
  });

  test('without a scalable target, UpdateService sets desiredCount', async () => {
    await scaler.setMinimum(5, { restingMin: 2, raisedTo: 5 });

    assert.deepEqual(aws.callsOf('UpdateService').map((c) => c.body), [{ cluster: CLUSTER, service: SERVICE, desiredCount: 5 }]);
    assert.equal(aws.callsOf('RegisterScalableTarget').length, 0, 'no scalable target is created');
    assert.equal(service.desiredCount, 5);
    assert.deepEqual(await scaler.current(), { minInstances: 5, maxInstances: undefined, marker: { restingMin: 2, raisedTo: 5 } });

    const before = writes().length;
    await scaler.setMinimum(5, { restingMin: 2, raisedTo: 5 });
    assert.equal(writes().length, before);
  });

  test('an API error becomes a ScalingError naming the target, the operation and the AWS error', async () => {
    aws.addScalableTarget(CLUSTER, SERVICE, 1, 10);
    aws.failNext('RegisterScalableTarget', 'ConcurrentUpdateException');

    await assert.rejects(scaler.setMinimum(4, { restingMin: 1, raisedTo: 4 }), (error: unknown) => {
      assert.ok(error instanceof ScalingError);
      assert.match(error.message, /ecs:service\/embed\/minilm-cpu/);
      assert.match(error.message, /RegisterScalableTarget/);
      assert.match(error.message, /ConcurrentUpdateException/);
      assert.equal((error.cause as Error).name, 'ConcurrentUpdateException');
      return true;
    });

    aws.failNext('DescribeScalableTargets', 'ThrottlingException');
    await assert.rejects(scaler.current(), (error: unknown) => error instanceof ScalingError && /ThrottlingException/.test(error.message));
  });

  test('a missing service is a ScalingError, with no write', async () => {
    const missing = createEcsScaler({ ecs, autoScaling, cluster: CLUSTER, service: 'nope' });
    await assert.rejects(missing.setMinimum(3, undefined), (error: unknown) => error instanceof ScalingError && /MISSING/.test(error.message));
    assert.equal(writes().length, 0);
  });

  test('a negative or fractional minimum is refused before any call', async () => {
    await assert.rejects(scaler.setMinimum(-1, undefined), ScalingError);
    await assert.rejects(scaler.setMinimum(1.5, undefined), ScalingError);
    assert.equal(aws.calls.length, 0);
  });
});
