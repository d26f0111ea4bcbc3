/**
 * The Prometheus sink for a long-lived server: counts telemetry events and renders them, with the
 * dispatch snapshot's gauges and Node's default process metrics, for `GET /metrics`. Names follow
 * Hugging Face TEI's (`te_request_count`, `te_queue_size`, `te_batch_next_size`) with the `efd_`
 * prefix and Prometheus conventions: `_total` counters, durations in seconds.
 */
import { collectDefaultMetrics, Counter, exponentialBuckets, Gauge, Histogram, Registry } from 'prom-client';
import { Tier } from '../core/tier';
import type { DispatchSnapshot } from '../core/dispatch-snapshot';
import { CacheResult, type CacheSnapshot } from '../core/cache-events';
import { registerCacheMetrics } from './prometheus-cache-metrics';
import { registerControlMetrics } from './prometheus-control-metrics';
import { createCounterSeries, createHistogramSeries } from './prometheus-series';
import { registerSnapshotGauges } from './prometheus-snapshot-gauges';
import type { Telemetry } from './telemetry';
import { OverflowReason, RejectReason } from '../core/dispatch-events';

const PREFIX = 'efd_';
const MS_PER_SECOND = 1_000;
const TIERS = Object.values(Tier);

/** Client requests, queue waits and upstream calls: from 1 ms (the coalescing window is ~2 ms) to 30 s. */
const LATENCY_BUCKETS_S = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];
/** Texts per upstream call: 1, 2, 4, ... 4096, the largest CPU_BATCH_SIZE / GPU_BATCH_SIZE config accepts. */
const BATCH_SIZE_BUCKET_COUNT = 13;
const BATCH_SIZE_BUCKETS = exponentialBuckets(1, 2, BATCH_SIZE_BUCKET_COUNT);
/** Backend cold starts: DJL takes 30-60 s to load a model; anything past 10 min is stuck. */
const COLD_START_BUCKETS_S = [1, 5, 10, 20, 30, 45, 60, 90, 120, 180, 300, 600];

/** The tier label of a request no tier served (refused, invalid, status routes). */
const NO_TIER = 'none';
/** The tier label of a request the embedding cache answered whole. */
const CACHE_TIER = 'cache';
/** Reported when the runtime does not say how it initialised (anything but Lambda). */
const UNKNOWN_INITIALIZATION = 'unknown';
/** Methods a client can send are unbounded tokens; anything else is folded into one label value. */
const KNOWN_METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS']);
const OTHER_METHOD = 'OTHER';
/**
 * Default metrics prom-client names with `_total` although they are gauges, which Prometheus
 * reserves for counters (`promtool check metrics` flags them). Their per-type siblings
 * (`nodejs_active_handles{type}`...) carry the same numbers, so nothing is lost by dropping them.
 */
const MISNAMED_DEFAULT_METRICS = ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total'];

export interface PrometheusTelemetryOptions {
  /** Read at every scrape for the gauges (queue size, in-flight batches, endpoint warmth...). */
  readonly snapshot: () => DispatchSnapshot;
  /** The embedding cache's state, read at every scrape; absent or undefined without a cache. */
  readonly cache?: () => CacheSnapshot | undefined;
}

export interface PrometheusTelemetry extends Telemetry {
  /** The exposition format's content type, for the `/metrics` response. */
  readonly contentType: string;
  /** All series in the Prometheus text format. */
  render(): Promise<string>;
}

const seconds = (ms: number): number => ms / MS_PER_SECOND;

/**
 * Builds a sink with its own registry (never prom-client's global one, so several apps can share
 * a process, as they do in tests). Counters with a bounded label set start at 0 so rates and
 * alerts work before the first event.
 */
