/**
 * The warm-up planner on fixed instants: plans are run step by step over days or weeks, their
 * scaling actions applied to in-memory capacities by a tiny applier, and the raises and restores
 * checked by UTC instant. Every step with a scaling action is planned again after applying it,
 * which must give no further scaling action (idempotence).
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { leadTimeMs } from '../../shared/warmup/lead-time';
import type { ServiceCapacity } from '../../shared/scaling/scaler';
import {
  describeAction, isScalingAction, plan, type ScalingAction, type WarmupAction, type WarmupTarget,
} from '../../shared/warmup/plan';
import type { Burst } from '../../shared/warmup/schedule';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const LEAD = 10 * MINUTE;

const nightly: Burst = { name: 'nightly', cron: '0 2 * * *', timezone: 'Europe/Berlin', durationMinutes: 60, tier: 'cpu', minInstances: 4 };
const cpuService = (capacity: Partial<ServiceCapacity> = {}): WarmupTarget => ({
  tier: 'cpu', target: 'ecs:service/embed/cpu', capacity: { minInstances: 1, maxInstances: undefined, marker: undefined, ...capacity },
});
const gpuService = (capacity: Partial<ServiceCapacity> = {}): WarmupTarget => ({
  tier: 'gpu', target: 'cloudrun:projects/p/locations/l/services/gpu', capacity: { minInstances: 0, maxInstances: 2, marker: undefined, ...capacity },
});
const iso = (ms: number) => new Date(ms).toISOString();

/** The tiny applier: what `apply` does to each scaler, done to plain capacities. */
function applyActions(targets: readonly WarmupTarget[], actions: readonly WarmupAction[]): WarmupTarget[] {
  return targets.map((target) => {
    const action = actions.find((item): item is ScalingAction => isScalingAction(item) && item.target === target.target);
    if (action === undefined) return target;
    return { ...target, capacity: { ...target.capacity, minInstances: action.to, marker: action.marker } };
  });
}

interface Run {
  /** Every scaling action, as `<UTC instant> <action> <target tier> <from>-><to>`. */
  readonly events: string[];
  readonly actions: ScalingAction[];
  /** UTC instants of each step that planned a `warm`, with the tier. */
  readonly warms: string[];
  readonly targets: WarmupTarget[];
}

/** Plans every `stepMs` from `from` (inclusive) to `to` (exclusive), applying each plan. */
function simulate(options: {
  bursts: readonly Burst[];
  targets: readonly WarmupTarget[];
  from: string;
  to: string;
  stepMs: number;
  leadMs?: number;
  /** Someone else changing a service before the plan at `now`. */
  meddle?: (now: number, targets: WarmupTarget[]) => WarmupTarget[];
}): Run {
  const run: Run = { events: [], actions: [], warms: [], targets: [...options.targets] };
  const leadMs = options.leadMs ?? LEAD;
  for (let now = Date.parse(options.from); now < Date.parse(options.to); now += options.stepMs) {
    if (options.meddle !== undefined) run.targets.splice(0, run.targets.length, ...options.meddle(now, run.targets));
    const actions = plan({ now, bursts: options.bursts, leadMs, targets: run.targets });
    for (const action of actions) {
      if (isScalingAction(action)) {
        run.events.push(`${iso(now)} ${action.action} ${action.tier} ${action.from}->${action.to}`);
        run.actions.push(action);
      } else {
        run.warms.push(`${iso(now)} ${action.tier}`);
      }
    }
    if (actions.some(isScalingAction)) {
      run.targets.splice(0, run.targets.length, ...applyActions(run.targets, actions));
      const again = plan({ now, bursts: options.bursts, leadMs, targets: run.targets }).filter(isScalingAction);
      assert.deepEqual(again, [], `planning again at ${iso(now)} after applying must change nothing`);
    }
  }
  return run;
}

