/**
 * The simulator's backlog autoscaler (KEDA's prometheus trigger over efd_backlog_texts, with CPU as
 * a second metric): decisions on a fake clock, one `decide` per sync period.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { BacklogAutoscaler, type TierObservation, createAutoscaler } from '../../tools/simulate/autoscalers';
import { BACKLOG_DEFAULTS } from '../../tools/simulate/defaults';
import { parseScenario } from '../../tools/simulate/scenario';
import { ScalerKind } from '../../tools/simulate/scenario-types';
import { simulateScenario } from '../../tools/simulate/simulate';

const SYNC_MS = BACKLOG_DEFAULTS.syncSeconds * 1_000;
const scaler = (overrides: Partial<Record<keyof typeof BACKLOG_DEFAULTS | 'min' | 'max', number>> = {}) =>
  new BacklogAutoscaler({ ...BACKLOG_DEFAULTS, kind: ScalerKind.backlog, min: 2, max: 20, ...overrides });
const seen = (queuedTexts: number, ready: number, utilization = 0.5, starting = 0): TierObservation =>
  ({ ready, starting, utilization, backlog: queuedTexts > 0, backlogTexts: queuedTexts });

describe('backlog autoscaler', () => {
  test('asks for ceil(backlog / target) instances, within the scale-up step (+100% or +4 per 15 s)', () => {
    const backlog = scaler();
    // 6,000 queued texts at 300 per instance: 20 wanted; from 2 the step allows max(4, 2 + 4) = 6.
    assert.equal(backlog.decide(SYNC_MS, 2, seen(6_000, 2)), 6);
    // The next period: max(12, 10) = 12 from 6.
    assert.equal(backlog.decide(2 * SYNC_MS, 6, seen(6_000, 2, 1, 4)), 12);
    assert.equal(backlog.decide(3 * SYNC_MS, 12, seen(6_000, 2, 1, 10)), 20);
    assert.equal(backlog.decide(4 * SYNC_MS, 20, seen(9_000, 2, 1, 18)), 20, 'never past max');
  });

  test('a larger step reaches the target in one sync', () => {
    assert.equal(scaler({ scaleUpPods: 20 }).decide(SYNC_MS, 2, seen(3_000, 2)), 10);
  });

  test('an empty queue scales down only after the stabilization window, one instance a minute, to the CPU floor', () => {
    const backlog = scaler();
    let desired = backlog.decide(SYNC_MS, 2, seen(3_000, 2));
    desired = backlog.decide(2 * SYNC_MS, desired, seen(3_000, 2, 1, desired - 2));
    assert.equal(desired, 10);
    // Load gone, CPU at 35% of 10 instances: both metrics ask for less.
    let now = 2 * SYNC_MS;
    const calm = (at: number) => backlog.decide(at, desired, seen(0, desired, 0.35));
    for (; now < 2 * SYNC_MS + BACKLOG_DEFAULTS.scaleDownStabilizationSeconds * 1_000 - SYNC_MS; now += SYNC_MS) {
      assert.equal(calm(now + SYNC_MS), 10, `held at ${now / 1_000} s`);
    }
    now += 2 * SYNC_MS;
    desired = calm(now);
    assert.equal(desired, 9, 'one pod a minute once calm for 5 minutes');
    assert.equal(calm(now + SYNC_MS), 9, 'not a second pod within the minute');
  });

  test('CPU is the floor: a busy fleet with an empty queue still grows, and without the floor it does not', () => {
    assert.equal(scaler().decide(SYNC_MS, 4, seen(0, 4, 1)), 6);
    // Without the floor the empty queue asks for the minimum (a new scaler has no history to hold it).
    assert.equal(scaler({ targetPercent: 0 }).decide(SYNC_MS, 4, seen(0, 4, 1)), 3);
  });

  test('the warm-up raises min, and the scaler never goes below it', () => {
    const backlog = scaler();
    backlog.min = 8;
    assert.equal(backlog.decide(SYNC_MS, 8, seen(0, 8, 0)), 8);
    assert.equal(backlog.decide(SYNC_MS * 40, 8, seen(0, 8, 0)), 8);
  });

  test('a scenario reads the kind with its defaults, and refuses a zero target', () => {
    const base = {
      name: 't', slo: { latencyMs: 1000, maxShareOver: 0.01 }, load: [{ kind: 'steady', chunksPerSecond: 10, textsPerRequest: 1 }],
    };
    const parsed = parseScenario(JSON.stringify({ ...base, policies: [{ name: 'b', cpu: { kind: 'backlog', min: 1, max: 4 } }] }));
    const spec = parsed.policies[0]?.scaling.cpu;
    assert.equal(spec?.kind, ScalerKind.backlog);
    assert.ok(createAutoscaler(spec) instanceof BacklogAutoscaler);
    assert.throws(() => parseScenario(JSON.stringify({
      ...base, policies: [{ name: 'b', cpu: { kind: 'backlog', min: 1, max: 4, targetBacklogPerInstance: 0 } }],
    })), /policies\[0\]\.cpu\.targetBacklogPerInstance: must be above 0/);
  });

  test('on a spike it grows the fleet sooner than the seed\'s CPU HPA and refuses fewer requests', () => {
    const result = simulateScenario(parseScenario(JSON.stringify({
      name: 'spike', hours: 0.5, slo: { latencyMs: 1000, maxShareOver: 0.01 },
      load: [
        { kind: 'steady', chunksPerSecond: 300, textsPerRequest: { min: 1, max: 32 } },
        // +3,200 texts/s for 5 minutes from 300 s: 100 requests of 32 texts a second.
        { kind: 'trace', requests: Array.from({ length: 30_000 }, (_, index) => [300 + index / 100, 32]) },
      ],
      policies: [
        { name: 'hpa', cpu: { kind: 'hpa', min: 2, max: 10 } },
        { name: 'backlog', cpu: { kind: 'backlog', min: 2, max: 10 } },
      ],
    })));
    const [hpa, backlog] = result.policies;
    assert.ok(hpa !== undefined && backlog !== undefined);
    assert.ok(backlog.rejected < hpa.rejected, `429s: backlog ${backlog.rejected}, HPA ${hpa.rejected}`);
    const instancesAt = (series: typeof hpa.series, hour: number) => {
      const point = series.find((item) => item.hour >= hour);
      return (point?.warm.cpu ?? 0) + (point?.cold.cpu ?? 0);
    };
    // One minute into the spike (it starts at 300 s): the backlog scaler has launched more instances.
    assert.ok(instancesAt(backlog.series, 360 / 3600) > instancesAt(hpa.series, 360 / 3600));
  });
});
