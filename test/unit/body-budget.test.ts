/** The process-wide budget of request-body bytes being received at once, and its setting. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseConfig } from '../../shared/config/config';
import { BodyBudget } from '../../shared/security/body-budget';

const MIB = 1024 * 1024;

describe('body budget', () => {
  test('leases reserve up to the budget, refuse past it, and give everything back once', () => {
    const budget = new BodyBudget(100);
    const first = budget.lease();
    const second = budget.lease();
    assert.equal(first.reserve(60), true);
    assert.equal(second.reserve(30), true);
    assert.equal(second.reserve(20), false, 'past the budget');
    assert.equal(budget.inUse, 90, 'a refusal reserves nothing');
    assert.equal(second.reserve(10), true);
    first.release();
    first.release();
    assert.equal(budget.inUse, 40, 'a second release returns nothing more');
    assert.equal(first.reserve(1), false, 'a released lease reserves nothing');
    second.release();
    assert.equal(budget.inUse, 0);
    for (let index = 0; index < 1000; index++) {
      const lease = budget.lease();
      lease.reserve(index % 150);
      lease.release();
    }
    assert.equal(budget.inUse, 0);
  });

  test('MAX_INFLIGHT_BODY_BYTES: 64 MiB, at least MAX_BODY_BYTES', () => {
    assert.equal(parseConfig({}).limits.maxInflightBodyBytes, 64 * MIB);
    assert.equal(parseConfig({ MAX_BODY_BYTES: String(100 * MIB) }).limits.maxInflightBodyBytes, 100 * MIB);
    assert.equal(parseConfig({ MAX_INFLIGHT_BODY_BYTES: String(8 * MIB) }).limits.maxInflightBodyBytes, 8 * MIB);
    assert.throws(() => parseConfig({ MAX_INFLIGHT_BODY_BYTES: String(MIB) }), /MAX_INFLIGHT_BODY_BYTES=1048576 is below MAX_BODY_BYTES=6291456/);
  });
});