describe('warm-up plan: one nightly burst', () => {
  test('a week of hourly plans: raised once per night within the lead, kept through the burst, restored once after', () => {
    // 02:00 Berlin summer time is 00:00 UTC; plans at :55 past every hour.
    const run = simulate({ bursts: [nightly], targets: [cpuService(), gpuService()], from: '2025-06-01T12:55:00Z', to: '2025-06-08T12:55:00Z', stepMs: HOUR });
    const expected: string[] = [];
    for (let day = 1; day <= 7; day++) {
      const evening = `2025-06-0${day}T23:55:00.000Z`;
      const after = `2025-06-0${day + 1}T01:55:00.000Z`;
      expected.push(`${evening} raise cpu 1->4`, `${after} restore cpu 4->1`);
    }
    assert.deepEqual(run.events, expected);
    // Warmed at the raise (01:55 local) and during the burst (02:55 local), not after it.
    assert.equal(run.warms.length, 14);
    assert.ok(run.warms.every((warm) => warm.endsWith(' cpu') && /T(23|00):55/.test(warm)), run.warms.join('\n'));
    const raise = run.actions[0];
    assert.deepEqual(raise?.action === 'raise' ? raise.marker : undefined, { restingMin: 1, raisedTo: 4 });
    assert.deepEqual(raise?.bursts, ['nightly']);
    assert.match(raise?.reason ?? '', /"nightly" \(min 4\) 2025-06-02T00:00:00.000Z to 2025-06-02T01:00:00.000Z: raising the minimum from 1 to 4/);
    assert.deepEqual(run.targets.map((target) => target.capacity), [
      { minInstances: 1, maxInstances: undefined, marker: undefined },
      { minInstances: 0, maxInstances: 2, marker: undefined },
    ]);
  });

  test('raised exactly the lead time before the start, restored at the end', () => {
    const run = simulate({ bursts: [nightly], targets: [cpuService()], from: '2025-06-02T20:00:00Z', to: '2025-06-03T04:00:00Z', stepMs: MINUTE });
    assert.deepEqual(run.events, ['2025-06-02T23:50:00.000Z raise cpu 1->4', '2025-06-03T01:00:00.000Z restore cpu 4->1']);
  });

  test('the lead time comes from leadTimeMs: the 120 s fallback raises at 01:58 local', () => {
    const leadMs = leadTimeMs({ leadSeconds: undefined, leadMarginSeconds: 30, fallbackLeadSeconds: 120 }, undefined);
    const run = simulate({ bursts: [nightly], targets: [cpuService()], from: '2025-06-02T23:50:00Z', to: '2025-06-03T00:01:00Z', stepMs: 30_000, leadMs });
    assert.deepEqual(run.events, ['2025-06-02T23:58:00.000Z raise cpu 1->4']);
  });

  test('a quiet time plans nothing', () => {
    assert.deepEqual(plan({ now: Date.parse('2025-06-02T12:00:00Z'), bursts: [nightly], leadMs: LEAD, targets: [cpuService(), gpuService()] }), []);
    assert.deepEqual(plan({ now: Date.parse('2025-06-02T12:00:00Z'), bursts: [], leadMs: LEAD, targets: [cpuService()] }), []);
  });

  test('a negative lead counts as none', () => {
    const input = { bursts: [nightly], leadMs: -HOUR, targets: [cpuService()] };
    assert.deepEqual(plan({ ...input, now: Date.parse('2025-06-02T23:59:59Z') }), []);
    assert.equal(plan({ ...input, now: Date.parse('2025-06-03T00:00:00Z') })[0]?.action, 'raise');
  });
});

