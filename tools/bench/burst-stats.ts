/**
 * The burst benchmark's arithmetic: the open-loop schedule of its phases, and what the requests of
 * each phase saw (latency, errors by kind, 429s and their Retry-After, timeouts, which tier served),
 * where the slow requests' time went (Server-Timing), and a timeline. Pure: records in, figures out.
 */
import { OK_OUTCOME } from '../load/load-engine';
import type { RequestRecord } from './burst-record';
import { summarizeLatencies, type LatencySummary } from '../load/load-summary';
import type { RateStep } from './load-plan';

/** The phases, in the order they run; warm-up is sent but not reported. */
export const PHASES = ['warmup', 'baseline', 'burst', 'recovery'] as const;
/** One of {@link PHASES}. */
export type PhaseName = (typeof PHASES)[number];
/** The phases a report shows. */
export const MEASURED_PHASES = ['baseline', 'burst', 'recovery'] as const satisfies readonly PhaseName[];

/** One phase of the schedule. */
export interface PhaseSpan {
  readonly phase: PhaseName;
  readonly ratePerS: number;
  readonly durationS: number;
  /** Start and end, milliseconds after the load started. */
  readonly fromMs: number;
  readonly toMs: number;
}

/** The burst's shape: seconds per phase and the two request rates. */
export interface BurstShape {
  readonly warmupS: number;
  readonly baselineS: number;
  readonly burstS: number;
  readonly recoveryS: number;
  readonly baselineRatePerS: number;
  readonly burstRatePerS: number;
}

const MS_PER_S = 1_000;
const HTTP_SERVER_ERROR = 500;
const HTTP_TOO_MANY_REQUESTS = 429;
const HTTP_GATEWAY_TIMEOUT = 504;
/** undici's codes for a request that ran out of the client's time or was cut off at the end. */
const CLIENT_TIMEOUT_CODES = new Set(['UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT', 'UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_ABORTED', 'AbortError']);
/** The slow requests whose time is split up: this share of their tier's, the slowest. */
const SLOW_SHARE = 0.01;

/** The phases back to back, each with its rate. Warm-up at the baseline rate comes first. */
export function phaseSpans(shape: BurstShape): PhaseSpan[] {
  const steps: readonly [PhaseName, number, number][] = [
    ['warmup', shape.baselineRatePerS, shape.warmupS],
    ['baseline', shape.baselineRatePerS, shape.baselineS],
    ['burst', shape.burstRatePerS, shape.burstS],
    ['recovery', shape.baselineRatePerS, shape.recoveryS],
  ];
  const spans: PhaseSpan[] = [];
  let fromMs = 0;
  for (const [phase, ratePerS, durationS] of steps) {
    if (durationS <= 0) continue;
    const toMs = fromMs + durationS * MS_PER_S;
    spans.push({ phase, ratePerS, durationS, fromMs, toMs });
    fromMs = toMs;
  }
  return spans;
}

/** The load generator's open-loop schedule for these phases. */
export function rateSteps(spans: readonly PhaseSpan[]): RateStep[] {
  return spans.map(({ ratePerS, durationS }) => ({ ratePerS, durationS }));
}

/** Whether a request never got its answer in time: a client timeout, a cut-off, or a 504. */
export function isTimeout(record: RequestRecord): boolean {
  return record.status === HTTP_GATEWAY_TIMEOUT || (record.status === undefined && CLIENT_TIMEOUT_CODES.has(record.outcome));
}

/** What the requests sent in one phase saw. */
export interface PhaseStats {
  readonly phase: PhaseName;
  readonly ratePerS: number;
  readonly durationS: number;
  /** Requests sent in the phase (whenever they finished). */
  readonly requests: number;
  readonly ok: number;
  /** Latency of the good answers, from when each was due. */
  readonly latencyMs: LatencySummary;
  /** Everything but a good answer, by outcome (`status 429`, `UND_ERR_HEADERS_TIMEOUT`). */
  readonly errors: Readonly<Record<string, number>>;
  readonly errorCount: number;
  readonly rejected429: number;
  /** Of the 429s, how many carried Retry-After. */
  readonly retryAfter429: number;
  /** How fast the 429s came back. */
  readonly latency429Ms: LatencySummary;
  /** Client timeouts, cut-offs and 504s. */
  readonly timeouts: number;
  /** 5xx answers (504 included). */
  readonly serverErrors: number;
  /** Good answers by `x-embed-tier` (`none` when the header was missing). */
  readonly tiers: Readonly<Record<string, number>>;
  /** Good answers the GPU tier served, by `x-embed-overflow`. */
  readonly overflowReasons: Readonly<Record<string, number>>;
  /** The generator's own lag: how late it sent its latest request. */
  readonly maxLagMs: number;
}

const bump = (counts: Record<string, number>, key: string): void => {
  counts[key] = (counts[key] ?? 0) + 1;
};

/** The records due in `[fromMs, toMs)`. */
export function recordsIn(records: readonly RequestRecord[], fromMs: number, toMs: number): RequestRecord[] {
  return records.filter((record) => record.atMs >= fromMs && record.atMs < toMs);
}

