/** What upstream latency and refusals tell about a tier's backends when the queue is inside them. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { BackendLoad } from '../../shared/dispatch/backend-load';

describe('backend load', () => {
  test('latency at the service time means no wait; latency above it is read as queueing, and fades', () => {
    const load = new BackendLoad(3_000);
    for (let t = 0; t < 1_000; t += 100) load.recordSuccess(32, 90, t);
    assert.equal(load.inferredWaitMs(1_000), 0);
    for (let t = 1_000; t < 2_000; t += 100) load.recordSuccess(32, 390, t);
    const loaded = load.inferredWaitMs(2_000);
    assert.ok(loaded > 200 && loaded <= 300, `inferred ${loaded} ms`);
    // Without new answers the estimate halves every two seconds.
    assert.ok(load.inferredWaitMs(6_000) < loaded / 3);
  });

  test('a bigger batch taking longer is not taken for load', () => {
    const load = new BackendLoad(3_000);
    load.recordSuccess(1, 13, 0);
    load.recordSuccess(32, 91, 10);
    load.recordSuccess(1, 13, 20);
    load.recordSuccess(32, 91, 30);
    assert.equal(load.inferredWaitMs(30), 0);
  });

  test('capacity refusals count within the window only', () => {
    const load = new BackendLoad(3_000);
    load.recordCapacityError(0);
    load.recordCapacityError(1_000);
    assert.equal(load.recentCapacityErrors(2_000), 2);
    assert.equal(load.recentCapacityErrors(3_500), 1);
    assert.equal(load.recentCapacityErrors(4_001), 0);
  });
});
