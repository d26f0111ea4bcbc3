/**
 * A load-test session as text (the table printed to the terminal, the cost model lines fed to the
 * simulator) and as the JSON document written next to the HTML report. Pure.
 */
import type { CostFit } from './cost-fit';
import { formatErrors } from './loadtest-failures';
import { FIT_PERCENTILE, type LoadtestResult, type RunResult, type SweepResult } from './loadtest-session';
import type { RunSummary } from '../load/load-summary';
import type { HistogramBin } from './loadtest-stats';
import { formatNumber, formatTable } from '../report/tables';

/** The summary table: one row per run, grouped by URL. */
export interface TextTable {
  readonly columns: readonly string[];
  readonly rows: readonly (readonly string[])[];
}

/** Decimals shown of each figure. */
const DIGITS = { latency: 1, rate: 1, share: 1, a: 2, b: 3, r2: 4 } as const;
const PERCENT = 100;

/** The errors cell: by key, then the share of finished requests that failed (`503 x3, connect x1 (2.0%)`). */
function errorsCell(summary: RunSummary): string {
  if (summary.errorCount === 0) return formatErrors(summary.errors);
  return `${formatErrors(summary.errors)} (${formatNumber((summary.errorCount / summary.requests) * PERCENT, DIGITS.share)}%)`;
}

/**
 * The figures of every run, as the terminal and the HTML report show them. `requests` counts every
 * finished request; `ok req/s` and `chunks/s` only the good answers, failures are in `errors`.
 */
export function summaryTable(result: LoadtestResult): TextTable {
  const openLoop = result.options.rate !== undefined;
  return {
    columns: ['url', 'dialect', 'batch', openLoop ? 'rate/s' : 'conc', 'requests', 'ok req/s', 'chunks/s',
      'p50 ms', 'p90 ms', 'p99 ms', 'errors', 'unfinished'],
    rows: result.runs.map((run) => [
      run.url, run.dialect, String(run.batch), String(openLoop ? run.rate : run.concurrency), String(run.summary.requests),
      formatNumber(run.summary.requestsPerS, DIGITS.rate), formatNumber(run.summary.chunksPerS, DIGITS.rate),
      formatNumber(run.summary.latencyMs.p50, DIGITS.latency), formatNumber(run.summary.latencyMs.p90, DIGITS.latency),
      formatNumber(run.summary.latencyMs.p99, DIGITS.latency), errorsCell(run.summary), String(run.summary.unfinished),
    ]),
  };
}

/** One line per run that got no good answer (`nothing answered: connection refused at URL`). */
export const runProblems = (result: LoadtestResult): string[] =>
  result.runs.flatMap((run) => (run.problem === undefined ? [] : [run.problem]));

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

/** Everything printed after a session: the table, then any run that measured nothing, then the cost models. */
export function formatTextReport(result: LoadtestResult): string {
  const table = summaryTable(result);
  const problems = runProblems(result);
  return [
    formatTable(table.columns, table.rows, 'text'),
    ...(problems.length === 0 ? [] : ['', ...problems]),
    ...(problems.length === 0 || result.sweeps.length === 0 ? [] : ['']),
    ...costModelLines(result.sweeps),
  ].join('\n');
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
