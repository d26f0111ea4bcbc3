/**
 * The Lambda telemetry sink: CloudWatch Embedded Metric Format (EMF) lines on stdout, which
 * CloudWatch Logs turns into metrics with no API call and no SDK on the cold-start path.
 * Spec: https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Embedded_Metric_Format_Specification.html
 *
 * One Lambda execution environment serves one request at a time, so the sink sums up the dispatch
 * events of the current invocation and writes exactly one line when `requestDone` arrives, then
 * starts over. The environment's cold start gets its own line, once (as Powertools does), so the
 * ColdStart metric carries the function name without multiplying every request metric by it.
 *
 * Dimensions stay few because each (metric, dimension set, values) is a billed custom metric:
 * every request metric by Service, and RequestLatency alone also by Service and Route (a route
 * pattern, bounded by the app). Status, tier and reasons are plain properties: searchable in Logs
 * Insights, free. Request ids, keys and texts never reach this sink (see telemetry.ts). The scaling
 * signal gets one more line per tier the invocation used, by Tier alone (docs/operate.md).
 */
import type { Tier } from '../core/tier';
import { namespaceProblem } from '../config/runtime-config';
import type { FrontDoorColdStart, RequestRecord, Telemetry } from './telemetry';
import type { BatchRecord, OverflowReason, RejectReason } from '../core/dispatch-events';
import type { CacheErrorKind, CacheLookupRecord } from '../core/cache-events';
import type { DispatchSnapshot } from '../core/dispatch-snapshot';
import { noControlEvents } from '../core/control-events';
import { BacklogSampler, type TierBacklogSample } from './emf-backlog';

/** The EMF units this sink uses (a subset of CloudWatch's StandardUnit list). */
export const EmfUnit = { milliseconds: 'Milliseconds', seconds: 'Seconds', count: 'Count' } as const;
export type EmfUnit = (typeof EmfUnit)[keyof typeof EmfUnit];

/** Metric names, as they appear in CloudWatch. */
export const EmfMetric = {
  coldStart: 'ColdStart',
  initDuration: 'InitDuration',
  requestLatency: 'RequestLatency',
  upstreamCalls: 'UpstreamCalls',
  upstreamLatency: 'UpstreamLatency',
  queueWait: 'QueueWait',
  overflow: 'Overflow',
  retries: 'Retries',
  rejected: 'Rejected',
  backendColdStarts: 'BackendColdStarts',
  backendColdStartDuration: 'BackendColdStartDuration',
  cacheHits: 'CacheHits',
  cacheMisses: 'CacheMisses',
  backlog: 'Backlog',
  servingEndpoints: 'ServingEndpoints',
  estimatedWait: 'EstimatedWait',
} as const;
export type EmfMetric = (typeof EmfMetric)[keyof typeof EmfMetric];

/** Dimension names. PascalCase like the metrics; Powertools spells its own `service` and `function_name`. */
export const EmfDimension = { service: 'Service', route: 'Route', functionName: 'FunctionName', tier: 'Tier' } as const;

export interface EmfTelemetryOptions {
  /** CloudWatch namespace (config.runtime.metricsNamespace). */
  readonly namespace: string;
  /** The Service dimension's value. */
  readonly service: string;
  /** AWS_LAMBDA_FUNCTION_NAME: the cold-start line's second dimension when set. */
  readonly functionName?: string;
  /**
   * Writes one line. On Lambda: `(line) => process.stdout.write(`${line}\n`)`, not console.log,
   * whose Lambda version prefixes a timestamp and the request id in the text log format, so the
   * line would no longer be JSON (and would carry a request id).
   */
  readonly write: (line: string) => void;
  /** Epoch ms, for each line's Timestamp. */
  readonly now: () => number;
  /**
   * The dispatch engine's snapshot, for the scaling signal's line (Backlog, ServingEndpoints,
   * EstimatedWait by Tier; see emf-backlog.ts). Without it no such line is written.
   */
  readonly snapshot?: () => DispatchSnapshot;
}

