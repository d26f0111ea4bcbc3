/**
 * The overflow policy on a fake clock: when requests spill to the GPU tier, when they come back,
 * and that the hysteresis keeps a burst from flapping between the tiers.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { OVERFLOW_DEFAULTS, type OverflowConfig } from '../../shared/config/overflow-config';
import { type CpuTierSignals, type GpuTierSignals, OverflowPolicy } from '../../shared/dispatch/overflow-policy';

const SETTINGS: OverflowConfig = { spillWaitMs: 100, resumeWaitMs: 50, holdMs: 3_000, largeRequestTexts: 320, gpuBudgetRatio: 0.5, backendSpillWaitMs: 100 };
const calm: CpuTierSignals = { warmEndpoints: 2, queueWaitMs: 0, backendWaitMs: 0, recentCapacityErrors: 0, finishMs: 20 };
const gpuUp: GpuTierSignals = { warmEndpoints: 1, finishMs: 10 };

describe('overflow policy', () => {
  test('light load stays on the CPU tier', () => {
    const policy = new OverflowPolicy(SETTINGS);
    for (let t = 0; t < 10_000; t += 100) {
      assert.deepEqual(policy.choose(t, 8, { ...calm, queueWaitMs: 90 }, gpuUp), { tier: 'cpu', reason: undefined });
    }
    assert.equal(policy.isSpilling(10_000), false);
  });

  test('spills above the threshold, keeps spilling down to the resume level, and stops after the hold time', () => {
    const policy = new OverflowPolicy(SETTINGS);
    assert.equal(policy.choose(0, 8, { ...calm, queueWaitMs: 101 }, gpuUp).tier, 'gpu');
    assert.equal(policy.choose(0, 8, { ...calm, queueWaitMs: 101 }, gpuUp).reason, 'queue_wait');
    // Hysteresis: 60 ms would not start a spill, but continues one.
    assert.equal(policy.choose(1_000, 8, { ...calm, queueWaitMs: 60 }, gpuUp).tier, 'gpu');
    // Below the resume level the CPU tier takes requests again, even while spilling.
    assert.equal(policy.choose(1_500, 8, { ...calm, queueWaitMs: 40 }, gpuUp).tier, 'cpu');
    assert.equal(policy.isSpilling(1_500), true);
    // Three seconds after the last spill the high threshold applies again.
    assert.equal(policy.isSpilling(4_001), false);
    assert.equal(policy.choose(4_001, 8, { ...calm, queueWaitMs: 60 }, gpuUp).tier, 'cpu');
  });

  test('a simulated burst at 3x the CPU tier spills the excess, does not flap, and returns to CPU afterwards', () => {
    const policy = new OverflowPolicy(SETTINGS);
    const cpuTextsPerMs = 0.8; // 800 texts/s
    const textsPerRequest = 8;
    let queued = 0;
    const served = { cpu: 0, gpu: 0 };
    let transitions = 0;
    let wasSpilling = false;
    let lastGpuAt = -1;
    const tickMs = 10;
    const burst = { from: 5_000, to: 15_000 };
    for (let t = 0; t < 30_000; t += tickMs) {
      queued = Math.max(0, queued - cpuTextsPerMs * tickMs);
      // 40% of capacity outside the burst, 300% inside.
      const load = t >= burst.from && t < burst.to ? 3 : 0.4;
      const requests = Math.round((load * cpuTextsPerMs * tickMs) / textsPerRequest);
      for (let r = 0; r < requests; r++) {
        const choice = policy.choose(t, textsPerRequest, { ...calm, queueWaitMs: queued / cpuTextsPerMs }, gpuUp);
        served[choice.tier] += textsPerRequest;
        if (choice.tier === 'cpu') queued += textsPerRequest;
        else lastGpuAt = t;
      }
      const spilling = policy.isSpilling(t);
      if (spilling !== wasSpilling) transitions++;
      wasSpilling = spilling;
    }
    // The excess (two thirds of the burst) went to the GPU, the rest stayed on CPU.
    const burstTexts = 3 * cpuTextsPerMs * (burst.to - burst.from);
    assert.ok(served.gpu > 0.55 * burstTexts && served.gpu < 0.75 * burstTexts, `gpu served ${served.gpu} of ${burstTexts}`);
    // One spell of spilling, not flapping.
    assert.equal(transitions, 2);
    // Traffic is back on the CPU tier shortly after the burst.
    assert.ok(lastGpuAt >= burst.from && lastGpuAt < burst.to + 500, `last GPU request at ${lastGpuAt}`);
    assert.equal(policy.isSpilling(30_000), false);
  });

  test('a GPU tier backed up further than the CPU tier gets no overflow', () => {
    const policy = new OverflowPolicy(SETTINGS);
    const busy = { ...calm, queueWaitMs: 500, finishMs: 600 };
    assert.equal(policy.choose(0, 8, busy, { ...gpuUp, finishMs: 900 }).tier, 'cpu');
    assert.equal(policy.isSpilling(0), false);
    assert.equal(policy.choose(0, 8, busy, { ...gpuUp, finishMs: 100 }).tier, 'gpu');
  });

  test('no warm CPU endpoint sends everything to the GPU tier; no warm GPU endpoint keeps everything on CPU', () => {
    const policy = new OverflowPolicy(SETTINGS);
    assert.deepEqual(policy.choose(0, 1, { ...calm, warmEndpoints: 0 }, gpuUp), { tier: 'gpu', reason: 'no_warm_endpoint' });
    assert.equal(policy.choose(0, 1, { ...calm, queueWaitMs: 10_000 }, { ...gpuUp, warmEndpoints: 0 }).tier, 'cpu');
  });

  test('large requests go to the GPU tier when it finishes them sooner, without starting a spill', () => {
    const policy = new OverflowPolicy(SETTINGS);
    assert.deepEqual(policy.choose(0, 320, { ...calm, finishMs: 400 }, { ...gpuUp, finishMs: 80 }), { tier: 'gpu', reason: 'large_request' });
    assert.equal(policy.isSpilling(0), false);
    // A GPU tier that is itself backed up does not get it.
    assert.equal(policy.choose(0, 320, { ...calm, finishMs: 400 }, { ...gpuUp, finishMs: 900 }).tier, 'cpu');
    // Below the size, the request stays on CPU.
    assert.equal(policy.choose(0, 319, { ...calm, finishMs: 400 }, { ...gpuUp, finishMs: 80 }).tier, 'cpu');
    // Not measured yet: the GPU tier, faster by design, gets it.
    assert.equal(policy.choose(0, 320, { ...calm, finishMs: undefined }, { ...gpuUp, finishMs: undefined }).tier, 'gpu');
    // Turned off with 0.
    const off = new OverflowPolicy({ ...SETTINGS, largeRequestTexts: 0 });
    assert.equal(off.choose(0, 5_000, { ...calm, finishMs: 4_000 }, { ...gpuUp, finishMs: 80 }).tier, 'cpu');
  });

  test('without a visible queue (Lambda), inflated backend latency and capacity refusals spill', () => {
    const policy = new OverflowPolicy(SETTINGS);
    const unseen = { ...calm, queueWaitMs: undefined };
    assert.equal(policy.choose(0, 8, { ...unseen, backendWaitMs: 80 }, gpuUp).tier, 'cpu');
    assert.deepEqual(policy.choose(0, 8, { ...unseen, backendWaitMs: 150 }, gpuUp), { tier: 'gpu', reason: 'backend_load' });
    // Hysteresis: while spilling, half the backend threshold keeps it spilling.
    assert.equal(policy.choose(100, 8, { ...unseen, backendWaitMs: 60 }, gpuUp).tier, 'gpu');
    assert.equal(policy.choose(200, 8, { ...unseen, backendWaitMs: 40 }, gpuUp).tier, 'cpu');
    // The inferred wait has its own, higher threshold: jitter under it is not load, even with a
    // low queue-wait threshold.
    const lowQueue = new OverflowPolicy({ ...SETTINGS, spillWaitMs: 30, resumeWaitMs: 15 });
    assert.equal(lowQueue.choose(0, 8, { ...unseen, backendWaitMs: 45 }, gpuUp).tier, 'cpu');
    const refused = new OverflowPolicy(SETTINGS);
    assert.deepEqual(refused.choose(0, 8, { ...unseen, recentCapacityErrors: 1 }, gpuUp), { tier: 'gpu', reason: 'backend_load' });
  });

  test('says why it spills while spilling, the latest reason, and nothing once the hold time has passed', () => {
    const policy = new OverflowPolicy(SETTINGS);
    assert.equal(policy.spillReason(0), undefined);
    policy.choose(0, 8, { ...calm, queueWaitMs: 101 }, gpuUp);
    assert.equal(policy.spillReason(1), 'queue_wait');
    policy.choose(1_000, 8, { ...calm, warmEndpoints: 0 }, gpuUp);
    assert.equal(policy.spillReason(1_000), 'no_warm_endpoint');
    // A large request goes to the GPU tier without being a spill: the reason stays.
    assert.equal(policy.choose(1_100, 400, calm, gpuUp).reason, 'large_request');
    assert.equal(policy.spillReason(1_100), 'no_warm_endpoint');
    assert.equal(policy.spillReason(4_001), undefined);
  });

  test('the defaults keep the resume level below the spill level', () => {
    assert.ok(OVERFLOW_DEFAULTS.resumeWaitMs < OVERFLOW_DEFAULTS.spillWaitMs);
  });
});
