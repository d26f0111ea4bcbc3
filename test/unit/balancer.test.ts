import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { pickEndpoint } from '../../shared/dispatch/balancer';
import { CostModelEstimator } from '../../shared/dispatch/cost-model';
import { Endpoint } from '../../shared/dispatch/endpoint';
import { RetryBudget } from '../../shared/dispatch/retry-budget';
import { FakeUpstream } from '../helpers/fake-upstream';

const policy = { maxInFlight: 4, ejectAfterFailures: 3, ejectBaseMs: 1_000, ejectMaxMs: 30_000, slowStartMs: 0 };
const endpoints = (count: number) => Array.from({ length: count }, (_, i) => new Endpoint(new FakeUpstream(`cpu-${i}`), policy));

describe('power-of-two-choices balancer', () => {
  test('of the two sampled, the one with less outstanding work wins', () => {
    const [a, b] = endpoints(2) as [Endpoint, Endpoint];
    a.begin(30);
    for (const r of [0.1, 0.6, 0.9]) assert.equal(pickEndpoint([a, b], 0, () => r), b);
  });

  test('spreads load: over many picks with work accumulating, no endpoint is starved or flooded', () => {
    const all = endpoints(5);
    let seed = 7;
    const random = () => ((seed = (seed * 48271) % 2147483647) / 2147483647);
    for (let i = 0; i < 1_000; i++) {
      const chosen = pickEndpoint(all, 0, random)!;
      chosen.outstandingTexts += 1;
      // Work drains evenly; keep in-flight below capacity.
      if (i % 5 === 4) for (const e of all) e.outstandingTexts = Math.max(0, e.outstandingTexts - 1);
    }
    const loads = all.map((e) => e.outstandingTexts);
    assert.ok(Math.max(...loads) - Math.min(...loads) <= 3, `loads ${loads.join(', ')}`);
  });

  test('with every endpoint full, the one whose earliest batch ends soonest takes one ahead, not an ejected one', () => {
    const [a, b, c] = endpoints(3) as [Endpoint, Endpoint, Endpoint];
    const ahead = { ms: 3, minFixedCostMs: 5 };
    for (const endpoint of [a, b, c]) {
      for (const n of [1, 8]) endpoint.cost.record(n, 10 + 2 * n);
      for (let batch = 0; batch < 4; batch++) endpoint.begin(8, 100 + batch * 10);
    }
    b.end(8, 100);
    b.begin(8, 98);
    assert.equal(pickEndpoint([a, b, c], 94, Math.random, undefined, ahead), undefined, 'none within 3 ms yet');
    assert.equal(pickEndpoint([a, b, c], 95, Math.random, undefined, ahead), b, 'b ends at 98');
    assert.equal(pickEndpoint([a, b, c], 97, Math.random, undefined, ahead), b);
    assert.equal(pickEndpoint([a, b, c], 97, Math.random), undefined, 'not without a lead');
    b.ejectedUntil = 1_000;
    assert.equal(pickEndpoint([a, b, c], 97, Math.random, undefined, ahead), a, 'a ends at 100');
    b.ejectedUntil = 0;
    b.begin(8, 120);
    assert.equal(pickEndpoint([a, b, c], 97, Math.random, undefined, ahead), a, 'b already holds one ahead');
    assert.equal(pickEndpoint([a, b, c], 104, Math.random, undefined, ahead), undefined, 'past the predicted ends by more than the lead');
  });

  test('full, ejected or unhealthy endpoints are never picked; a retry avoids where it failed', () => {
    const [a, b, c] = endpoints(3) as [Endpoint, Endpoint, Endpoint];
    a.inFlight = 4;
    b.ejectedUntil = 10;
    assert.equal(pickEndpoint([a, b, c], 0, Math.random), c);
    c.probed = 'down';
    assert.equal(pickEndpoint([a, b, c], 0, Math.random), undefined);
    c.probed = 'healthy';
    a.inFlight = 0;
    assert.equal(pickEndpoint([a, b, c], 0, () => 0, new Set(['cpu-0'])), c);
    // Only the avoided one serves: go there rather than nowhere.
    c.probed = 'down';
    assert.equal(pickEndpoint([a, b, c], 0, () => 0, new Set(['cpu-0'])), a);
  });
});

describe('cost model estimator', () => {
  test('recovers a + b·n from batches of mixed sizes', () => {
    const estimator = new CostModelEstimator();
    for (let i = 0; i < 200; i++) {
      const n = 1 + (i % 32);
      estimator.record(n, 10.8 + 2.52 * n + (i % 3) * 0.3 - 0.3);
    }
    const model = estimator.estimate()!;
    assert.ok(Math.abs(model.baseMs - 10.8) < 0.5, `a = ${model.baseMs}`);
    assert.ok(Math.abs(model.perItemMs - 2.52) < 0.05, `b = ${model.perItemMs}`);
  });

  test('one batch size only: falls back to the cost per text', () => {
    const estimator = new CostModelEstimator();
    for (let i = 0; i < 10; i++) estimator.record(32, 91.4);
    assert.ok(Math.abs(estimator.predictMs(32)! - 91.4) < 1e-9);
  });
});

describe('retry budget', () => {
  test('20% of first attempts plus a floor that refills with time', () => {
    let now = 0;
    const budget = new RetryBudget({ ratio: 0.2, minPerSecond: 1, clock: { now: () => now } });
    assert.equal(budget.tryWithdraw(), true, 'the floor allows one at once');
    assert.equal(budget.tryWithdraw(), false);
    for (let i = 0; i < 10; i++) budget.deposit();
    assert.equal(budget.available(), 2);
    now += 3_000;
    assert.equal(budget.available(), 5);
  });
});