// EMF limits (spec): dimension keys per set, metrics per directive. The sets below are fixed and
// far under both; the constants document why there is no splitting logic.
const MAX_DIMENSIONS_PER_SET = 30;
const MAX_METRICS_PER_DIRECTIVE = 100;
/** CloudWatch's limit on a dimension value's length. */
const MAX_DIMENSION_VALUE_LENGTH = 1024;
/** Long enough for any method or tier; a property is never a place for text. */
const MAX_PROPERTY_LENGTH = 64;
/** Printable ASCII: CloudWatch refuses other characters in dimension values. */
const NOT_PRINTABLE_ASCII = /[^\x20-\x7e]/g;
/** Stands in for an empty route (a request no route matched). */
const UNMATCHED_ROUTE = 'unmatched';
/** Provisioned environments are initialised before traffic: no request waits for their init. */
const PROVISIONED_CONCURRENCY = 'provisioned-concurrency';

interface MetricValue {
  readonly name: EmfMetric;
  readonly unit: EmfUnit;
  /** Undefined: not observed in this invocation, so neither declared nor written. */
  readonly value: number | undefined;
}

interface Directive {
  readonly dimensions: readonly (readonly string[])[];
  /** Which of the line's metrics this directive publishes; undefined: all of them. */
  readonly only?: readonly EmfMetric[];
}

interface EmfDocument {
  readonly timestamp: number;
  readonly directives: readonly Directive[];
  readonly dimensions: Readonly<Record<string, string>>;
  readonly metrics: readonly MetricValue[];
  readonly properties: Readonly<Record<string, string | number | undefined>>;
}

const isFiniteNumber = (value: number | undefined): value is number => value !== undefined && Number.isFinite(value);
/** A duration worth recording: finite and not negative (a negative one is a clock bug, not data). */
const isDuration = (value: number): boolean => Number.isFinite(value) && value >= 0;
const cleanText = (value: string, maxLength: number): string => value.replace(NOT_PRINTABLE_ASCII, '_').slice(0, maxLength);
const maxOf = (current: number | undefined, value: number): number => (current === undefined ? value : Math.max(current, value));

/**
 * Renders one EMF document as a JSON line, or undefined when no metric has a finite value.
 * Metrics without a finite value are left out of both the values and the declarations, and
 * non-finite properties are dropped, so NaN or Infinity (which JSON would turn into null) never
 * reach CloudWatch.
 */
function renderEmf(namespace: string, doc: EmfDocument): string | undefined {
  const metrics = doc.metrics.filter((metric) => isFiniteNumber(metric.value));
  if (metrics.length === 0) return undefined;
  const directives = doc.directives
    .map((directive) => {
      const published = metrics.filter((metric) => directive.only?.includes(metric.name) ?? true);
      return {
        Namespace: namespace,
        Dimensions: directive.dimensions.map((set) => set.slice(0, MAX_DIMENSIONS_PER_SET)),
        Metrics: published.slice(0, MAX_METRICS_PER_DIRECTIVE).map((metric) => ({ Name: metric.name, Unit: metric.unit })),
      };
    })
    .filter((directive) => directive.Metrics.length > 0);
  const properties: Record<string, string | number> = {};
  for (const [key, value] of Object.entries(doc.properties)) {
    if (typeof value === 'string' || (typeof value === 'number' && Number.isFinite(value))) properties[key] = value;
  }
  const values = Object.fromEntries(metrics.map((metric) => [metric.name, metric.value]));
  // Properties first, so a property can never overwrite a dimension or a metric value.
  return JSON.stringify({
    _aws: { Timestamp: doc.timestamp, CloudWatchMetrics: directives },
    ...properties,
    ...doc.dimensions,
    ...values,
  });
}

/** What one invocation's dispatch events add up to. */
interface InvocationFigures {
  upstreamCalls: number;
  upstreamFailures: number;
  upstreamMaxMs: number | undefined;
  upstreamSumMs: number;
  queueWaitMs: number | undefined;
  overflows: number;
  overflowTier: Tier | undefined;
  overflowReason: OverflowReason | undefined;
  retries: number;
  rejected: number;
  rejectReason: RejectReason | undefined;
  ejections: number;
  backendColdStarts: number;
  backendColdStartMaxMs: number | undefined;
  /** Texts the cache answered and texts it did not; undefined without a cache lookup. */
  cacheHits: number | undefined;
  cacheMisses: number | undefined;
  cacheErrors: number;
  cacheErrorKind: CacheErrorKind | undefined;
}

const emptyFigures = (): InvocationFigures => ({
  upstreamCalls: 0, upstreamFailures: 0, upstreamMaxMs: undefined, upstreamSumMs: 0, queueWaitMs: undefined,
  overflows: 0, overflowTier: undefined, overflowReason: undefined, retries: 0, rejected: 0, rejectReason: undefined,
  ejections: 0, backendColdStarts: 0, backendColdStartMaxMs: undefined,
  cacheHits: undefined, cacheMisses: undefined, cacheErrors: 0, cacheErrorKind: undefined,
});