describe('warm-up plan: overlaps, other hands, limits', () => {
  const utc: Burst = { ...nightly, timezone: 'UTC' };
  const day = { from: '2025-06-03T00:00:00Z', to: '2025-06-03T05:00:00Z', stepMs: 5 * MINUTE };

  test('two overlapping bursts of different sizes: raise, raise higher keeping the resting minimum, one restore', () => {
    const big: Burst = { ...utc, name: 'reindex', cron: '30 2 * * *', minInstances: 8 };
    const run = simulate({ ...day, bursts: [utc, big], targets: [cpuService()] });
    assert.deepEqual(run.events, [
      '2025-06-03T01:50:00.000Z raise cpu 1->4',
      '2025-06-03T02:20:00.000Z raise cpu 4->8',
      // 03:00: the small burst ends while the big one runs: 8 stays, it is never lowered to 4.
      '2025-06-03T03:30:00.000Z restore cpu 8->1',
    ]);
    const [first, second] = run.actions;
    assert.deepEqual(first?.marker, { restingMin: 1, raisedTo: 4 });
    assert.deepEqual(second?.marker, { restingMin: 1, raisedTo: 8 });
    assert.deepEqual(second?.bursts, ['nightly', 'reindex']);
  });

  test('someone else raised the minimum higher during the burst: never lowered, the marker forgotten after', () => {
    const run = simulate({
      ...day, bursts: [utc], targets: [cpuService()],
      meddle: (now, targets) => now === Date.parse('2025-06-03T02:15:00Z')
        ? targets.map((target) => ({ ...target, capacity: { ...target.capacity, minInstances: 10 } }))
        : targets,
    });
    assert.deepEqual(run.events, ['2025-06-03T01:50:00.000Z raise cpu 1->4', '2025-06-03T03:00:00.000Z forget cpu 10->10']);
    assert.match(run.actions[1]?.reason ?? '', /the minimum is 10, not the 4 the warm-up set/);
    assert.deepEqual(run.targets[0]?.capacity, { minInstances: 10, maxInstances: undefined, marker: undefined });
  });

  test('someone else lowered the minimum during the burst: raised again, the first resting minimum kept', () => {
    const run = simulate({
      ...day, bursts: [utc], targets: [cpuService()],
      meddle: (now, targets) => now === Date.parse('2025-06-03T02:15:00Z')
        ? targets.map((target) => ({ ...target, capacity: { ...target.capacity, minInstances: 2 } }))
        : targets,
    });
    assert.deepEqual(run.events, [
      '2025-06-03T01:50:00.000Z raise cpu 1->4', '2025-06-03T02:15:00.000Z raise cpu 2->4', '2025-06-03T03:00:00.000Z restore cpu 4->1',
    ]);
    assert.deepEqual(run.actions[1]?.marker, { restingMin: 1, raisedTo: 4 });
  });

  test('a minimum already at or above the burst is left alone and gets no marker', () => {
    const run = simulate({ ...day, bursts: [utc], targets: [cpuService({ minInstances: 6 })] });
    assert.deepEqual(run.events, []);
    assert.ok(run.warms.length > 0);
  });

  test('the maximum clamps a raise; a maximum at the minimum means no raise at all', () => {
    const clamped = simulate({ ...day, bursts: [utc], targets: [cpuService({ maxInstances: 3 })] });
    assert.deepEqual(clamped.events, ['2025-06-03T01:50:00.000Z raise cpu 1->3', '2025-06-03T03:00:00.000Z restore cpu 3->1']);
    assert.deepEqual(clamped.actions[0]?.marker, { restingMin: 1, raisedTo: 3 });
    assert.match(clamped.actions[0]?.reason ?? '', /wanted 4, clamped to the maximum 3/);
    assert.deepEqual(simulate({ ...day, bursts: [utc], targets: [cpuService({ maxInstances: 1 })] }).events, []);
  });

  test('each tier is raised by its own bursts only, and warmed while one is due', () => {
    const gpuBurst: Burst = { ...utc, name: 'gpu-batch', cron: '0 4 * * *', tier: 'gpu', minInstances: 2 };
    const secondCpu: WarmupTarget = { ...cpuService({ minInstances: 0 }), target: 'ecs:service/embed/cpu-b' };
    const run = simulate({ ...day, bursts: [utc, gpuBurst], targets: [cpuService(), secondCpu, gpuService()] });
    assert.deepEqual(run.events, [
      '2025-06-03T01:50:00.000Z raise cpu 1->4',
      '2025-06-03T01:50:00.000Z raise cpu 0->4',
      '2025-06-03T03:00:00.000Z restore cpu 4->1',
      '2025-06-03T03:00:00.000Z restore cpu 4->0',
      '2025-06-03T03:50:00.000Z raise gpu 0->2',
    ]);
    assert.ok(run.warms.includes('2025-06-03T01:50:00.000Z cpu') && !run.warms.includes('2025-06-03T01:45:00.000Z cpu'));
    assert.ok(run.warms.includes('2025-06-03T03:50:00.000Z gpu') && !run.warms.includes('2025-06-03T03:00:00.000Z cpu'));
    // A tier with no scalable service is still warmed.
    const actions = plan({ now: Date.parse('2025-06-03T04:10:00Z'), bursts: [gpuBurst], leadMs: LEAD, targets: [] });
    assert.deepEqual(actions.map((action) => action.action), ['warm']);
  });
});

