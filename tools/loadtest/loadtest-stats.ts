/**
 * What the load test's report plots: the per-second time series and the latency histogram of a
 * run's window (its summary is the load engine's, tools/load/load-summary.ts). Pure.
 */
import type { LoadRecord } from '../load/load-engine';
import { isOk, latencyOf, summarizeLatencies, windowSamples } from '../load/load-summary';

/** One second of a run. */
export interface SeriesPoint {
  /** Seconds since the window started (the start of the bucket). */
  readonly t: number;
  readonly chunksPerS: number;
  /** Good answers per second (failures are in `errors`). */
  readonly requestsPerS: number;
  /** Failed requests that finished in the bucket. */
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
/**
 * A bucket short of whole by less than this is whole. A time-bounded window ends at start +
 * duration in floating point, so 10 s measure 9999.999999999998 ms or 10000.000000000002 ms; the
 * latter opened an eleventh bucket a femtosecond long, empty, drawn as a drop to zero.
 */
const ROUNDING_SLACK_MS = 1e-6;

/**
 * Per-second buckets by completion time, whole seconds only. A last, partial second is dropped,
 * not scaled: scaled to a rate, a few answers (or none) over a sliver of a second draw a spike or a
 * drop to zero that looks like an outage. Its answers still count in the run's summary. A window
 * shorter than one bucket is one point over the whole window (the run's own rate), so a chart
 * always has something to draw.
 */
export function timeSeries(record: LoadRecord, bucketMs = MS_PER_S): SeriesPoint[] {
  const whole = Math.floor((record.windowMs + ROUNDING_SLACK_MS) / bucketMs);
  const buckets = Math.max(1, whole);
  const spanMs = whole === 0 ? record.windowMs : bucketMs;
  // Answers after the last whole bucket belong to the dropped partial one.
  const endMs = whole === 0 ? record.windowMs : whole * bucketMs;
  const latencies: number[][] = Array.from({ length: buckets }, () => []);
  const requests = new Array<number>(buckets).fill(0);
  const chunks = new Array<number>(buckets).fill(0);
  const errors = new Array<number>(buckets).fill(0);
  for (const sample of windowSamples(record)) {
    if (sample.endMs > endMs + ROUNDING_SLACK_MS) continue;
    const index = Math.min(buckets - 1, Math.max(0, Math.floor(sample.endMs / bucketMs)));
    if (isOk(sample)) {
      requests[index] = (requests[index] ?? 0) + 1;
      chunks[index] = (chunks[index] ?? 0) + sample.texts;
      latencies[index]?.push(latencyOf(sample));
    } else {
      errors[index] = (errors[index] ?? 0) + 1;
    }
  }
  const spanS = spanMs / MS_PER_S;
  const rate = (count: number | undefined): number => (spanS > 0 ? (count ?? 0) / spanS : 0);
  return latencies.map((bucket, index) => {
    const stats = summarizeLatencies(bucket);
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
