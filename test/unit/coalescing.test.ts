import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { batchShare, type CompanyWaitInput, companyPlan } from '../../shared/dispatch/coalescing';
import { RecentPeak } from '../../shared/dispatch/recent-peak';

const base: CompanyWaitInput = {
  now: 1_000,
  windowMs: 5,
  batchSize: 32,
  fixedCostMs: 11,
  batchesInFlight: 5,
  retriesWaiting: false,
  queuedTexts: 3,
  inFlightTexts: 57,
  peakOutstanding: 60,
  slots: 6,
  oldest: { enqueuedAt: 999, attempts: 0 },
  lastFreedAt: 998,
};

describe('waiting for company', () => {
  test('under load a freed slot waits for its share, at most the window', () => {
    // 60 outstanding over 6 slots with one batch in reserve: a share is 9 (60 / 7), 3 are queued.
    assert.deepEqual(companyPlan(base), { sendAt: 999 + 5, texts: 9 });
    assert.equal(companyPlan({ ...base, lastFreedAt: 1_000 }).sendAt, 1_005, 'counted from the freed slot when later');
    assert.deepEqual(companyPlan({ ...base, now: 1_004 }), { sendAt: undefined, texts: 9 }, 'the window is over: the queue, up to the share');
  });

  test('sends at once when waiting cannot pay, and then takes a whole batch', () => {
    const whole = { sendAt: undefined, texts: 32 };
    assert.deepEqual(companyPlan({ ...base, queuedTexts: 12 }), { sendAt: undefined, texts: 9 }, 'a share is there');
    assert.deepEqual(companyPlan({ ...base, batchesInFlight: 0 }), whole, 'an idle tier');
    assert.deepEqual(companyPlan({ ...base, fixedCostMs: 0.3 }), whole, 'no fixed cost to share');
    assert.deepEqual(companyPlan({ ...base, fixedCostMs: undefined }), whole, 'not measured yet');
    assert.deepEqual(companyPlan({ ...base, oldest: { enqueuedAt: 999, attempts: 1 } }), whole, 'a split request\'s tail');
    assert.deepEqual(companyPlan({ ...base, retriesWaiting: true }), whole, 'retries go first');
    assert.deepEqual(companyPlan({ ...base, windowMs: 0 }), whole, 'waiting turned off');
  });
});

describe('the batch share', () => {
  test('keeps one batch in reserve for a closed loop of clients', () => {
    // 64 one-text clients over 6 slots, all inside at their peak: 64 / 7 rounds to 9, not 64 / 6's 11.
    assert.equal(batchShare({ batchSize: 32, queuedTexts: 2, inFlightTexts: 60, peakOutstanding: 64, slots: 6 }), 9);
    assert.equal(batchShare({ batchSize: 32, queuedTexts: 0, inFlightTexts: 60, peakOutstanding: 60, slots: 6 }), 9);
  });

  test('is never more than the fair share of what is outstanding now, nor the batch size', () => {
    assert.equal(batchShare({ batchSize: 32, queuedTexts: 1, inFlightTexts: 11, peakOutstanding: 64, slots: 6 }), 2, 'after a burst');
    assert.equal(batchShare({ batchSize: 32, queuedTexts: 900, inFlightTexts: 192, peakOutstanding: 1_100, slots: 6 }), 32, 'a long queue');
  });

  test('is at least one text', () => {
    assert.equal(batchShare({ batchSize: 32, queuedTexts: 1, inFlightTexts: 0, peakOutstanding: 1, slots: 6 }), 1);
    assert.equal(batchShare({ batchSize: 32, queuedTexts: 1, inFlightTexts: 0, peakOutstanding: 1, slots: 0 }), 1);
  });
});

describe('the recent peak', () => {
  test('remembers the highest value for between half a window and a whole one', () => {
    const peak = new RecentPeak(1_000);
    peak.note(10, 0);
    peak.note(64, 100);
    peak.note(20, 200);
    assert.equal(peak.value(400), 64);
    peak.note(30, 600);
    assert.equal(peak.value(900), 64, 'the previous half still counts');
    assert.equal(peak.value(1_150), 30, 'the half holding 64 has passed');
    assert.equal(peak.value(2_500), 0, 'nothing noted for a whole window');
  });
});
