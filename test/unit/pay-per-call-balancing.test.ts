/**
 * Endpoints paid per call (lambda://) in a tier with always-on ones (a GPU): the balancer gives
 * them a batch only when no always-on endpoint can take one, and the tier gives them their own
 * slot count (the entry's concurrency) when they join.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { pickEndpoint } from '../../shared/dispatch/balancer';
import { Endpoint } from '../../shared/dispatch/endpoint';
import type { Upstream } from '../../shared/upstream/upstream';
import { FakeUpstream } from '../helpers/fake-upstream';
import { deadPort } from '../helpers/dead-port';
import { startFrontDoor } from '../helpers/front-door';

const policy = { maxInFlight: 2, ejectAfterFailures: 3, ejectBaseMs: 1_000, ejectMaxMs: 30_000, slowStartMs: 0 };
const payPerCall = (id: string): Upstream => Object.assign(new FakeUpstream(id), { payPerCall: true, capacity: 10 });

describe('pay-per-call endpoints', () => {
  test('take a batch only when every always-on endpoint of the tier is full or out', () => {
    const gpu = new Endpoint(new FakeUpstream('gpu-0'), policy);
    const lambda = new Endpoint(payPerCall('gpu-lambda-0'), { ...policy, maxInFlight: 10 });
    // However the two are sampled and even with the GPU the busier, the GPU is picked while it has a slot.
    gpu.begin(40);
    for (const r of [0, 0.3, 0.6, 0.99]) assert.equal(pickEndpoint([lambda, gpu], 0, () => r), gpu);
    gpu.begin(40);
    assert.equal(pickEndpoint([lambda, gpu], 0, Math.random), lambda, 'the GPU is full');
    gpu.end(40);
    gpu.ejectedUntil = 5;
    assert.equal(pickEndpoint([lambda, gpu], 0, Math.random), lambda, 'the GPU is ejected');
    assert.equal(pickEndpoint([lambda, gpu], 6, Math.random), gpu, 'back after its ejection');
  });

  test('among pay-per-call endpoints alone, the less loaded wins as usual', () => {
    const a = new Endpoint(payPerCall('gpu-lambda-0'), { ...policy, maxInFlight: 10 });
    const b = new Endpoint(payPerCall('gpu-lambda-1'), { ...policy, maxInFlight: 10 });
    a.begin(30);
    for (const r of [0.1, 0.6, 0.9]) assert.equal(pickEndpoint([a, b], 0, () => r), b);
  });
});

describe('a lambda:// entry in a front door', () => {
  test('joins its tier as one endpoint of the entry\'s concurrency, paid per call, listed in /info', async () => {
    const frontDoor = await startFrontDoor({
      CPU_BACKENDS: `http://127.0.0.1:${await deadPort()}/predictions/all_MiniLM_L6_v2`,
      GPU_BACKENDS: 'lambda://embed-front-door-dev-embed-worker:live?concurrency=7',
    });
    try {
      const [endpoint, ...others] = frontDoor.deps.tiers.gpu.endpoints;
      assert.equal(others.length, 0);
      assert.equal(endpoint!.id, 'gpu-lambda-0');
      assert.equal(endpoint!.upstream.dialect, 'lambda');
      assert.equal(endpoint!.upstream.payPerCall, true);
      assert.equal(endpoint!.capacity(Number.MAX_SAFE_INTEGER), 7);
      const info = await (await fetch(`${frontDoor.url}/info`)).text();
      assert.match(info, /gpu-lambda-0/);
      assert.doesNotMatch(info, /embed-worker/, 'the function\'s name stays out of /info, like backend addresses');
    } finally {
      await frontDoor.close();
    }
  });
});