/** Summarises the requests of one phase. */
export function phaseStats(span: PhaseSpan, all: readonly RequestRecord[]): PhaseStats {
  const records = recordsIn(all, span.fromMs, span.toMs);
  const okLatencies: number[] = [];
  const latencies429: number[] = [];
  const errors: Record<string, number> = {};
  const tiers: Record<string, number> = {};
  const overflowReasons: Record<string, number> = {};
  let retryAfter429 = 0;
  let timeouts = 0;
  let serverErrors = 0;
  let maxLagMs = 0;
  for (const record of records) {
    maxLagMs = Math.max(maxLagMs, record.lagMs);
    if (isTimeout(record)) timeouts++;
    if (record.status !== undefined && record.status >= HTTP_SERVER_ERROR) serverErrors++;
    if (record.outcome === OK_OUTCOME) {
      okLatencies.push(record.latencyMs);
      bump(tiers, record.tier ?? 'none');
      if (record.overflow !== undefined) bump(overflowReasons, record.overflow);
      continue;
    }
    bump(errors, record.outcome);
    if (record.status === HTTP_TOO_MANY_REQUESTS) {
      latencies429.push(record.latencyMs);
      if (record.retryAfter !== undefined && record.retryAfter !== '') retryAfter429++;
    }
  }
  return {
    phase: span.phase,
    ratePerS: span.ratePerS,
    durationS: span.durationS,
    requests: records.length,
    ok: okLatencies.length,
    latencyMs: summarizeLatencies(okLatencies),
    errors,
    errorCount: records.length - okLatencies.length,
    rejected429: latencies429.length,
    retryAfter429,
    latency429Ms: summarizeLatencies(latencies429),
    timeouts,
    serverErrors,
    tiers,
    overflowReasons,
    maxLagMs,
  };
}

/** Share (0..1) of a phase's good answers that `tier` served; NaN when there were none. */
export function tierShare(stats: Pick<PhaseStats, 'ok' | 'tiers'>, tier: string): number {
  return stats.ok === 0 ? Number.NaN : (stats.tiers[tier] ?? 0) / stats.ok;
}

/**
 * Where a group of requests spent its time, as means that add up: the client's latency is the
 * front door's queue, its upstream call, the rest of its own work, and the time outside it
 * (loopback, the client, the event loop before the front door's timer starts).
 */
export interface TimeSplit {
  readonly tier: string;
  /** `all` the tier's good answers in the phase, or the `slowest` 1% of them (at least one). */
  readonly group: 'all' | 'slowest';
  readonly count: number;
  readonly clientMs: number;
  readonly queueMs: number;
  readonly upstreamMs: number;
  /** Server-Timing total minus queue and upstream. */
  readonly frontDoorOtherMs: number;
  /** Client latency minus Server-Timing total. */
  readonly outsideMs: number;
}

const mean = (values: readonly number[]): number =>
  values.length === 0 ? Number.NaN : values.reduce((sum, value) => sum + value, 0) / values.length;

function split(tier: string, group: TimeSplit['group'], records: readonly RequestRecord[]): TimeSplit {
  const timed = records.filter((record) => record.serverMs !== undefined);
  const queueMs = mean(timed.map((record) => record.queueMs ?? 0));
  const upstreamMs = mean(timed.map((record) => record.upstreamMs ?? 0));
  const serverMs = mean(timed.map((record) => record.serverMs ?? 0));
  const clientMs = mean(timed.map((record) => record.latencyMs));
  return { tier, group, count: timed.length, clientMs, queueMs, upstreamMs, frontDoorOtherMs: serverMs - queueMs - upstreamMs, outsideMs: clientMs - serverMs };
}

/** Per tier that served requests in `span`: the time split of all its good answers and of its slowest. */
export function timeSplits(span: PhaseSpan, all: readonly RequestRecord[]): TimeSplit[] {
  const ok = recordsIn(all, span.fromMs, span.toMs).filter((record) => record.outcome === OK_OUTCOME);
  const tiers = [...new Set(ok.map((record) => record.tier ?? 'none'))].sort();
  return tiers.flatMap((tier) => {
    const served = ok.filter((record) => (record.tier ?? 'none') === tier);
    const slowest = [...served].sort((a, b) => b.latencyMs - a.latencyMs).slice(0, Math.ceil(served.length * SLOW_SHARE));
    return [split(tier, 'all', served), split(tier, 'slowest', slowest)];
  });
}

/** One slice of the timeline. */
export interface TimelineBucket {
  /** Start of the slice, seconds after measuring started (warm-up excluded). */
  readonly fromS: number;
  readonly phase: PhaseName;
  readonly requests: number;
  readonly ok: number;
  readonly rejected429: number;
  /** Other failures (timeouts, 5xx, wrong answers). */
  readonly otherErrors: number;
  readonly gpu: number;
  readonly p99Ms: number;
}

/** The measured phases cut into `bucketS` slices by when requests were due. */
export function timeline(spans: readonly PhaseSpan[], all: readonly RequestRecord[], bucketS: number): TimelineBucket[] {
  const measured = spans.filter((span) => span.phase !== 'warmup');
  const startMs = measured[0]?.fromMs ?? 0;
  const buckets: TimelineBucket[] = [];
  for (const span of measured) {
    for (let fromMs = span.fromMs; fromMs < span.toMs; fromMs += bucketS * MS_PER_S) {
      const records = recordsIn(all, fromMs, Math.min(span.toMs, fromMs + bucketS * MS_PER_S));
      const ok = records.filter((record) => record.outcome === OK_OUTCOME);
      const rejected429 = records.filter((record) => record.status === HTTP_TOO_MANY_REQUESTS).length;
      buckets.push({
        fromS: (fromMs - startMs) / MS_PER_S,
        phase: span.phase,
        requests: records.length,
        ok: ok.length,
        rejected429,
        otherErrors: records.length - ok.length - rejected429,
        gpu: ok.filter((record) => record.tier === 'gpu').length,
        p99Ms: summarizeLatencies(ok.map((record) => record.latencyMs)).p99,
      });
    }
  }
  return buckets;
}
