/**
 * What a run measures: every request's latency (or refusal), and a time series sampled every
 * `sampleMs` for the plots. Summaries are computed once at the end.
 */
import type { Tier } from '../../shared/core/tier';
import { percentile } from '../../shared/stats/percentile';

export interface SeriesPoint {
  /** Hours since the start, at the end of the sample. */
  readonly hour: number;
  readonly offeredChunksPerSecond: number;
  readonly spilledChunksPerSecond: number;
  readonly rejectedPerSecond: number;
  readonly warm: Readonly<Record<Tier, number>>;
  readonly cold: Readonly<Record<Tier, number>>;
  /** Mean wait of the batches started in the sample, from their oldest request's arrival (ms). */
  readonly queueWaitMs: Readonly<Record<Tier, number>>;
  /** Environments of the Lambda overflow function, busy or kept idle (0 without one). */
  readonly lambdaEnvironments: number;
  /** Cumulative cost so far (dollars). */
  readonly costDollars: number;
}

export interface PolicyResult {
  readonly name: string;
  readonly requests: number;
  readonly texts: number;
  /** Answered 429 by admission control on every tier it could try. */
  readonly rejected: number;
  /** Routed to the overflow tier (GPU or Lambda) by the overflow policy (spills and large requests) or by a CPU 429's fallback. */
  readonly spilled: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  /** Requests over the SLO latency, refused, or unfinished at the end, over all requests. */
  readonly shareOverSlo: number;
  readonly meetsSlo: boolean;
  readonly instanceHours: Readonly<Record<Tier, number>>;
  /** Billed GB-hours of the Lambda overflow function, and their cost with its requests (0 without one). */
  readonly lambdaGbHours: number;
  readonly lambdaCostDollars: number;
  /** Everything: instance-hours at their prices plus the Lambda function's cost. */
  readonly costDollars: number;
  readonly series: readonly SeriesPoint[];
}

/** Latencies of one run: NaN until a request finishes, -1 for a refused one. */
export class LatencyBook {
  readonly latencies: Float64Array;

  constructor(requests: number) {
    this.latencies = new Float64Array(requests).fill(Number.NaN);
  }

  finish(request: number, latencyMs: number): void {
    this.latencies[request] = latencyMs;
  }

  reject(request: number): void {
    this.latencies[request] = REJECTED;
  }

  /** p50, p99 of the served requests and the share of all requests over `sloMs` (refused and unfinished included). */
  summarize(sloMs: number): { p50Ms: number; p99Ms: number; shareOverSlo: number; rejected: number } {
    const served: number[] = [];
    let over = 0;
    let rejected = 0;
    for (const latency of this.latencies) {
      if (latency === REJECTED) rejected++;
      else if (!Number.isNaN(latency)) served.push(latency);
      if (Number.isNaN(latency) || latency === REJECTED || latency > sloMs) over++;
    }
    const sorted = Float64Array.from(served).sort();
    const total = this.latencies.length;
    return { p50Ms: percentileOrZero(sorted, 0.5), p99Ms: percentileOrZero(sorted, 0.99), shareOverSlo: total === 0 ? 0 : over / total, rejected };
  }
}

const REJECTED = -1;

/** Nearest-rank percentile of sorted values (0 when empty: a policy that served nothing). */
function percentileOrZero(sorted: Float64Array, quantile: number): number {
  const value = percentile(sorted, quantile);
  return Number.isNaN(value) ? 0 : value;
}
