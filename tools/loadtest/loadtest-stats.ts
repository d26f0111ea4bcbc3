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

/** Per-second buckets by completion time; the last, partial second is scaled to a full one. */
export function timeSeries(record: LoadRecord, bucketMs = MS_PER_S): SeriesPoint[] {
  const buckets = Math.max(1, Math.ceil(record.windowMs / bucketMs));
  const latencies: number[][] = Array.from({ length: buckets }, () => []);
  const requests = new Array<number>(buckets).fill(0);
  const chunks = new Array<number>(buckets).fill(0);
  const errors = new Array<number>(buckets).fill(0);
  for (const sample of windowSamples(record)) {
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
    const stats = summarizeLatencies(bucket);
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
