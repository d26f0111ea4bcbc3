/** The front door's own cold-start tracker: one report, at the first request, with init and first-request delay apart. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createFrontDoorColdStart, describeColdStart } from '../../shared/telemetry/front-door-cold-start';
import type { FrontDoorColdStart } from '../../shared/telemetry/telemetry';

const PROCESS_START_MS = 1_700_000_000_000;
const INIT_MS = 350;

function setup(initializationType: string | undefined = 'on-demand') {
  let now = PROCESS_START_MS + INIT_MS;
  const reports: FrontDoorColdStart[] = [];
  const tracker = createFrontDoorColdStart({
    processStartMs: PROCESS_START_MS,
    initDoneMs: PROCESS_START_MS + INIT_MS,
    initializationType,
    now: () => now,
    report: (coldStart) => reports.push(coldStart),
  });
  return { tracker, reports, advance: (ms: number) => { now += ms; } };
}

describe('createFrontDoorColdStart', () => {
  test('reports once, at the first request, across many requests', () => {
    const { tracker, reports, advance } = setup();
    assert.equal(reports.length, 0, 'nothing before the first request');
    advance(25);
    tracker.onRequest();
    for (let i = 0; i < 100; i++) {
      advance(10);
      tracker.onRequest();
    }
    assert.deepEqual(reports, [{ initMs: INIT_MS, firstRequestMs: INIT_MS + 25, initializationType: 'on-demand' }]);
  });

  test('keeps what it reported for the status page, undefined before the first request', () => {
    const { tracker, reports, advance } = setup();
    assert.equal(tracker.figures(), undefined);
    advance(5);
    tracker.onRequest();
    advance(50);
    tracker.onRequest();
    assert.deepEqual(tracker.figures(), reports[0]);
    assert.equal(tracker.figures()?.firstRequestMs, INIT_MS + 5);
  });

  test('a provisioned environment reports a short init and a long wait for its first request apart', () => {
    const { tracker, reports, advance } = setup('provisioned-concurrency');
    const ONE_HOUR_MS = 3_600_000;
    advance(ONE_HOUR_MS);
    tracker.onRequest();
    tracker.onRequest();
    assert.deepEqual(reports, [{ initMs: INIT_MS, firstRequestMs: INIT_MS + ONE_HOUR_MS, initializationType: 'provisioned-concurrency' }]);
  });

  test('a throwing report does not make later requests report again', () => {
    let calls = 0;
    const tracker = createFrontDoorColdStart({
      processStartMs: 0, initDoneMs: 1, initializationType: undefined, now: () => 2,
      report: () => { calls += 1; throw new Error('sink down'); },
    });
    assert.throws(() => tracker.onRequest(), /sink down/);
    tracker.onRequest();
    assert.equal(calls, 1);
  });
});

describe('describeColdStart', () => {
  test('durations from process start, never negative, 0 for non-numbers', () => {
    assert.deepEqual(describeColdStart(1_000, 1_200, 1_500, 'snap-start'), { initMs: 200, firstRequestMs: 500, initializationType: 'snap-start' });
    // Clocks of different resolution can put "init done" a hair before the process start.
    assert.deepEqual(describeColdStart(1_000, 999.5, 990, undefined), { initMs: 0, firstRequestMs: 0, initializationType: undefined });
    assert.deepEqual(describeColdStart(Number.NaN, 1_200, Number.POSITIVE_INFINITY, undefined), { initMs: 0, firstRequestMs: 0, initializationType: undefined });
  });
});
