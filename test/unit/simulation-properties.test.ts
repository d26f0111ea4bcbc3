/** The simulator's sanity properties, on small scenarios that run in well under a second each. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ScenarioError, parseScenario } from '../../tools/simulate/scenario';
import { simulateScenario } from '../../tools/simulate/simulate';

const base = {
  name: 'test',
  start: '2025-06-03T00:00:00Z',
  slo: { latencyMs: 1000, maxShareOver: 0.01 },
  sampleSeconds: 60,
};
const scenario = (fields: Record<string, unknown>) => parseScenario(JSON.stringify({ ...base, ...fields }));
const byName = (result: ReturnType<typeof simulateScenario>, name: string) => {
  const policy = result.policies.find((item) => item.name === name);
  assert.ok(policy, name);
  return policy;
};

describe('simulation', () => {
  test('is deterministic for a seed, and the seed matters', () => {
    const bursty = scenario({
      hours: 1,
      load: [
        { kind: 'daily', minChunksPerSecond: 200, maxChunksPerSecond: 800, peakHourUtc: 0, textsPerRequest: { min: 1, max: 64 } },
        { kind: 'spikes', perDay: 96, durationMinutes: 5, chunksPerSecond: 2000, textsPerRequest: { min: 8, max: 64 } },
      ],
      policies: [{ name: 'hpa', cpu: { kind: 'hpa', min: 1, max: 6 } }],
    });
    const first = simulateScenario(bursty, { seed: 3 });
    assert.deepEqual(simulateScenario(bursty, { seed: 3 }), first);
    assert.notDeepEqual(simulateScenario(bursty, { seed: 4 }).policies[0]?.p99Ms, first.policies[0]?.p99Ms);
    assert.ok((first.policies[0]?.instanceHours.cpu ?? 0) > 1, 'the spikes made it scale out');
  });

  test('more instances never raise p99', () => {
    const counts = [2, 3, 4, 5, 6, 8];
    const result = simulateScenario(scenario({
      hours: 0.25,
      load: [{ kind: 'steady', chunksPerSecond: 1300, textsPerRequest: { min: 1, max: 64 } }],
      policies: counts.map((instances) => ({ name: `${instances}`, cpu: { kind: 'fixed', instances } })),
    }));
    const p99s = counts.map((instances) => byName(result, `${instances}`).p99Ms);
    for (let index = 1; index < p99s.length; index++) {
      assert.ok((p99s[index] ?? 0) <= (p99s[index - 1] ?? 0), `p99 by instances ${counts.join(',')}: ${p99s.join(', ')}`);
    }
    assert.ok((p99s[0] ?? 0) > (p99s.at(-1) ?? 0), 'two instances at 93% are slower than eight');
  });

  test('scheduled warm-up removes the cold-start SLO violations of a scheduled burst', () => {
    const result = simulateScenario(scenario({
      hours: 1.5,
      schedule: [{ name: 'batch', cron: '30 0 * * *', timezone: 'UTC', durationMinutes: 20, tier: 'cpu', minInstances: 8 }],
      load: [
        { kind: 'steady', chunksPerSecond: 200, textsPerRequest: { min: 1, max: 32 } },
        { kind: 'scheduled', burst: 'batch', chunksPerSecond: 3000, textsPerRequest: { min: 16, max: 64 } },
      ],
      policies: [
        { name: 'reactive', cpu: { kind: 'hpa', min: 2, max: 10 } },
        { name: 'warm-up', cpu: { kind: 'hpa', min: 2, max: 10 }, warmup: true },
      ],
    }));
    const reactive = byName(result, 'reactive');
    const warm = byName(result, 'warm-up');
    assert.ok(reactive.shareOverSlo > 0.01, `reactive misses the SLO during the burst (${reactive.shareOverSlo})`);
    assert.equal(warm.shareOverSlo, 0);
    assert.equal(warm.rejected, 0);
    const warmAtBurst = warm.series.find((point) => point.hour >= 0.5);
    assert.ok((warmAtBurst?.warm.cpu ?? 0) >= 8, 'the minimum was raised before the burst');
  });

  test('GPU overflow removes 429s when the GPU tier has room', () => {
    const result = simulateScenario(scenario({
      hours: 0.25,
      load: [{ kind: 'steady', chunksPerSecond: 2500, textsPerRequest: { min: 1, max: 64 } }],
      policies: [
        { name: 'cpu', cpu: { kind: 'fixed', instances: 2 } },
        { name: 'overflow', cpu: { kind: 'fixed', instances: 2 }, gpu: { kind: 'fixed', instances: 1 }, overflow: true },
      ],
    }));
    assert.ok(byName(result, 'cpu').rejected > 100);
    const overflow = byName(result, 'overflow');
    assert.equal(overflow.rejected, 0);
    assert.ok(overflow.spilled > 0);
    assert.equal(overflow.shareOverSlo, 0);
  });

  test('a bad scenario reports every problem with its path', () => {
    assert.throws(() => scenario({
      hours: -1,
      schedule: [{ name: 'x', cron: '0 2 * *', timezone: 'UTC', durationMinutes: 60, tier: 'cpu', minInstances: 2 }],
      load: [{ kind: 'scheduled', burst: 'nope', chunksPerSecond: 10, textsPerRequest: 8 }],
      policies: [{ name: 'p', cpu: { kind: 'hpa', min: 5, max: 2 }, overflow: true, surprise: 1 }],
    }), (error: unknown) => {
      assert.ok(error instanceof ScenarioError);
      const text = error.message;
      for (const expected of ['hours: -1', 'schedule: burst 0 "x": "cron"', 'load[0].burst: "nope" is not a burst',
        'policies[0].cpu.max: 2 is below min 5', 'policies[0].overflow: needs both', 'policies[0].surprise: unknown field']) {
        assert.ok(text.includes(expected), `${expected} in:\n${text}`);
      }
      return true;
    });
  });
});
