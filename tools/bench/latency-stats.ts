/**
 * Latency percentiles of one benchmark cell. Pure: samples in, summary out.
 */

import { percentile } from '../../shared/stats/percentile';

/** What a cell reports about its latencies, in milliseconds. */
export interface LatencySummary {
  readonly count: number;
  readonly mean: number;
  readonly p50: number;
  readonly p90: number;
  readonly p99: number;
  readonly max: number;
}

/** The summary of no samples: every figure NaN, so a table shows "n/a" instead of a fake 0. */
export const EMPTY_LATENCY: LatencySummary = Object.freeze({
  count: 0, mean: Number.NaN, p50: Number.NaN, p90: Number.NaN, p99: Number.NaN, max: Number.NaN,
});

export { percentile } from '../../shared/stats/percentile';

/** Sorts a copy of `samples` and summarises it. */
export function summarizeLatencies(samples: ArrayLike<number>): LatencySummary {
  if (samples.length === 0) return EMPTY_LATENCY;
  const sorted = Float64Array.from(samples).sort();
  let total = 0;
  for (const sample of sorted) total += sample;
  return {
    count: sorted.length,
    mean: total / sorted.length,
    p50: percentile(sorted, 0.5),
    p90: percentile(sorted, 0.9),
    p99: percentile(sorted, 0.99),
    max: sorted[sorted.length - 1] ?? Number.NaN,
  };
}
