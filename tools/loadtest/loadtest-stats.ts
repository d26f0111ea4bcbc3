/**
 * What a run's samples add up to: the summary (rates, latency percentiles, errors by status), the
 * per-second time series and the latency histogram the report plots. Pure: samples in, figures out.
 */
import { OK_OUTCOME, type RequestSample, type RunRecord } from './loadtest-runner';
import { percentile } from '../../shared/stats/percentile';

export interface LatencyStats {
  readonly p50: number;
  readonly p90: number;
  readonly p99: number;
  readonly mean: number;
  readonly max: number;
}

/** One run in figures. Rates are over the measuring window. */
export interface RunSummary {
  readonly windowS: number;
  /** Requests that finished in the window, well or not. */
  readonly requests: number;
  readonly okRequests: number;
  /** Texts embedded by the good answers. */
  readonly chunks: number;
  readonly chunksPerS: number;
  readonly requestsPerS: number;
  /** Of the good answers, ms from due (or sent) to answered; NaN when there were none. */
  readonly latencyMs: LatencyStats;
  /** Failed requests by key: the HTTP status (`503`) or the failure (`connect`, `timeout`). */
  readonly errors: Readonly<Record<string, number>>;
  readonly errorCount: number;
  /** Requests cut off unanswered at the end. */
  readonly unfinished: number;
}

/** One second of a run. */
export interface SeriesPoint {
  /** Seconds since the window started (the start of the bucket). */
  readonly t: number;
  readonly chunksPerS: number;
  readonly requestsPerS: number;
  readonly errors: number;
  /** NaN when no request was answered well in that second. */
  readonly p50Ms: number;
  readonly p99Ms: number;
}

/** One bar of a latency histogram. */
export interface HistogramBin {
  readonly fromMs: number;
  readonly toMs: number;
  readonly count: number;
  /** `count` over the run's good answers, so runs of different lengths compare. */
  readonly share: number;
}

const MS_PER_S = 1_000;
const PERCENTILES = { p50: 0.5, p90: 0.9, p99: 0.99 } as const;
const NO_LATENCY: LatencyStats = Object.freeze({ p50: Number.NaN, p90: Number.NaN, p99: Number.NaN, mean: Number.NaN, max: Number.NaN });

export { percentile } from '../../shared/stats/percentile';

/** Percentiles, mean and max of `latencies` (any order). */
export function latencyStats(latencies: ArrayLike<number>): LatencyStats {
  if (latencies.length === 0) return NO_LATENCY;
  const sorted = Float64Array.from(latencies).sort();
  let total = 0;
  for (const latency of sorted) total += latency;
  return {
    p50: percentile(sorted, PERCENTILES.p50),
    p90: percentile(sorted, PERCENTILES.p90),
    p99: percentile(sorted, PERCENTILES.p99),
    mean: total / sorted.length,
    max: sorted[sorted.length - 1] ?? Number.NaN,
  };
}

const latencyOf = (sample: RequestSample): number => sample.endMs - sample.startMs;
const isOk = (sample: RequestSample): boolean => sample.outcome === OK_OUTCOME;

/** Sums up one run. */
export function summarizeRun(record: RunRecord): RunSummary {
  const windowS = record.windowMs / MS_PER_S;
  const good = record.samples.filter(isOk);
  const errors: Record<string, number> = {};
  for (const sample of record.samples) {
    if (!isOk(sample)) errors[sample.outcome] = (errors[sample.outcome] ?? 0) + 1;
  }
  const chunks = good.reduce((total, sample) => total + sample.texts, 0);
  const perS = (count: number): number => (windowS > 0 ? count / windowS : 0);
  return {
    windowS,
    requests: record.samples.length,
    okRequests: good.length,
    chunks,
    chunksPerS: perS(chunks),
    requestsPerS: perS(record.samples.length),
    latencyMs: latencyStats(good.map(latencyOf)),
    errors,
    errorCount: record.samples.length - good.length,
    unfinished: record.unfinished,
  };
}

/** Per-second buckets by completion time; the last, partial second is scaled to a full one. */
export function timeSeries(record: RunRecord, bucketMs = MS_PER_S): SeriesPoint[] {
  const buckets = Math.max(1, Math.ceil(record.windowMs / bucketMs));
  const latencies: number[][] = Array.from({ length: buckets }, () => []);
  const requests = new Array<number>(buckets).fill(0);
  const chunks = new Array<number>(buckets).fill(0);
  const errors = new Array<number>(buckets).fill(0);
  for (const sample of record.samples) {
    const index = Math.min(buckets - 1, Math.max(0, Math.floor(sample.endMs / bucketMs)));
    requests[index] = (requests[index] ?? 0) + 1;
    if (isOk(sample)) {
      chunks[index] = (chunks[index] ?? 0) + sample.texts;
      latencies[index]?.push(latencyOf(sample));
    } else {
      errors[index] = (errors[index] ?? 0) + 1;
    }
  }
  return latencies.map((bucket, index) => {
    const spanS = Math.min(bucketMs, record.windowMs - index * bucketMs) / MS_PER_S;
    const stats = latencyStats(bucket);
    const rate = (count: number | undefined): number => (spanS > 0 ? (count ?? 0) / spanS : 0);
    return {
      t: (index * bucketMs) / MS_PER_S,
      chunksPerS: rate(chunks[index]),
      requestsPerS: rate(requests[index]),
      errors: errors[index] ?? 0,
      p50Ms: stats.p50,
      p99Ms: stats.p99,
    };
  });
}

/** The good answers' latencies of a run, for histograms drawn over several runs. */
export const okLatencies = (record: RunRecord): number[] => record.samples.filter(isOk).map(latencyOf);

/**
 * Histograms of several runs on shared bins (so bars line up across URLs), from 0 to the largest
 * latency seen. Keyed like the input.
 */
export function sharedHistograms(latenciesByRun: ReadonlyMap<string, readonly number[]>, binCount: number): Map<string, HistogramBin[]> {
  let top = 0;
  for (const latencies of latenciesByRun.values()) for (const latency of latencies) top = Math.max(top, latency);
  const width = top > 0 ? top / binCount : 1;
  const result = new Map<string, HistogramBin[]>();
  for (const [key, latencies] of latenciesByRun) {
    const counts = new Array<number>(binCount).fill(0);
    for (const latency of latencies) {
      const index = Math.min(binCount - 1, Math.floor(latency / width));
      counts[index] = (counts[index] ?? 0) + 1;
    }
    result.set(key, counts.map((count, index) => ({
      fromMs: index * width,
      toMs: (index + 1) * width,
      count,
      share: latencies.length > 0 ? count / latencies.length : 0,
    })));
  }
  return result;
}