export function createPrometheusTelemetry(options: PrometheusTelemetryOptions): PrometheusTelemetry {
  const register = new Registry();
  const registers = [register];
  collectDefaultMetrics({ register, prefix: PREFIX });
  for (const name of MISNAMED_DEFAULT_METRICS) register.removeSingleMetric(`${PREFIX}${name}`);
  // One snapshot per scrape, shared by every gauge (and consistent across them).
  let scrapeSnapshot: DispatchSnapshot | undefined;
  registerSnapshotGauges({ register, prefix: PREFIX, snapshot: () => (scrapeSnapshot ??= options.snapshot()) });
  const cacheEvents = registerCacheMetrics({ register, prefix: PREFIX, snapshot: () => options.cache?.() });
  const controlEvents = registerControlMetrics({ register, prefix: PREFIX });

  const requests = new Counter({
    name: `${PREFIX}requests_total`,
    help: 'Finished client requests by route pattern, method, status and the tier that served them (none if no tier did).',
    labelNames: ['route', 'method', 'status', 'tier'] as const,
    registers,
  });
  const requestDuration = new Histogram({
    name: `${PREFIX}request_duration_seconds`,
    help: 'Client request duration, from arrival to response.',
    labelNames: ['route', 'tier'] as const,
    buckets: LATENCY_BUCKETS_S,
    registers,
  });
  const queueWait = new Histogram({
    name: `${PREFIX}queue_wait_seconds`,
    help: "Time from a request's admission to its first batch leaving the queue.",
    labelNames: ['tier'] as const,
    buckets: LATENCY_BUCKETS_S,
    registers,
  });
  const batchSize = new Histogram({
    name: `${PREFIX}batch_size`,
    help: 'Distinct texts per upstream call.',
    labelNames: ['tier'] as const,
    buckets: BATCH_SIZE_BUCKETS,
    registers,
  });
  const upstreamDuration = new Histogram({
    name: `${PREFIX}upstream_duration_seconds`,
    help: 'Upstream call duration by endpoint and outcome (ok or error).',
    labelNames: ['tier', 'endpoint', 'outcome'] as const,
    buckets: LATENCY_BUCKETS_S,
    registers,
  });
  const retries = new Counter({
    name: `${PREFIX}retries_total`,
    help: 'Failed batches whose texts were queued again for another endpoint.',
    labelNames: ['tier'] as const,
    registers,
  });
  const ejections = new Counter({
    name: `${PREFIX}ejections_total`,
    help: 'Endpoints taken out of rotation after failures.',
    labelNames: ['tier', 'endpoint'] as const,
    registers,
  });
  const overflows = new Counter({
    name: `${PREFIX}overflow_total`,
    help: 'Requests sent away from the primary CPU tier, or back to it, by destination tier and reason.',
    labelNames: ['tier', 'reason'] as const,
    registers,
  });
  const rejected = new Counter({
    name: `${PREFIX}rejected_requests_total`,
    help: 'Requests a tier refused (429 or 503) before any upstream call, by reason.',
    labelNames: ['tier', 'reason'] as const,
    registers,
  });
  const backendColdStarts = new Counter({
    name: `${PREFIX}backend_cold_starts_total`,
    help: 'Endpoints that answered for the first time after being cold.',
    labelNames: ['tier'] as const,
    registers,
  });
  const backendColdStartDuration = new Histogram({
    name: `${PREFIX}backend_cold_start_duration_seconds`,
    help: 'From an endpoint first seen cold to its first good answer.',
    labelNames: ['tier'] as const,
    buckets: COLD_START_BUCKETS_S,
    registers,
  });
  const frontDoorColdStarts = new Counter({
    name: `${PREFIX}front_door_cold_starts_total`,
    help: "The front door's own cold starts (once per process).",
    labelNames: ['initialization_type'] as const,
    registers,
  });
  const frontDoorInit = new Gauge({
    name: `${PREFIX}front_door_init_seconds`,
    help: 'Process start to the end of initialisation, at the last cold start.',
    labelNames: ['initialization_type'] as const,
    registers,
  });
  const frontDoorFirstRequest = new Gauge({
    name: `${PREFIX}front_door_first_request_seconds`,
    help: 'Process start to the first request, at the last cold start.',
    labelNames: ['initialization_type'] as const,
    registers,
  });

  for (const tier of TIERS) {
    retries.inc({ tier }, 0);
    backendColdStarts.inc({ tier }, 0);
    for (const reason of Object.values(RejectReason)) rejected.inc({ tier, reason }, 0);
    for (const reason of Object.values(OverflowReason)) overflows.inc({ tier, reason }, 0);
    queueWait.zero({ tier });
    batchSize.zero({ tier });
    backendColdStartDuration.zero({ tier });
  }

  // The series moved on every request and batch (or every refusal under overload) go through
  // cached per-series handles; the rare events keep prom-client's label-object calls.
  const requestSeries = createCounterSeries(requests, ['route', 'method', 'status', 'tier']);
  const requestDurationSeries = createHistogramSeries(requestDuration, ['route', 'tier'], LATENCY_BUCKETS_S);
  const queueWaitSeries = createHistogramSeries(queueWait, ['tier'], LATENCY_BUCKETS_S);
  const batchSizeSeries = createHistogramSeries(batchSize, ['tier'], BATCH_SIZE_BUCKETS);
  const upstreamDurationSeries = createHistogramSeries(upstreamDuration, ['tier', 'endpoint', 'outcome'], LATENCY_BUCKETS_S);
  const overflowSeries = createCounterSeries(overflows, ['tier', 'reason']);
  const rejectedSeries = createCounterSeries(rejected, ['tier', 'reason']);

  return {
    ...cacheEvents,
    ...controlEvents,
    contentType: register.contentType,
    render: async () => {
      scrapeSnapshot = undefined;
      try {
        return await register.metrics();
      } finally {
        scrapeSnapshot = undefined;
      }
    },
    batchDone({ tier, endpoint, texts, durationMs, ok }) {
      batchSizeSeries.observe([tier], texts);
      upstreamDurationSeries.observe([tier, endpoint, ok ? 'ok' : 'error'], seconds(durationMs));
    },
    queueWait(tier, waitMs) {
      queueWaitSeries.observe([tier], seconds(waitMs));
    },
    retry(tier) {
      retries.inc({ tier });
    },
    ejection(tier, endpoint) {
      ejections.inc({ tier, endpoint });
    },
    rejected(tier, reason) {
      rejectedSeries.inc([tier, reason]);
    },
    overflow(to, reason) {
      overflowSeries.inc([to, reason]);
    },
    backendColdStart(tier, _endpoint, durationMs) {
      backendColdStarts.inc({ tier });
      backendColdStartDuration.observe({ tier }, seconds(durationMs));
    },
    requestDone({ route, method, status, tier, durationMs, cache }) {
      const served = tier ?? (cache === CacheResult.hit ? CACHE_TIER : NO_TIER);
      const upper = method.toUpperCase();
      requestSeries.inc([route, KNOWN_METHODS.has(upper) ? upper : OTHER_METHOD, String(status), served]);
      requestDurationSeries.observe([route, served], seconds(durationMs));
    },
    frontDoorColdStart({ initMs, firstRequestMs, initializationType }) {
      const labels = { initialization_type: initializationType ?? UNKNOWN_INITIALIZATION };
      frontDoorColdStarts.inc(labels);
      frontDoorInit.set(labels, seconds(initMs));
      frontDoorFirstRequest.set(labels, seconds(firstRequestMs));
    },
  };
}
