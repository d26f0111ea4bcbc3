/** The burst benchmark's arithmetic: schedule, records, phase statistics, targets and report. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { cpuBetween } from '../../tools/bench/burst-cpu';
import { parseBurstOptions } from '../../tools/bench/burst-options';
import { expectRun, UsageError } from '../../shared/cli/command-line';
import { headerFields, parseServerTiming, type RequestRecord } from '../../tools/bench/burst-record';
import { renderBurstReport, type BurstReport } from '../../tools/bench/burst-report';
import { nonZeroCounters, sampleValue } from '../../tools/bench/burst-setup';
import { phaseSpans, phaseStats, timeline, timeSplits, type BurstShape } from '../../tools/bench/burst-stats';
import { checkBurstTargets, tailGpuShare } from '../../tools/bench/burst-targets';
import { arrivalOffsetsMs, LOAD_PLAN_DEFAULTS, loadPlanArgs, parseLoadPlan, type LoadPlan } from '../../tools/bench/load-plan';

const SHAPE: BurstShape = { warmupS: 1, baselineS: 2, burstS: 2, recoveryS: 2, baselineRatePerS: 10, burstRatePerS: 30 };

const ok = (atMs: number, latencyMs: number, tier = 'cpu', extra: Partial<RequestRecord> = {}): RequestRecord =>
  ({ atMs, lagMs: 0, latencyMs, outcome: 'ok', status: 200, tier, ...extra });
const refused = (atMs: number, latencyMs: number, retryAfter?: string): RequestRecord =>
  ({ atMs, lagMs: 0, latencyMs, outcome: 'status 429', status: 429, ...(retryAfter === undefined ? {} : { retryAfter }) });

describe('open-loop schedule', () => {
  test('arrivals are evenly spaced per step and steps follow each other', () => {
    assert.deepEqual(arrivalOffsetsMs([{ ratePerS: 4, durationS: 1 }, { ratePerS: 2, durationS: 1 }]), [0, 250, 500, 750, 1000, 1500]);
    // 10 s at 29.7/s is 297 requests, not 296 from floating-point rounding.
    assert.equal(arrivalOffsetsMs([{ ratePerS: 29.7, durationS: 10 }]).length, 297);
  });

  test('steps, body dialect and records survive the trip through the flags', () => {
    const plan: LoadPlan = {
      ...LOAD_PLAN_DEFAULTS, urls: ['http://127.0.0.1:1/embed'], rateSteps: [{ ratePerS: 39.68, durationS: 5 }, { ratePerS: 297.6, durationS: 10 }],
      dialect: 'tei', record: true,
    };
    assert.deepEqual(expectRun(parseLoadPlan(loadPlanArgs(plan))), plan);
    assert.throws(() => expectRun(parseLoadPlan(['--url', 'http://x/', '--step', '5', '--body', 'xml'])), /--step: expected RATE:SECONDS[\s\S]*--body: expected djl, tei/);
  });

  test('phases run back to back, warm-up first at the baseline rate', () => {
    const spans = phaseSpans(SHAPE);
    assert.deepEqual(spans.map((span) => [span.phase, span.ratePerS, span.fromMs, span.toMs]),
      [['warmup', 10, 0, 1000], ['baseline', 10, 1000, 3000], ['burst', 30, 3000, 5000], ['recovery', 10, 5000, 7000]]);
  });
});

describe('request records', () => {
  test('Server-Timing, tier, overflow and Retry-After are read from the headers', () => {
    assert.deepEqual(parseServerTiming('queue;dur=1.5, upstream;dur=30, total;dur=33.2, bad;desc=x'), { queue: 1.5, upstream: 30, total: 33.2 });
    assert.deepEqual(headerFields(200, {
      'x-embed-tier': 'gpu', 'x-embed-overflow': 'queue_wait', 'server-timing': 'queue;dur=2, upstream;dur=5, total;dur=8',
    }), { status: 200, tier: 'gpu', overflow: 'queue_wait', queueMs: 2, upstreamMs: 5, serverMs: 8 });
    assert.deepEqual(headerFields(429, { 'retry-after': ['3', '4'] }), { status: 429, retryAfter: '3' });
  });
});

describe('phase statistics', () => {
  const spans = phaseSpans(SHAPE);
  const burst = spans[2]!;

  test('a phase counts the requests due in it: latency, 429s with Retry-After, timeouts, tiers', () => {
    const records = [
      ok(3000, 10), ok(3100, 30, 'gpu', { overflow: 'queue_wait' }), refused(3200, 4, '1'), refused(3300, 6),
      { atMs: 3400, lagMs: 2, latencyMs: 35_000, outcome: 'UND_ERR_HEADERS_TIMEOUT' }, ok(999, 1), ok(5000, 1),
    ];
    const stats = phaseStats(burst, records);
    assert.equal(stats.requests, 5);
    assert.equal(stats.ok, 2);
    assert.equal(stats.latencyMs.max, 30);
    assert.deepEqual(stats.errors, { 'status 429': 2, UND_ERR_HEADERS_TIMEOUT: 1 });
    assert.equal(stats.rejected429, 2);
    assert.equal(stats.retryAfter429, 1);
    assert.equal(stats.latency429Ms.max, 6);
    assert.equal(stats.timeouts, 1);
    assert.deepEqual(stats.tiers, { cpu: 1, gpu: 1 });
    assert.deepEqual(stats.overflowReasons, { queue_wait: 1 });
    assert.equal(stats.maxLagMs, 2);
  });

  test('a 504 is a timeout and a 5xx; the time split of the slowest adds up per tier', () => {
    assert.equal(phaseStats(burst, [{ atMs: 3000, lagMs: 0, latencyMs: 5, outcome: 'status 504', status: 504 }]).serverErrors, 1);
    const timed = (atMs: number, latencyMs: number, queueMs: number): RequestRecord =>
      ok(atMs, latencyMs, 'cpu', { queueMs, upstreamMs: 20, serverMs: queueMs + 22 });
    const records = Array.from({ length: 99 }, (_, index) => timed(3000 + index, 40, 10)).concat(timed(3500, 200, 150));
    const [all, slowest] = timeSplits(burst, records);
    assert.equal(all?.count, 100);
    assert.deepEqual(slowest, { tier: 'cpu', group: 'slowest', count: 1, clientMs: 200, queueMs: 150, upstreamMs: 20, frontDoorOtherMs: 2, outsideMs: 28 });
  });

  test('the timeline slices the measured phases by when requests were due', () => {
    const buckets = timeline(spans, [ok(1000, 5), ok(3000, 50, 'gpu'), refused(3500, 2, '1'), ok(500, 1)], 1);
    assert.equal(buckets.length, 6);
    assert.deepEqual(buckets[2], { fromS: 2, phase: 'burst', requests: 2, ok: 1, rejected429: 1, otherErrors: 0, gpu: 1, p99Ms: 50 });
  });
});

describe('targets', () => {
  const spans = phaseSpans(SHAPE);
  const measured = spans.slice(1);

  test('with the GPU tier: no errors, burst p99 within 2x baseline, back on the CPU tier at the end', () => {
    const records = [ok(1000, 40), ok(3000, 79, 'gpu'), ok(5000, 30, 'gpu'), ok(6500, 30)];
    const phases = measured.map((span) => phaseStats(span, records));
    const checks = checkBurstTargets({ setup: 'withGpu', phases, recoveryTail: tailGpuShare(spans[3]!, records, 1) });
    assert.deepEqual(checks.map((check) => check.met), [true, true, true]);
    assert.match(checks[1]!.measured, /79\.0 vs 40\.0 ms: 1\.98x/);
    const slow = measured.map((span) => phaseStats(span, [ok(1000, 40), ok(3000, 81, 'gpu'), refused(5000, 1, '1'), ok(6500, 30, 'gpu')]));
    const missed = checkBurstTargets({ setup: 'withGpu', phases: slow, recoveryTail: tailGpuShare(spans[3]!, [ok(6500, 30, 'gpu')], 1) });
    assert.deepEqual(missed.map((check) => check.met), [false, false, false]);
  });

  test('without it: no timeouts or 5xx, Retry-After on every 429, 429s fast', () => {
    const good = measured.map((span) => phaseStats(span, [ok(1000, 40), refused(3000, 3, '2'), ok(5000, 900)]));
    assert.deepEqual(checkBurstTargets({ setup: 'withoutGpu', phases: good, recoveryTail: { share: 0, ok: 1 } }).map((check) => check.met), [true, true, true]);
    const bad = measured.map((span) => phaseStats(span, [refused(3000, 80), { atMs: 5000, lagMs: 0, latencyMs: 1, outcome: 'UND_ERR_BODY_TIMEOUT' }]));
    assert.deepEqual(checkBurstTargets({ setup: 'withoutGpu', phases: bad, recoveryTail: { share: 0, ok: 0 } }).map((check) => check.met), [false, false, false]);
  });
});

describe('the rest', () => {
  test('CPU between two moments comes from the nearest samples', () => {
    const samples = [
      { atMs: 0, frontDoor: 0, simulators: 0, machine: 0 }, { atMs: 1000, frontDoor: 0.5, simulators: 0.2, machine: 1 },
      { atMs: 2000, frontDoor: 1.5, simulators: 0.4, machine: 2.5 },
    ];
    assert.deepEqual(cpuBetween(samples, 1010, 1990), { frontDoor: 100, simulators: 20, machine: 150 });
    assert.deepEqual(cpuBetween([], 0, 1), { frontDoor: undefined, simulators: undefined, machine: undefined });
  });

  test('only non-zero overflow and rejection counters are quoted', () => {
    const exposition = '# HELP efd_overflow_total x\nefd_overflow_total{tier="gpu",reason="queue_wait"} 12\n' +
      'efd_overflow_total{tier="gpu",reason="fallback"} 0\nefd_requests_total{status="200"} 40\nefd_rejected_requests_total{reason="queue_full"} 3\n';
    assert.equal(sampleValue('efd_nodejs_eventloop_lag_p99_seconds 0.0123\nefd_nodejs_eventloop_lag_p99_seconds_x 9\n', 'efd_nodejs_eventloop_lag_p99_seconds'), 0.0123);
    assert.equal(sampleValue('', 'efd_nodejs_eventloop_lag_p99_seconds'), undefined);
    assert.deepEqual(nonZeroCounters(exposition), ['efd_overflow_total{tier="gpu",reason="queue_wait"} 12', 'efd_rejected_requests_total{reason="queue_full"} 3']);
  });

  test('flags: --env pairs, --quick and reshaping runs do not write the results', () => {
    const options = expectRun(parseBurstOptions(['--env', 'OVERFLOW_WAIT_MS=30', '--env', 'OVERFLOW_RESUME_WAIT_MS=15']));
    assert.deepEqual(options.env, { OVERFLOW_WAIT_MS: '30', OVERFLOW_RESUME_WAIT_MS: '15' });
    assert.equal(options.writeResults, false);
    assert.equal(expectRun(parseBurstOptions([])).writeResults, true);
    assert.equal(expectRun(parseBurstOptions(['--quiet-wait', '0'])).writeResults, true);
    assert.equal(expectRun(parseBurstOptions(['--quick'])).burstS, 4);
    assert.throws(() => expectRun(parseBurstOptions(['--env', 'lower=1', '--only', 'both', '--burst', '0'])), (error: unknown) => {
      assert.ok(error instanceof UsageError);
      for (const problem of [/--env: expected KEY=VALUE/, /--only: expected with-gpu, without-gpu/, /--burst: expected a number > 0/]) {
        assert.match(error.message, problem);
      }
      return true;
    });
  });

  test('the report states the command, the settings and every target', () => {
    const records = [ok(1000, 40), ok(3000, 70, 'gpu'), ok(5000, 30)];
    const spans = phaseSpans(SHAPE);
    const phases = spans.slice(1).map((span) => phaseStats(span, records));
    const report: BurstReport = {
      date: '2026-01-01T00:00:00.000Z', revision: 'abc1234', command: 'npm run bench:burst',
      machine: { nproc: 2, cpuModel: 'cpu', os: 'Linux', node: 'v20', nginx: 'not used' }, shape: SHAPE, capacityTextsPerS: 794,
      textsPerRequest: 8, route: '/embed', clientTimeoutMs: 35_000, connections: 2048, env: { OVERFLOW_WAIT_MS: '30' }, timelineBucketS: 2,
      runSeconds: 60,
      setups: [{
        setup: 'withGpu', skipped: undefined, phases, phaseCpu: [], loopDelay: [{ p99Ms: 12.5, maxMs: 40 }], splits: [], timeline: [], cpu: { frontDoor: 50, simulators: 20, loadGenerator: 10, machine: 90 },
        targets: checkBurstTargets({ setup: 'withGpu', phases, recoveryTail: { share: 0, ok: 1 } }), machineBusyBefore: 3, peakInFlight: 40, counters: [],
      }],
    };
    const markdown = renderBurstReport(report);
    assert.match(markdown, /`npm run bench:burst`/);
    assert.match(markdown, /`OVERFLOW_WAIT_MS=30`/);
    assert.match(markdown, /\| with GPU tier \| burst +\| 30\.0 \(240 texts\/s\)/);
    assert.match(markdown, /burst p99 <= 2x baseline p99 +\| 70\.0 vs 40\.0 ms: 1\.75x +\| met/);
    assert.match(markdown, /\| 12\.5 \/ 40\.0 +\|/);
  });
});