/**
 * A Telemetry sink for Lambda that writes CloudWatch EMF lines: one per invocation at
 * `requestDone`, plus one cold-start line per execution environment. The cold-start line is
 * written at the first `requestDone` (before that request's line) when `frontDoorColdStart` came
 * first, or at once when it comes later; a second `frontDoorColdStart` is ignored.
 *
 * Throws at construction on a namespace CloudWatch would refuse.
 */
export function createEmfTelemetry(options: EmfTelemetryOptions): Telemetry {
  const problem = namespaceProblem(options.namespace);
  if (problem !== undefined) throw new Error(`EMF namespace ${JSON.stringify(options.namespace)}: ${problem}`);
  const service = cleanText(options.service, MAX_DIMENSION_VALUE_LENGTH) || 'unknown';
  const functionName = options.functionName === undefined || options.functionName === ''
    ? undefined
    : cleanText(options.functionName, MAX_DIMENSION_VALUE_LENGTH);
  const timestamp = (): number => {
    const now = options.now();
    // Timestamp is required; 0 makes CloudWatch drop the metrics but keeps the log line readable.
    return Number.isFinite(now) ? Math.round(now) : 0;
  };
  const emit = (doc: EmfDocument): void => {
    const line = renderEmf(options.namespace, doc);
    if (line !== undefined) options.write(line);
  };

  let figures = emptyFigures();
  const backlog = new BacklogSampler(options.snapshot);
  let firstRequestDone = false;
  let pendingColdStart: FrontDoorColdStart | undefined;
  let coldStartSeen = false;

  const writeColdStart = (coldStart: FrontDoorColdStart): void => {
    const dimensions: Record<string, string> = { [EmfDimension.service]: service };
    if (functionName !== undefined) dimensions[EmfDimension.functionName] = functionName;
    emit({
      timestamp: timestamp(),
      directives: [{ dimensions: [Object.keys(dimensions)] }],
      dimensions,
      metrics: [
        // Sum of ColdStart counts the cold starts a request waited for; SampleCount counts environments.
        { name: EmfMetric.coldStart, unit: EmfUnit.count, value: coldStart.initializationType === PROVISIONED_CONCURRENCY ? 0 : 1 },
        { name: EmfMetric.initDuration, unit: EmfUnit.milliseconds, value: isDuration(coldStart.initMs) ? coldStart.initMs : undefined },
      ],
      properties: {
        InitializationType: coldStart.initializationType === undefined ? undefined : cleanText(coldStart.initializationType, MAX_PROPERTY_LENGTH),
        FirstRequestMs: coldStart.firstRequestMs,
      },
    });
  };

  const writeRequest = (record: RequestRecord): void => {
    const f = figures;
    const route = cleanText(record.route, MAX_DIMENSION_VALUE_LENGTH).trim() || UNMATCHED_ROUTE;
    emit({
      timestamp: timestamp(),
      directives: [
        { dimensions: [[EmfDimension.service]] },
        { dimensions: [[EmfDimension.service, EmfDimension.route]], only: [EmfMetric.requestLatency] },
      ],
      dimensions: { [EmfDimension.service]: service, [EmfDimension.route]: route },
      metrics: [
        { name: EmfMetric.requestLatency, unit: EmfUnit.milliseconds, value: isDuration(record.durationMs) ? record.durationMs : undefined },
        { name: EmfMetric.upstreamCalls, unit: EmfUnit.count, value: f.upstreamCalls },
        { name: EmfMetric.upstreamLatency, unit: EmfUnit.milliseconds, value: f.upstreamMaxMs },
        { name: EmfMetric.queueWait, unit: EmfUnit.milliseconds, value: f.queueWaitMs },
        { name: EmfMetric.overflow, unit: EmfUnit.count, value: f.overflows },
        { name: EmfMetric.retries, unit: EmfUnit.count, value: f.retries },
        { name: EmfMetric.rejected, unit: EmfUnit.count, value: f.rejected },
        { name: EmfMetric.backendColdStarts, unit: EmfUnit.count, value: f.backendColdStarts },
        { name: EmfMetric.backendColdStartDuration, unit: EmfUnit.milliseconds, value: f.backendColdStartMaxMs },
        { name: EmfMetric.cacheHits, unit: EmfUnit.count, value: f.cacheHits },
        { name: EmfMetric.cacheMisses, unit: EmfUnit.count, value: f.cacheMisses },
      ],
      properties: {
        Method: cleanText(record.method, MAX_PROPERTY_LENGTH),
        Status: record.status,
        Tier: record.tier,
        Items: record.items,
        UpstreamLatencySumMs: f.upstreamCalls > 0 ? f.upstreamSumMs : undefined,
        UpstreamFailures: f.upstreamFailures,
        OverflowTier: f.overflowTier,
        OverflowReason: f.overflowReason,
        RejectReason: f.rejectReason,
        Ejections: f.ejections,
        Cache: record.cache,
        CacheErrors: f.cacheErrors > 0 ? f.cacheErrors : undefined,
        CacheErrorKind: f.cacheErrorKind,
      },
    });
  };

  // Its own line per tier: a line has one value per dimension, and Tier is this line's dimension
  // (the request line's Tier is a free property). Only tiers that saw work in the invocation.
  const writeBacklog = (sample: TierBacklogSample): void => {
    emit({
      timestamp: timestamp(),
      directives: [{ dimensions: [[EmfDimension.tier]] }],
      dimensions: { [EmfDimension.tier]: sample.tier },
      metrics: [
        { name: EmfMetric.backlog, unit: EmfUnit.count, value: sample.backlogTexts },
        { name: EmfMetric.servingEndpoints, unit: EmfUnit.count, value: sample.servingEndpoints },
        { name: EmfMetric.estimatedWait, unit: EmfUnit.seconds, value: sample.estimatedWaitSeconds },
      ],
      properties: { [EmfDimension.service]: service },
    });
  };

  return {
    // Discovery and warm-up outcomes are in the logs on Lambda (discovery_failed, the warm-up
    // function's lines); one metric per environment would say less than they do.
    ...noControlEvents,
    batchDone(record: BatchRecord): void {
      figures.upstreamCalls += 1;
      if (!record.ok) figures.upstreamFailures += 1;
      if (isDuration(record.durationMs)) {
        figures.upstreamMaxMs = maxOf(figures.upstreamMaxMs, record.durationMs);
        figures.upstreamSumMs += record.durationMs;
      }
    },
    queueWait(tier: Tier, waitMs: number): void {
      backlog.sample(tier);
      // Summed: a request that falls back waits in one tier's queue, then in the other's.
      if (isDuration(waitMs)) figures.queueWaitMs = (figures.queueWaitMs ?? 0) + waitMs;
    },
    retry(): void {
      figures.retries += 1;
    },
    ejection(): void {
      figures.ejections += 1;
    },
    rejected(tier: Tier, reason: RejectReason): void {
      backlog.sample(tier);
      figures.rejected += 1;
      figures.rejectReason = reason;
    },
    overflow(to: Tier, reason: OverflowReason): void {
      figures.overflows += 1;
      figures.overflowTier = to;
      figures.overflowReason = reason;
    },
    backendColdStart(_tier: Tier, _endpoint: string, durationMs: number): void {
      figures.backendColdStarts += 1;
      if (isDuration(durationMs)) figures.backendColdStartMaxMs = maxOf(figures.backendColdStartMaxMs, durationMs);
    },
    cacheLookup(record: CacheLookupRecord): void {
      const answered = record.memoryHits + record.sharedHits;
      figures.cacheHits = (figures.cacheHits ?? 0) + answered;
      figures.cacheMisses = (figures.cacheMisses ?? 0) + record.texts - answered;
    },
    cacheError(kind: CacheErrorKind): void {
      figures.cacheErrors += 1;
      figures.cacheErrorKind = kind;
    },
    requestDone(record: RequestRecord): void {
      try {
        if (pendingColdStart !== undefined) {
          const coldStart = pendingColdStart;
          pendingColdStart = undefined;
          writeColdStart(coldStart);
        }
        writeRequest(record);
        for (const sample of backlog.take()) writeBacklog(sample);
      } finally {
        backlog.take();
        // Even when a write throws, the next invocation starts from zero.
        figures = emptyFigures();
        firstRequestDone = true;
      }
    },
    frontDoorColdStart(coldStart: FrontDoorColdStart): void {
      if (coldStartSeen) return;
      coldStartSeen = true;
      if (firstRequestDone) writeColdStart(coldStart);
      else pendingColdStart = coldStart;
    },
  };
}
