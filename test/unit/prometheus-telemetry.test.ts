/** The Prometheus sink: every series exists, events move them, gauges follow the snapshot, promtool accepts the text. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { DispatchSnapshot, EndpointSnapshot, TierSnapshot } from '../../shared/core/dispatch-snapshot';
import { createPrometheusTelemetry } from '../../shared/telemetry/prometheus-telemetry';
import { assertPromtoolAccepts, parseExposition as parse, valueOf } from '../helpers/prometheus-text';

const endpoint = (id: string, warmth: EndpointSnapshot['warmth'], inFlight: number): EndpointSnapshot =>
  ({ id, dialect: 'djl', warmth, inFlight });

const tierSnapshot = (overrides: Partial<TierSnapshot> = {}): TierSnapshot => ({
  queuedTexts: 0,
  inFlightBatches: 0,
  endpoints: [],
  coldStarts: { count: 0, p50Ms: undefined, p95Ms: undefined },
  backlogTexts: 0,
  servingEndpoints: 0,
  estimatedWaitSeconds: 0,
  ...overrides,
});

const BASE_SNAPSHOT: DispatchSnapshot = {
  tiers: {
    cpu: tierSnapshot({
      queuedTexts: 7,
      inFlightBatches: 3,
      endpoints: [endpoint('cpu-0', 'warm', 2), endpoint('cpu-1', 'cold', 1)],
      coldStarts: { count: 2, p50Ms: 40_000, p95Ms: 55_000 },
    }),
    gpu: tierSnapshot({ endpoints: [endpoint('gpu-0', 'warming', 0)] }),
  },
  overflowActive: false,
};

function setup() {
  let current = BASE_SNAPSHOT;
  const telemetry = createPrometheusTelemetry({ snapshot: () => current });
  return {
    telemetry,
    setSnapshot: (next: DispatchSnapshot) => { current = next; },
    scrape: async () => parse(await telemetry.render()),
  };
}

const EXPECTED_TYPES: Readonly<Record<string, string>> = {
  efd_requests_total: 'counter',
  efd_request_duration_seconds: 'histogram',
  efd_queue_size: 'gauge',
  efd_queue_wait_seconds: 'histogram',
  efd_batch_size: 'histogram',
  efd_upstream_duration_seconds: 'histogram',
  efd_batches_in_flight: 'gauge',
  efd_retries_total: 'counter',
  efd_ejections_total: 'counter',
  efd_overflow_total: 'counter',
  efd_rejected_requests_total: 'counter',
  efd_endpoints: 'gauge',
  efd_overflow_active: 'gauge',
  efd_backend_cold_starts_total: 'counter',
  efd_backend_cold_start_duration_seconds: 'histogram',
  efd_backend_cold_start_recent_p50_seconds: 'gauge',
  efd_backend_cold_start_recent_p95_seconds: 'gauge',
  efd_front_door_cold_starts_total: 'counter',
  efd_front_door_init_seconds: 'gauge',
  efd_front_door_first_request_seconds: 'gauge',
  efd_backlog_texts: 'gauge',
  efd_serving_endpoints: 'gauge',
  efd_backlog_per_endpoint: 'gauge',
  efd_estimated_wait_seconds: 'gauge',
};

describe('prometheus telemetry', () => {
  test('declares every series with its type, and default process metrics carry the efd_ prefix', async () => {
    const exposition = await setup().scrape();
    for (const [name, type] of Object.entries(EXPECTED_TYPES)) {
      assert.equal(exposition.types.get(name), type, `${name} should be a ${type}`);
    }
    assert.ok(exposition.types.has('efd_process_cpu_user_seconds_total'));
    assert.deepEqual([...exposition.types.keys()].filter((name) => !name.startsWith('efd_')), []);
  });

  test('two sinks live in one process without clashing (each has its own registry)', async () => {
    const first = setup();
    const second = setup();
    first.telemetry.retry('cpu');
    assert.equal(valueOf(await first.scrape(), 'efd_retries_total', { tier: 'cpu' }), 1);
    assert.equal(valueOf(await second.scrape(), 'efd_retries_total', { tier: 'cpu' }), 0);
  });

  test('counters start at 0 for bounded labels and count events', async () => {
    const { telemetry, scrape } = setup();
    const before = await scrape();
    assert.equal(valueOf(before, 'efd_retries_total', { tier: 'cpu' }), 0);
    assert.equal(valueOf(before, 'efd_rejected_requests_total', { tier: 'gpu', reason: 'queue_full' }), 0);
    assert.equal(valueOf(before, 'efd_overflow_total', { tier: 'gpu', reason: 'queue_wait' }), 0);
    assert.equal(valueOf(before, 'efd_backend_cold_starts_total', { tier: 'cpu' }), 0);
    assert.equal(valueOf(before, 'efd_ejections_total', { tier: 'cpu', endpoint: 'cpu-1' }), undefined);

    telemetry.retry('cpu');
    telemetry.retry('cpu');
    telemetry.rejected('gpu', 'queue_full');
    telemetry.overflow('gpu', 'queue_wait');
    telemetry.ejection('cpu', 'cpu-1');
    const after = await scrape();
    assert.equal(valueOf(after, 'efd_retries_total', { tier: 'cpu' }), 2);
    assert.equal(valueOf(after, 'efd_retries_total', { tier: 'gpu' }), 0);
    assert.equal(valueOf(after, 'efd_rejected_requests_total', { tier: 'gpu', reason: 'queue_full' }), 1);
    assert.equal(valueOf(after, 'efd_overflow_total', { tier: 'gpu', reason: 'queue_wait' }), 1);
    assert.equal(valueOf(after, 'efd_ejections_total', { tier: 'cpu', endpoint: 'cpu-1' }), 1);
  });

  test('requests count by route, method, status and tier; durations are in seconds', async () => {
    const { telemetry, scrape } = setup();
    telemetry.requestDone({ route: '/embed', method: 'POST', status: 200, tier: 'cpu', durationMs: 40, items: 3 });
    telemetry.requestDone({ route: '/embed', method: 'POST', status: 200, tier: 'cpu', durationMs: 60, items: 1 });
    telemetry.requestDone({ route: '/embed', method: 'POST', status: 422, tier: undefined, durationMs: 1, items: 0 });
    // An arbitrary method token must not become a new label value.
    telemetry.requestDone({ route: '/embed', method: 'BREW', status: 405, tier: undefined, durationMs: 1, items: 0 });
    const exposition = await scrape();
    assert.equal(valueOf(exposition, 'efd_requests_total', { route: '/embed', method: 'POST', status: '200', tier: 'cpu' }), 2);
    assert.equal(valueOf(exposition, 'efd_requests_total', { route: '/embed', method: 'POST', status: '422', tier: 'none' }), 1);
    assert.equal(valueOf(exposition, 'efd_requests_total', { route: '/embed', method: 'OTHER', status: '405', tier: 'none' }), 1);
    assert.equal(valueOf(exposition, 'efd_request_duration_seconds_count', { route: '/embed', tier: 'cpu' }), 2);
    assert.equal(valueOf(exposition, 'efd_request_duration_seconds_sum', { route: '/embed', tier: 'cpu' }), 0.1);
    assert.equal(valueOf(exposition, 'efd_request_duration_seconds_bucket', { route: '/embed', tier: 'cpu', le: '0.05' }), 1);
  });

  test('batches, queue waits and upstream calls fill their histograms', async () => {
    const { telemetry, scrape } = setup();
    const before = await scrape();
    assert.equal(valueOf(before, 'efd_batch_size_count', { tier: 'cpu' }), 0);
    assert.equal(valueOf(before, 'efd_queue_wait_seconds_count', { tier: 'cpu' }), 0);

    telemetry.batchDone({ tier: 'cpu', endpoint: 'cpu-0', texts: 3, durationMs: 20, ok: true });
    telemetry.batchDone({ tier: 'cpu', endpoint: 'cpu-0', texts: 32, durationMs: 900, ok: false });
    telemetry.queueWait('cpu', 2);
    const after = await scrape();
    assert.equal(valueOf(after, 'efd_batch_size_count', { tier: 'cpu' }), 2);
    assert.equal(valueOf(after, 'efd_batch_size_bucket', { tier: 'cpu', le: '4' }), 1);
    assert.equal(valueOf(after, 'efd_batch_size_bucket', { tier: 'cpu', le: '32' }), 2);
    assert.equal(valueOf(after, 'efd_batch_size_bucket', { tier: 'cpu', le: '4096' }), 2);
    assert.equal(valueOf(after, 'efd_upstream_duration_seconds_count', { tier: 'cpu', endpoint: 'cpu-0', outcome: 'ok' }), 1);
    assert.equal(valueOf(after, 'efd_upstream_duration_seconds_sum', { tier: 'cpu', endpoint: 'cpu-0', outcome: 'error' }), 0.9);
    assert.equal(valueOf(after, 'efd_queue_wait_seconds_count', { tier: 'cpu' }), 1);
    assert.equal(valueOf(after, 'efd_queue_wait_seconds_sum', { tier: 'cpu' }), 0.002);
  });

  test('backend and front-door cold starts are counted and timed in seconds', async () => {
    const { telemetry, scrape } = setup();
    telemetry.backendColdStart('cpu', 'cpu-1', 45_000);
    telemetry.frontDoorColdStart({ initMs: 250, firstRequestMs: 1_500, initializationType: undefined });
    telemetry.frontDoorColdStart({ initMs: 100, firstRequestMs: 300, initializationType: 'snap-start' });
    const exposition = await scrape();
    assert.equal(valueOf(exposition, 'efd_backend_cold_starts_total', { tier: 'cpu' }), 1);
    assert.equal(valueOf(exposition, 'efd_backend_cold_start_duration_seconds_sum', { tier: 'cpu' }), 45);
    assert.equal(valueOf(exposition, 'efd_backend_cold_start_duration_seconds_bucket', { tier: 'cpu', le: '30' }), 0);
    assert.equal(valueOf(exposition, 'efd_backend_cold_start_duration_seconds_bucket', { tier: 'cpu', le: '60' }), 1);
    assert.equal(valueOf(exposition, 'efd_front_door_cold_starts_total', { initialization_type: 'unknown' }), 1);
    assert.equal(valueOf(exposition, 'efd_front_door_init_seconds', { initialization_type: 'unknown' }), 0.25);
    assert.equal(valueOf(exposition, 'efd_front_door_first_request_seconds', { initialization_type: 'unknown' }), 1.5);
    assert.equal(valueOf(exposition, 'efd_front_door_cold_starts_total', { initialization_type: 'snap-start' }), 1);
  });

  test('gauges follow the snapshot; a vanished endpoint leaves no series behind', async () => {
    const { setSnapshot, scrape } = setup();
    const first = await scrape();
    assert.equal(valueOf(first, 'efd_queue_size', { tier: 'cpu' }), 7);
    assert.equal(valueOf(first, 'efd_queue_size', { tier: 'gpu' }), 0);
    assert.equal(valueOf(first, 'efd_batches_in_flight', { tier: 'cpu', endpoint: 'cpu-0' }), 2);
    assert.equal(valueOf(first, 'efd_batches_in_flight', { tier: 'cpu', endpoint: 'cpu-1' }), 1);
    for (const state of ['cold', 'warming', 'warm', 'ejected', 'unhealthy']) {
      assert.notEqual(valueOf(first, 'efd_endpoints', { tier: 'gpu', state }), undefined, `gpu ${state} series`);
    }
    assert.equal(valueOf(first, 'efd_endpoints', { tier: 'cpu', state: 'warm' }), 1);
    assert.equal(valueOf(first, 'efd_endpoints', { tier: 'cpu', state: 'cold' }), 1);
    assert.equal(valueOf(first, 'efd_endpoints', { tier: 'cpu', state: 'ejected' }), 0);
    assert.equal(valueOf(first, 'efd_overflow_active'), 0);
    assert.equal(valueOf(first, 'efd_backend_cold_start_recent_p50_seconds', { tier: 'cpu' }), 40);
    assert.equal(valueOf(first, 'efd_backend_cold_start_recent_p95_seconds', { tier: 'cpu' }), 55);
    assert.equal(valueOf(first, 'efd_backend_cold_start_recent_p50_seconds', { tier: 'gpu' }), undefined);

    setSnapshot({
      tiers: {
        cpu: tierSnapshot({ queuedTexts: 1, endpoints: [endpoint('cpu-0', 'ejected', 0)] }),
        gpu: tierSnapshot({ queuedTexts: 4, endpoints: [endpoint('gpu-0', 'warm', 1)], coldStarts: { count: 1, p50Ms: 30_000, p95Ms: 30_000 } }),
      },
      overflowActive: true,
    });
    const second = await scrape();
    assert.equal(valueOf(second, 'efd_queue_size', { tier: 'cpu' }), 1);
    assert.equal(valueOf(second, 'efd_queue_size', { tier: 'gpu' }), 4);
    assert.equal(valueOf(second, 'efd_batches_in_flight', { tier: 'cpu', endpoint: 'cpu-0' }), 0);
    assert.equal(valueOf(second, 'efd_batches_in_flight', { tier: 'cpu', endpoint: 'cpu-1' }), undefined);
    assert.equal(valueOf(second, 'efd_batches_in_flight', { tier: 'gpu', endpoint: 'gpu-0' }), 1);
    assert.equal(valueOf(second, 'efd_endpoints', { tier: 'cpu', state: 'ejected' }), 1);
    assert.equal(valueOf(second, 'efd_endpoints', { tier: 'cpu', state: 'cold' }), 0);
    assert.equal(valueOf(second, 'efd_overflow_active'), 1);
    assert.equal(valueOf(second, 'efd_backend_cold_start_recent_p50_seconds', { tier: 'cpu' }), undefined);
    assert.equal(valueOf(second, 'efd_backend_cold_start_recent_p95_seconds', { tier: 'gpu' }), 30);
  });

  test('the scaling signal: backlog, serving endpoints, backlog per endpoint (never over 0) and the wait when known', async () => {
    const { setSnapshot, scrape } = setup();
    setSnapshot({
      tiers: {
        cpu: tierSnapshot({ backlogTexts: 30, servingEndpoints: 4, estimatedWaitSeconds: 1.5 }),
        gpu: tierSnapshot({ backlogTexts: 6, servingEndpoints: 0, estimatedWaitSeconds: undefined }),
      },
      overflowActive: false,
    });
    const exposition = await scrape();
    assert.equal(valueOf(exposition, 'efd_backlog_texts', { tier: 'cpu' }), 30);
    assert.equal(valueOf(exposition, 'efd_serving_endpoints', { tier: 'cpu' }), 4);
    assert.equal(valueOf(exposition, 'efd_backlog_per_endpoint', { tier: 'cpu' }), 7.5);
    assert.equal(valueOf(exposition, 'efd_estimated_wait_seconds', { tier: 'cpu' }), 1.5);
    assert.equal(valueOf(exposition, 'efd_serving_endpoints', { tier: 'gpu' }), 0);
    assert.equal(valueOf(exposition, 'efd_backlog_per_endpoint', { tier: 'gpu' }), 6, 'divided by max(1, 0)');
    assert.equal(valueOf(exposition, 'efd_estimated_wait_seconds', { tier: 'gpu' }), undefined, 'unknown: no series');
  });

  test('promtool check metrics accepts the text without lint complaints', async (t) => {
    const { telemetry } = setup();
    // Every labelled series present, so the lint sees each kind of line.
    telemetry.requestDone({ route: '/predictions/:model', method: 'POST', status: 200, tier: 'gpu', durationMs: 12, items: 2 });
    telemetry.batchDone({ tier: 'gpu', endpoint: 'gpu-0', texts: 2, durationMs: 10, ok: true });
    telemetry.ejection('cpu', 'cpu-1');
    telemetry.backendColdStart('gpu', 'gpu-0', 50_000);
    telemetry.frontDoorColdStart({ initMs: 80, firstRequestMs: 90, initializationType: 'on-demand' });
    const text = await telemetry.render();

    await assertPromtoolAccepts(t, text);
  });
});
