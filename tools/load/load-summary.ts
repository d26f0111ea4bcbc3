/**
 * What a run's samples add up to: rates over the measuring window, latency percentiles of the good
 * answers, and failures by key. Pure: samples in, figures out. One summary for the load tester and
 * the benchmarks.
 */
import { percentile } from '../../shared/stats/percentile';
import { OK_OUTCOME, type LoadRecord, type RequestSample } from './load-engine';

/** Latencies in milliseconds. */
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

/** Sorts a copy of `samples` (any order) and summarises it. */
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

/** One run in figures. Rates are over the measuring window. */
export interface RunSummary {
  readonly windowS: number;
  /** Requests that finished in the window, well or not. */
  readonly requests: number;
  readonly okRequests: number;
  /** Texts embedded by the good answers. */
  readonly chunks: number;
  readonly chunksPerS: number;
  /**
   * Good answers per second. Failures are not throughput (a dead URL fails fast, thousands of
   * times a second); they are counted in `errors` and `errorCount`.
   */
  readonly requestsPerS: number;
  /** Of the good answers, ms from due (or sent) to answered. */
  readonly latencyMs: LatencySummary;
  /** Failed requests by key: an HTTP status or what went wrong (`connect`, `timeout`). */
  readonly errors: Readonly<Record<string, number>>;
  readonly errorCount: number;
  /** Requests cut off unanswered at the end. */
  readonly unfinished: number;
}

const MS_PER_S = 1_000;

/** A sample's latency: from due (or sent) to answered. */
export const latencyOf = (sample: RequestSample): number => sample.endMs - sample.startMs;
export const isOk = (sample: RequestSample): boolean => sample.outcome === OK_OUTCOME;
/** The samples that count: those that finished inside the window. */
export const windowSamples = (record: LoadRecord): RequestSample[] => record.samples.filter((sample) => sample.inWindow);
/** The good answers' latencies of a run's window. */
export const okLatencies = (record: LoadRecord): number[] => windowSamples(record).filter(isOk).map(latencyOf);

/** Sums up one run. */
export function summarizeRun(record: LoadRecord): RunSummary {
  const windowS = record.windowMs / MS_PER_S;
  const counted = windowSamples(record);
  const good = counted.filter(isOk);
  const errors: Record<string, number> = {};
  for (const sample of counted) {
    if (!isOk(sample)) errors[sample.outcome] = (errors[sample.outcome] ?? 0) + 1;
  }
  const chunks = good.reduce((total, sample) => total + sample.texts, 0);
  const perS = (count: number): number => (windowS > 0 ? count / windowS : 0);
  return {
    windowS,
    requests: counted.length,
    okRequests: good.length,
    chunks,
    chunksPerS: perS(chunks),
    requestsPerS: perS(good.length),
    latencyMs: summarizeLatencies(good.map(latencyOf)),
    errors,
    errorCount: counted.length - good.length,
    unfinished: record.unfinished,
  };
}
