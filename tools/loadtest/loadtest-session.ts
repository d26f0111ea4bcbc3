/**
 * A whole load-test session: every URL in turn (one after another, so they never compete for the
 * generator or a shared backend), once at `--batch` or once per sweep batch size, then the cost
 * model fitted per URL. Returns figures only; the caller prints and writes them.
 */
import { type CostFit, fitCostModel } from './cost-fit';
import type { LoadDialect, LoadtestOptions } from './loadtest-options';
import { NO_PROGRESS, type ProgressSink } from './loadtest-progress';
import { constantRate, type LoadClock, runLoad } from '../load/load-engine';
import { okLatencies, type RunSummary, summarizeRun } from '../load/load-summary';
import { type SeriesPoint, timeSeries } from './loadtest-stats';
import { percentile } from '../../shared/stats/percentile';
import { createSender, createTargetUpstream } from './loadtest-targets';
import type { TextSource } from './loadtest-texts';
import { nothingAnswered } from './loadtest-failures';
import type { HttpTransport } from '../../shared/upstream/transport';

/** What the session needs from outside: the texts, and the transport every client shares. */
export interface LoadtestIo {
  readonly texts: TextSource;
  /** Keep-alive pools; the caller builds it with `concurrency` connections per origin and closes it. */
  readonly transport: HttpTransport;
  readonly apiKey?: string;
  readonly progress?: ProgressSink;
  readonly clock?: LoadClock;
}

/** One run: one URL at one batch size. */
export interface RunResult {
  /** The name of the run in tables and charts: the URL, plus the batch size in a sweep. */
  readonly label: string;
  readonly url: string;
  readonly dialect: LoadDialect;
  readonly batch: number;
  readonly concurrency: number;
  readonly rate: number | undefined;
  readonly summary: RunSummary;
  readonly series: readonly SeriesPoint[];
  /** Every good answer's latency, for the histogram (left out of the JSON). */
  readonly latencies: readonly number[];
  /** Set when the run got no good answer: what went wrong, in one line (see {@link nothingAnswered}). */
  readonly problem?: string;
}

/** The cost model of one URL, from its sweep runs. */
export interface SweepResult {
  readonly url: string;
  /** Per batch size: the latency fitted (see {@link sweepOf}), and the median for reference. */
  readonly points: readonly { readonly batch: number; readonly fitMs: number; readonly p50Ms: number }[];
  /** Undefined when the points could not fix a line (see `problem`). */
  readonly fit: CostFit | undefined;
  readonly problem?: string;
}

/** A whole session: what was asked, and every run's figures. */
export interface LoadtestResult {
  /** ISO time the session started. */
  readonly startedAt: string;
  readonly options: LoadtestOptions;
  readonly textDescription: string;
  readonly runs: readonly RunResult[];
  readonly sweeps: readonly SweepResult[];
}

const MS_PER_S = 1_000;
/** How long answers still in flight at the end of a window are awaited before they are cut off. */
const MAX_DRAIN_MS = 5_000;
/** Which latency of each sweep step the cost model is fitted to (see {@link sweepOf}). */
export const FIT_PERCENTILE = 0.1;

/** Runs every URL (and every sweep step) in turn. */
export async function runLoadtest(options: LoadtestOptions, io: LoadtestIo, startedAt: Date = new Date()): Promise<LoadtestResult> {
  const progress = io.progress ?? NO_PROGRESS;
  const batches = options.sweep ?? [options.batch];
  const steps = options.targets.length * batches.length;
  const settings = {
    transport: io.transport,
    dimension: options.dimension,
    model: options.model,
    timeoutMs: options.timeoutMs,
    apiKey: io.apiKey,
    maxBatch: Math.max(...batches),
  };
  const runs: RunResult[] = [];
  const sweeps: SweepResult[] = [];
  const usedLabels = new Set<string>();

  for (const [index, target] of options.targets.entries()) {
    const sender = createSender(createTargetUpstream(target, index, settings), io.texts, options.timeoutMs);
    // The same URL given twice still gets two distinct rows and chart series.
    const base = usedLabels.has(target.url) ? `${target.url} (#${index + 1})` : target.url;
    usedLabels.add(base);
    const urlRuns: RunResult[] = [];
    for (const batch of batches) {
      const label = options.sweep === undefined ? base : `${base} @ batch ${batch}`;
      const step = runs.length + 1;
      const record = await runLoad({
        sender,
        ...(io.clock === undefined ? {} : { clock: io.clock }),
        plan: {
          batch,
          clients: options.concurrency,
          intervalMs: 0,
          ...(options.rate === undefined ? {} : { arrivalMs: constantRate(options.rate) }),
          warmupMs: options.warmupS * MS_PER_S,
          durationMs: options.durationS === undefined ? undefined : options.durationS * MS_PER_S,
          ...(options.texts === undefined ? {} : { maxTexts: options.texts }),
          drainMs: Math.min(options.timeoutMs, MAX_DRAIN_MS),
        },
        onProgress: (run) => progress.update({ step, steps, label, ...run }),
      });
      const summary = summarizeRun(record);
      const problem = nothingAnswered(label, summary, record.firstErrors);
      const result: RunResult = {
        label, url: target.url, dialect: target.dialect, batch, concurrency: options.concurrency, rate: options.rate,
        summary, series: timeSeries(record), latencies: okLatencies(record), ...(problem === undefined ? {} : { problem }),
      };
      runs.push(result);
      urlRuns.push(result);
    }
    if (options.sweep !== undefined) sweeps.push(sweepOf(target.url, urlRuns));
  }
  progress.finish();
  return { startedAt: startedAt.toISOString(), options, textDescription: io.texts.description, runs, sweeps };
}

/**
 * Fits `a + b * n` to the 10th-percentile latency at each batch size. With no queueing, each
 * latency is the job's service time plus delays that only ever add (timers, scheduling, the
 * network, the client's own parsing); the low tail is the best estimate of what the job holds a
 * worker for, which is what capacity depends on. Not the minimum: one lucky sample is noise too.
 */
export function sweepOf(url: string, runs: readonly RunResult[]): SweepResult {
  const points = runs
    .filter((run) => run.latencies.length > 0)
    .map((run) => ({
      batch: run.batch,
      fitMs: percentile(Float64Array.from(run.latencies).sort(), FIT_PERCENTILE),
      p50Ms: run.summary.latencyMs.p50,
    }));
  try {
    return { url, points, fit: fitCostModel(points.map((point) => ({ n: point.batch, latencyMs: point.fitMs }))) };
  } catch (error) {
    const answered = points.map((point) => point.batch).join(', ') || 'none';
    return { url, points, fit: undefined, problem: `no cost model: ${(error as Error).message} (answered batch sizes: ${answered})` };
  }
}
