/**
 * The status page's JSON model, a pure function of the dispatch snapshot, the config and the time:
 * tiers and endpoints as the snapshot has them, overflow on or off and why with the thresholds in
 * force, the cold starts of both tiers newest first, each burst's next window with its warm-up
 * time (the warm-up's own lead), Lambda's per-environment scope, and never a backend address.
 * Also the cold-start record that keeps the latest events whole.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseConfig } from '../../shared/config/config';
import type { DispatchSnapshot, TierSnapshot } from '../../shared/core/dispatch-snapshot';
import { COLD_START_EVENTS_KEPT, ColdStartRecord } from '../../shared/dispatch/cold-start-record';
import { buildStatusModel, STATUS_COLD_STARTS_SHOWN, type StatusInput } from '../../shared/http/status-model';

const NOW = Date.parse('2026-06-03T10:00:00Z');
const MINUTE_MS = 60_000;
const CPU_URLS = 'http://10.1.2.3:8080/predictions/m,http://10.1.2.4:8080/predictions/m';

const tier = (fields: Partial<TierSnapshot> = {}): TierSnapshot => ({
  queuedTexts: 0, inFlightBatches: 0, endpoints: [], coldStarts: { count: 0, p50Ms: undefined, p95Ms: undefined },
  backlogTexts: 0, servingEndpoints: 0, estimatedWaitSeconds: undefined, ...fields,
});

const SCHEDULE = [
  // Daily at 10:30 UTC: starts in 30 min, inside the 45-minute lead below, so the warm-up acts now.
  { name: 'morning', cron: '30 10 * * *', timezone: 'UTC', durationMinutes: 60, tier: 'cpu', minInstances: 4 },
  // Started at 09:00 UTC for two hours: running.
  { name: 'batch', cron: '0 9 * * *', timezone: 'UTC', durationMinutes: 120, tier: 'gpu', minInstances: 2 },
  // 20:00 Berlin (18:00 UTC in summer): scheduled.
  { name: 'evening', cron: '0 20 * * *', timezone: 'Europe/Berlin', durationMinutes: 30, tier: 'cpu', minInstances: 3 },
  // February 30th: cron-parser finds no date.
  { name: 'never', cron: '0 0 30 2 *', timezone: 'UTC', durationMinutes: 10, tier: 'cpu', minInstances: 1 },
];

function input(snapshot: DispatchSnapshot | undefined, env: Record<string, string> = {}, overrides: Partial<StatusInput> = {}): StatusInput {
  const config = parseConfig({ LOG_LEVEL: 'silent', CPU_BACKENDS: CPU_URLS, WARMUP_SCHEDULE: JSON.stringify(SCHEDULE), ...env });
  return { snapshot, config, runtime: 'node', now: NOW, processStartMs: NOW - 5 * MINUTE_MS, frontDoorColdStart: undefined, ...overrides };
}

const busy: DispatchSnapshot = {
  tiers: {
    cpu: tier({
      queuedTexts: 40, inFlightBatches: 2, backlogTexts: 104, servingEndpoints: 1, estimatedWaitSeconds: 0.42,
      endpoints: [{ id: 'cpu-0', dialect: 'djl', warmth: 'warm', inFlight: 2 }, { id: 'cpu-1', dialect: 'djl', warmth: 'cold', inFlight: 0 }],
      coldStarts: { count: 2, p50Ms: 40_000, p95Ms: 45_000, recent: [
        { endpoint: 'cpu-1', durationMs: 38_000.4, at: NOW - 10 * MINUTE_MS },
        { endpoint: 'cpu-0', durationMs: 45_000, at: NOW - 2 * MINUTE_MS },
      ] },
    }),
    gpu: tier({
      servingEndpoints: 1, endpoints: [{ id: 'gpu-0', dialect: 'djl', warmth: 'warm', inFlight: 1 }],
      coldStarts: { count: 1, p50Ms: 20_000, p95Ms: 20_000, recent: [{ endpoint: 'gpu-0', durationMs: 20_000, at: NOW - 5 * MINUTE_MS }] },
    }),
  },
  overflowActive: true,
  overflowReason: 'queue_wait',
};
const GPU_ENV = { GPU_BACKENDS: 'http://10.9.9.9:8080/predictions/m' };

describe('status model', () => {
  test('tiers and endpoints as the snapshot has them, an unknown wait as null, never an address', () => {
    const model = buildStatusModel(input(busy, GPU_ENV));
    const [cpu, gpu] = model.tiers;
    assert.deepEqual(cpu, {
      tier: 'cpu', configured: true, servingEndpoints: 1, queuedTexts: 40, inFlightBatches: 2, backlogTexts: 104, estimatedWaitSeconds: 0.42,
      endpoints: [{ id: 'cpu-0', warmth: 'warm', inFlight: 2 }, { id: 'cpu-1', warmth: 'cold', inFlight: 0 }],
      coldStarts: { count: 2, p50Ms: 40_000, p95Ms: 45_000 },
    });
    assert.equal(gpu?.estimatedWaitSeconds, null);
    assert.equal(model.scope, 'process');
    const text = JSON.stringify(model);
    for (const address of ['10.1.2.3', '10.1.2.4', '10.9.9.9', 'predictions', 'djl']) assert.ok(!text.includes(address), `no ${address} in ${text}`);
  });

  test('overflow: why, with the thresholds in force; inactive; no GPU tier at all', () => {
    const env = { ...GPU_ENV, OVERFLOW_WAIT_MS: '50', OVERFLOW_RESUME_WAIT_MS: '20', OVERFLOW_HOLD_MS: '4000' };
    const active = buildStatusModel(input(busy, env)).overflow;
    assert.deepEqual({ ...active, explanation: undefined }, { configured: true, active: true, reason: 'queue_wait', explanation: undefined });
    assert.equal(active.explanation, 'Active: new requests spill to the GPU tier because the CPU tier\'s estimated queue wait went over ' +
      'OVERFLOW_WAIT_MS (50 ms); while spilling, the CPU tier takes a request only below OVERFLOW_RESUME_WAIT_MS (20 ms); ' +
      'it ends once no request has needed to spill for OVERFLOW_HOLD_MS (4000 ms).');
    const noWarm = buildStatusModel(input({ ...busy, overflowReason: 'no_warm_endpoint' }, env)).overflow;
    assert.match(noWarm.explanation, /because no CPU endpoint is warm \(all cold, ejected or unhealthy\)/);
    const idle = buildStatusModel(input({ ...busy, overflowActive: false, overflowReason: undefined }, env)).overflow;
    assert.equal(idle.active, false);
    assert.equal(idle.reason, null);
    assert.match(idle.explanation, /^Inactive: .*OVERFLOW_WAIT_MS \(50 ms\)/);
    const none = buildStatusModel(input({ ...busy, tiers: { ...busy.tiers, gpu: tier() }, overflowActive: false })).overflow;
    assert.deepEqual({ configured: none.configured, active: none.active }, { configured: false, active: false });
    assert.match(none.explanation, /No GPU tier is configured/);
  });

  test('cold starts of both tiers, newest first, rounded, at most STATUS_COLD_STARTS_SHOWN', () => {
    assert.deepEqual(buildStatusModel(input(busy, GPU_ENV)).coldStarts, [
      { tier: 'cpu', endpoint: 'cpu-0', durationMs: 45_000, at: NOW - 2 * MINUTE_MS },
      { tier: 'gpu', endpoint: 'gpu-0', durationMs: 20_000, at: NOW - 5 * MINUTE_MS },
      { tier: 'cpu', endpoint: 'cpu-1', durationMs: 38_000, at: NOW - 10 * MINUTE_MS },
    ]);
    const many = Array.from({ length: 12 }, (_, index) => ({ endpoint: `cpu-${index}`, durationMs: 1_000, at: NOW - index }));
    const crowded = { ...busy, tiers: { ...busy.tiers, cpu: tier({ coldStarts: { count: 12, p50Ms: 1_000, p95Ms: 1_000, recent: many } }) } };
    const shown = buildStatusModel(input(crowded, GPU_ENV)).coldStarts;
    assert.equal(shown.length, STATUS_COLD_STARTS_SHOWN);
    assert.equal(shown[0]?.endpoint, 'cpu-0');
  });

  test('each burst\'s window and warm-up time, with the warm-up\'s own lead (measured p95 plus margin)', () => {
    // The largest p95 of either tier (45 s) plus WARMUP_LEAD_MARGIN_SECONDS (default 30 s) = 75 s;
    // a margin of 2,655 s makes the lead 45 minutes, so "morning" (in 30 min) is warming now.
    const model = buildStatusModel(input(busy, { ...GPU_ENV, WARMUP_LEAD_MARGIN_SECONDS: '2655' }));
    assert.equal(model.warmupLeadSeconds, 45 * 60);
    const leadMs = 45 * MINUTE_MS;
    assert.deepEqual(model.bursts, [
      { name: 'batch', tier: 'gpu', minInstances: 2, start: Date.parse('2026-06-03T09:00:00Z'), end: Date.parse('2026-06-03T11:00:00Z'),
        warmupAt: Date.parse('2026-06-03T09:00:00Z') - leadMs, state: 'running' },
      { name: 'morning', tier: 'cpu', minInstances: 4, start: Date.parse('2026-06-03T10:30:00Z'), end: Date.parse('2026-06-03T11:30:00Z'),
        warmupAt: Date.parse('2026-06-03T10:30:00Z') - leadMs, state: 'warming' },
      { name: 'evening', tier: 'cpu', minInstances: 3, start: Date.parse('2026-06-03T18:00:00Z'), end: Date.parse('2026-06-03T18:30:00Z'),
        warmupAt: Date.parse('2026-06-03T18:00:00Z') - leadMs, state: 'scheduled' },
    ]);
    assert.deepEqual(model.burstsWithoutNext, ['never']);
    // Nothing measured: the fallback lead (120 s), so "morning" is only scheduled.
    const fresh = buildStatusModel(input(undefined));
    assert.equal(fresh.warmupLeadSeconds, 120);
    assert.equal(fresh.bursts.find((burst) => burst.name === 'morning')?.state, 'scheduled');
  });

  test('Lambda: one environment\'s view, said so; the front door\'s own cold start once counted', () => {
    const lambda = buildStatusModel(input(busy, GPU_ENV, {
      runtime: 'aws-lambda', frontDoorColdStart: { initMs: 412.7, firstRequestMs: 415.2, initializationType: 'on-demand' },
    }));
    assert.equal(lambda.scope, 'environment');
    assert.match(lambda.scopeNote, /One Lambda execution environment's view/);
    assert.deepEqual(lambda.frontDoor, { startedAt: NOW - 5 * MINUTE_MS, coldStart: { initMs: 413, firstRequestMs: 415, initializationType: 'on-demand' } });
    const server = buildStatusModel(input(undefined));
    assert.equal(server.frontDoor.coldStart, null);
    assert.deepEqual(server.tiers.map((entry) => [entry.tier, entry.configured, entry.endpoints.length]), [['cpu', true, 0], ['gpu', false, 0]]);
  });
});

describe('cold-start record', () => {
  test('keeps the latest events whole (endpoint, duration, when), the count and percentiles over more', () => {
    const record = new ColdStartRecord();
    for (let index = 0; index < COLD_START_EVENTS_KEPT + 3; index++) record.add(1_000 + index, `cpu-${index}`, NOW + index);
    record.add(5_000);
    const stats = record.stats();
    assert.equal(stats.count, COLD_START_EVENTS_KEPT + 4);
    assert.equal(stats.recent?.length, COLD_START_EVENTS_KEPT);
    assert.deepEqual(stats.recent?.at(-1), { endpoint: `cpu-${COLD_START_EVENTS_KEPT + 2}`, durationMs: 1_000 + COLD_START_EVENTS_KEPT + 2, at: NOW + COLD_START_EVENTS_KEPT + 2 });
    assert.equal(stats.recent?.[0]?.endpoint, 'cpu-3');
  });
});
