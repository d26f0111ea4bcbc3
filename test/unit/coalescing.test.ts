import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { type CompanyWaitInput, companyWaitUntil } from '../../shared/dispatch/coalescing';

const base: CompanyWaitInput = {
  now: 1_000,
  windowMs: 5,
  batchSize: 32,
  fixedCostMs: 11,
  batchesInFlight: 5,
  retriesWaiting: false,
  queuedTexts: 3,
  inFlightTexts: 57,
  slots: 6,
  oldest: { enqueuedAt: 999, attempts: 0 },
  lastFreedAt: 998,
};

describe('waiting for company', () => {
  test('under load a freed slot waits for its fair share, at most the window', () => {
    // 60 outstanding over 6 slots: a fair share is 10, 3 are queued.
    assert.equal(companyWaitUntil(base), 999 + 5);
    assert.equal(companyWaitUntil({ ...base, lastFreedAt: 1_000 }), 1_005, 'counted from the freed slot when later');
    assert.equal(companyWaitUntil({ ...base, now: 1_004 }), undefined, 'the window is over');
  });

  test('sends at once when waiting cannot pay', () => {
    // 12 queued of 69 outstanding over 6 slots: the fair share (12) is there.
    assert.equal(companyWaitUntil({ ...base, queuedTexts: 12 }), undefined, 'a fair share is there');
    assert.equal(companyWaitUntil({ ...base, batchesInFlight: 0 }), undefined, 'an idle tier');
    assert.equal(companyWaitUntil({ ...base, fixedCostMs: 0.3 }), undefined, 'no fixed cost to share');
    assert.equal(companyWaitUntil({ ...base, fixedCostMs: undefined }), undefined, 'not measured yet');
    assert.equal(companyWaitUntil({ ...base, oldest: { enqueuedAt: 999, attempts: 1 } }), undefined, 'a split request\'s tail');
    assert.equal(companyWaitUntil({ ...base, retriesWaiting: true }), undefined, 'retries go first');
    assert.equal(companyWaitUntil({ ...base, windowMs: 0 }), undefined, 'waiting turned off');
  });
});
