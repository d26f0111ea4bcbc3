/**
 * A load-test session as text (the table printed to the terminal, the cost model lines fed to the
 * simulator) and as the JSON document written next to the HTML report. Pure.
 */
import type { CostFit } from './cost-fit';
import { FIT_PERCENTILE, type LoadtestResult, type RunResult, type SweepResult } from './loadtest-session';
import type { HistogramBin } from './loadtest-stats';
import { formatNumber, formatTable } from '../report/tables';

/** The summary table: one row per run, grouped by URL. */
export interface TextTable {
  readonly columns: readonly string[];
  readonly rows: readonly (readonly string[])[];
}

/** Decimals shown of each figure. */
const DIGITS = { latency: 1, rate: 1, a: 2, b: 3, r2: 4 } as const;
const PERCENT = 100;

/** `503 x3, connect x1`, or `-` when there were none. */
export function formatErrors(errors: Readonly<Record<string, number>>): string {
  const entries = Object.entries(errors).sort(([, x], [, y]) => y - x);
  return entries.length === 0 ? '-' : entries.map(([key, count]) => `${key} x${count}`).join(', ');
}

/** The figures of every run, as the terminal and the HTML report show them. */
export function summaryTable(result: LoadtestResult): TextTable {
  const openLoop = result.options.rate !== undefined;
  return {
    columns: ['url', 'dialect', 'batch', openLoop ? 'rate/s' : 'conc', 'requests', 'req/s', 'chunks/s',
      'p50 ms', 'p90 ms', 'p99 ms', 'errors', 'unfinished'],
    rows: result.runs.map((run) => [
      run.url, run.dialect, String(run.batch), String(openLoop ? run.rate : run.concurrency), String(run.summary.requests),
      formatNumber(run.summary.requestsPerS, DIGITS.rate), formatNumber(run.summary.chunksPerS, DIGITS.rate),
      formatNumber(run.summary.latencyMs.p50, DIGITS.latency), formatNumber(run.summary.latencyMs.p90, DIGITS.latency),
      formatNumber(run.summary.latencyMs.p99, DIGITS.latency), formatErrors(run.summary.errors), String(run.summary.unfinished),
    ]),
  };
}

/** The cost model as the DJL simulator takes it (`DjlCostModel` minus the worker count). */
export const simulatorCostModel = (fit: CostFit): { baseMs: number; perItemMs: number } => ({
  baseMs: Number(fit.a.toFixed(DIGITS.a)),
  perItemMs: Number(fit.b.toFixed(DIGITS.b)),
});

/** The lines printed for each URL's sweep: the fit, and how to feed it to the simulator. */
export function costModelLines(sweeps: readonly SweepResult[]): string[] {
  if (sweeps.length === 0) return [];
  const lines = [`Cost model, latency = a + b * n (fitted to the p${FIT_PERCENTILE * PERCENT} latency at each batch size):`];
  for (const sweep of sweeps) {
    if (sweep.fit === undefined) {
      lines.push(`  ${sweep.url}: ${sweep.problem ?? 'no cost model'}`);
      continue;
    }
    const { baseMs, perItemMs } = simulatorCostModel(sweep.fit);
    lines.push(
      `  ${sweep.url}: a = ${formatNumber(sweep.fit.a, DIGITS.a)} ms, b = ${formatNumber(sweep.fit.b, DIGITS.b)} ms/text, ` +
        `R^2 = ${formatNumber(sweep.fit.r2, DIGITS.r2)} (${sweep.fit.points} batch sizes)`,
      `    simulator: --base-ms ${baseMs} --per-item-ms ${perItemMs}   ${JSON.stringify({ baseMs, perItemMs })}`,
    );
  }
  return lines;
}

/** Everything printed after a session. */
export function formatTextReport(result: LoadtestResult): string {
  const table = summaryTable(result);
  return [formatTable(table.columns, table.rows, 'text'), ...costModelLines(result.sweeps)].join('\n');
}

const runJson = ({ latencies: _latencies, ...run }: RunResult): Omit<RunResult, 'latencies'> => run;

/** The JSON document: settings, per-run summary and time series, histograms, cost models. */
export function reportJson(result: LoadtestResult, histograms: ReadonlyMap<string, readonly HistogramBin[]>): unknown {
  return {
    startedAt: result.startedAt,
    texts: result.textDescription,
    settings: result.options,
    runs: result.runs.map(runJson),
    histograms: Object.fromEntries(histograms),
    costModels: result.sweeps.map((sweep) => ({
      ...sweep,
      ...(sweep.fit === undefined ? {} : { simulator: simulatorCostModel(sweep.fit) }),
    })),
  };
}