describe('warm-up plan across daylight saving time changes', () => {
  const halfPastTwo: Burst = { ...nightly, cron: '30 2 * * *' };
  const raises = (run: Run) => run.events.filter((event) => event.includes(' raise ')).map((event) => event.slice(0, 16));

  test('Europe/Berlin spring forward: 02:30 is 01:30 UTC in winter, 03:30 summer time on the day, 00:30 UTC after', () => {
    const run = simulate({ bursts: [halfPastTwo], targets: [cpuService()], from: '2025-03-24T00:00:00Z', to: '2025-04-01T00:00:00Z', stepMs: 10 * MINUTE });
    assert.deepEqual(raises(run), [
      '2025-03-24T01:20', '2025-03-25T01:20', '2025-03-26T01:20', '2025-03-27T01:20', '2025-03-28T01:20', '2025-03-29T01:20',
      '2025-03-30T01:20', // Sunday 30 March: 02:30 does not exist; cron-parser runs it at 03:30 CEST.
      '2025-03-31T00:20',
    ]);
    assert.ok(run.events.includes('2025-03-30T02:30:00.000Z restore cpu 4->1'));
    assert.equal(run.events.length, 16);
  });

  test('Europe/Berlin fall back: the repeated 02:30 raises once, at the summer-time one', () => {
    const run = simulate({ bursts: [halfPastTwo], targets: [cpuService()], from: '2025-10-20T00:00:00Z', to: '2025-10-28T00:00:00Z', stepMs: 10 * MINUTE });
    assert.deepEqual(raises(run), [
      '2025-10-20T00:20', '2025-10-21T00:20', '2025-10-22T00:20', '2025-10-23T00:20', '2025-10-24T00:20', '2025-10-25T00:20',
      '2025-10-26T00:20', // Sunday 26 October: 02:30 CEST; not again at 02:30 CET (01:30 UTC).
      '2025-10-27T01:20',
    ]);
    assert.ok(run.events.includes('2025-10-26T01:30:00.000Z restore cpu 4->1'));
    assert.equal(run.events.length, 16);
  });

  test('America/New_York: a weekday 09:00 burst moves from 14:00 to 13:00 UTC on the second Sunday of March', () => {
    const morning: Burst = { ...nightly, name: 'office', cron: '0 9 * * 1-5', timezone: 'America/New_York', durationMinutes: 120 };
    const run = simulate({ bursts: [morning], targets: [cpuService()], from: '2025-03-03T00:00:00Z', to: '2025-03-15T00:00:00Z', stepMs: 10 * MINUTE });
    assert.deepEqual(raises(run), [
      '2025-03-03T13:50', '2025-03-04T13:50', '2025-03-05T13:50', '2025-03-06T13:50', '2025-03-07T13:50',
      '2025-03-10T12:50', '2025-03-11T12:50', '2025-03-12T12:50', '2025-03-13T12:50', '2025-03-14T12:50',
    ]);
    assert.ok(run.events.includes('2025-03-07T16:00:00.000Z restore cpu 4->1'));
    assert.ok(run.events.includes('2025-03-10T15:00:00.000Z restore cpu 4->1'));
  });

  test('America/New_York fall back: a 01:30 burst raises once on the first Sunday of November', () => {
    const early: Burst = { ...nightly, name: 'early', cron: '30 1 * * *', timezone: 'America/New_York' };
    const run = simulate({ bursts: [early], targets: [cpuService()], from: '2025-11-01T00:00:00Z', to: '2025-11-04T00:00:00Z', stepMs: 10 * MINUTE });
    assert.deepEqual(raises(run), ['2025-11-01T05:20', '2025-11-02T05:20', '2025-11-03T06:20']);
    assert.equal(run.events.length, 6);
  });
});

describe('warm-up actions as log lines', () => {
  test('every action is one JSON line with its fields; a cleared marker shows as null', () => {
    const utc: Burst = { ...nightly, timezone: 'UTC' };
    const raised = plan({ now: Date.parse('2025-06-03T01:55:00Z'), bursts: [utc], leadMs: LEAD, targets: [cpuService()] });
    const restored = plan({
      now: Date.parse('2025-06-03T03:00:00Z'), bursts: [utc], leadMs: LEAD,
      targets: [cpuService({ minInstances: 4, marker: { restingMin: 1, raisedTo: 4 } })],
    });
    const lines = [...raised, ...restored].map(describeAction);
    assert.ok(lines.every((line) => !line.includes('\n')));
    const [raise, warm, restore] = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
    assert.deepEqual(Object.keys(raise ?? {}), ['action', 'target', 'tier', 'from', 'to', 'bursts', 'marker', 'reason']);
    assert.deepEqual({ ...raise, reason: undefined }, {
      action: 'raise', target: 'ecs:service/embed/cpu', tier: 'cpu', from: 1, to: 4, bursts: ['nightly'],
      marker: { restingMin: 1, raisedTo: 4 }, reason: undefined,
    });
    assert.deepEqual({ ...warm, reason: undefined }, { action: 'warm', tier: 'cpu', bursts: ['nightly'], reason: undefined });
    assert.deepEqual({ ...restore, reason: undefined }, {
      action: 'restore', target: 'ecs:service/embed/cpu', tier: 'cpu', from: 4, to: 1, bursts: [], marker: null, reason: undefined,
    });
    assert.match(String(restore?.reason), /no cpu burst running or starting within 600 s: restoring the resting minimum 1/);
    // The actions themselves are plain data: JSON.stringify round-trips them.
    assert.deepEqual(JSON.parse(JSON.stringify(raised)), raised);
  });
});

describe('leadTimeMs', () => {
  const config = { leadSeconds: undefined, leadMarginSeconds: 30, fallbackLeadSeconds: 120 };

  test('an override wins, even 0; else the measured p95 plus the margin; else the fallback', () => {
    assert.equal(leadTimeMs({ ...config, leadSeconds: 300 }, 45_000), 300_000);
    assert.equal(leadTimeMs({ ...config, leadSeconds: 0 }, 45_000), 0);
    assert.equal(leadTimeMs(config, 45_000), 75_000);
    assert.equal(leadTimeMs(config, 0), 30_000);
    assert.equal(leadTimeMs(config, undefined), 120_000);
    assert.equal(leadTimeMs(config, Number.NaN), 120_000);
    assert.equal(leadTimeMs(config, -5), 120_000);
  });
});
