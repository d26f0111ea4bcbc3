/**
 * The HTML report's content: the summary table and one Vega-Lite chart per metric, every run a
 * colour (or, for the histogram, a column) so URLs compare side by side. Pure: specs with their
 * data inline; tools/report/html-report.ts renders them.
 */
import type { TopLevelSpec } from 'vega-lite';
import type { ReportChart, ReportContent, ReportTable } from '../report/html-report';
import { costModelLines, summaryTable } from './loadtest-report';
import { FIT_PERCENTILE, type LoadtestResult } from './loadtest-session';
import type { HistogramBin } from './loadtest-stats';

const CHART_WIDTH = 640;
const CHART_HEIGHT = 240;
const FACET_WIDTH = 260;
const RUN_LEGEND = { title: 'run', orient: 'bottom', columns: 1, labelLimit: 600 } as const;
const PERCENT = 100;
const SCHEMA = 'https://vega.github.io/schema/vega-lite/v6.json';

/** Characters per line of a histogram column's header (about FACET_WIDTH at the header's font size). */
const HEADER_LINE_CHARS = 32;
const HEADER_FONT_SIZE = 10;

const finite = (value: number): boolean => Number.isFinite(value);

/**
 * A long run label (a URL, maybe with its batch) broken after `/` or a space into lines of at most
 * `width` characters: a header cut at its end would hide exactly the part that tells runs apart.
 */
export function wrapLabel(label: string, width: number): string {
  const lines: string[] = [];
  let line = '';
  for (const piece of label.split(/(?<=[/ ])/)) {
    if (line !== '' && line.length + piece.length > width) {
      lines.push(line.trimEnd());
      line = '';
    }
    line += piece;
  }
  if (line !== '') lines.push(line.trimEnd());
  return lines.join('\n');
}

/** Runs in the order they ran (legends and facets would otherwise sort them as text). */
const runOrder = (result: LoadtestResult): string[] => result.runs.map((run) => run.label);

/** A line per run over seconds into the measuring window, coloured by run in run order. */
function runLines(
  result: LoadtestResult,
  values: readonly Record<string, unknown>[],
  y: { readonly field: string; readonly title: string },
  extraEncoding: Record<string, unknown> = {},
): TopLevelSpec {
  return {
    $schema: SCHEMA,
    width: CHART_WIDTH,
    height: CHART_HEIGHT,
    data: { values: [...values] },
    mark: { type: 'line', point: true },
    encoding: {
      x: { field: 't', type: 'quantitative', title: 'seconds into the window' },
      y: { field: y.field, type: 'quantitative', title: y.title },
      color: { field: 'run', type: 'nominal', legend: RUN_LEGEND, sort: runOrder(result) },
      ...extraEncoding,
    },
  };
}

function throughputChart(result: LoadtestResult): ReportChart {
  const values = result.runs.flatMap((run) => run.series.map((point) => ({ run: run.label, t: point.t, chunksPerS: point.chunksPerS })));
  const spec = runLines(result, values, { field: 'chunksPerS', title: 'chunks/s' });
  return { title: 'Throughput over time (chunks embedded per second)', spec };
}

function latencyChart(result: LoadtestResult): ReportChart {
  const values = result.runs.flatMap((run) => run.series.flatMap((point) => [
    ...(finite(point.p50Ms) ? [{ run: run.label, t: point.t, percentile: 'p50', ms: point.p50Ms }] : []),
    ...(finite(point.p99Ms) ? [{ run: run.label, t: point.t, percentile: 'p99', ms: point.p99Ms }] : []),
  ]));
  const spec = runLines(result, values, { field: 'ms', title: 'latency (ms)' },
    { strokeDash: { field: 'percentile', type: 'nominal', title: 'percentile' } });
  return { title: 'Latency over time (p50 and p99 of each second)', spec };
}

function histogramChart(result: LoadtestResult, histograms: ReadonlyMap<string, readonly HistogramBin[]>): ReportChart {
  const wrapped = (label: string): string => wrapLabel(label, HEADER_LINE_CHARS);
  const values = [...histograms].flatMap(([label, bins]) =>
    bins.map((bin) => ({ run: wrapped(label), fromMs: bin.fromMs, toMs: bin.toMs, share: bin.share })));
  const spec: TopLevelSpec = {
    $schema: SCHEMA,
    data: { values },
    mark: 'bar',
    width: FACET_WIDTH,
    height: CHART_HEIGHT,
    encoding: {
      column: {
        field: 'run', type: 'nominal', title: null, sort: runOrder(result).map(wrapped),
        header: { labelLimit: FACET_WIDTH, labelFontSize: HEADER_FONT_SIZE, labelExpr: "split(datum.value, '\\n')" },
      },
      x: { field: 'fromMs', type: 'quantitative', bin: { binned: true }, title: 'latency (ms)' },
      x2: { field: 'toMs' },
      y: { field: 'share', type: 'quantitative', title: 'share of requests', axis: { format: '%' } },
    },
  };
  return { title: 'Latency histogram (one column per run, shared bins)', spec };
}

function costModelChart(result: LoadtestResult): ReportChart {
  const measured = result.sweeps.flatMap((sweep) => sweep.points.map((point) => ({ url: sweep.url, batch: point.batch, ms: point.fitMs })));
  const fitted = result.sweeps.flatMap((sweep) => {
    const fit = sweep.fit;
    if (fit === undefined) return [];
    return sweep.points.map((point) => ({ url: sweep.url, batch: point.batch, ms: fit.a + fit.b * point.batch }));
  });
  const encoding = {
    x: { field: 'batch', type: 'quantitative', title: 'texts per request (n)' },
    y: { field: 'ms', type: 'quantitative', title: 'latency (ms)' },
    color: { field: 'url', type: 'nominal', legend: { ...RUN_LEGEND, title: 'url' } },
  } as const;
  const spec: TopLevelSpec = {
    $schema: SCHEMA,
    width: CHART_WIDTH,
    height: CHART_HEIGHT,
    layer: [
      { data: { values: fitted }, mark: 'line', encoding },
      { data: { values: measured }, mark: { type: 'point', filled: true, size: 60 }, encoding },
    ],
  };
  return { title: `Cost model: p${FIT_PERCENTILE * PERCENT} latency by batch size (points), fitted a + b * n (line)`, spec };
}

/** Title, settings, tables and charts of the HTML report. */
export function reportContent(result: LoadtestResult, histograms: ReadonlyMap<string, readonly HistogramBin[]>): ReportContent {
  const { options } = result;
  const table = summaryTable(result);
  const tables: ReportTable[] = [{ title: 'Summary (measuring window of each run)', columns: table.columns, rows: table.rows }];
  const loop = options.rate === undefined
    ? `closed loop, ${options.concurrency} clients`
    : `open loop, ${options.rate} requests/s over ${options.concurrency} connections per origin`;
  const bound = [
    ...(options.durationS === undefined ? [] : [`${options.durationS} s`]),
    ...(options.texts === undefined ? [] : [`${options.texts} texts`]),
  ].join(' or ');
  const charts = [throughputChart(result), latencyChart(result), histogramChart(result, histograms)];
  if (result.sweeps.length > 0) charts.push(costModelChart(result));
  return {
    title: 'Embedding load test',
    intro: [
      `Started ${result.startedAt}. ${loop}; each run ${bound} after a ${options.warmupS} s warm-up; ${result.textDescription}.`,
      'URLs run one after another, never at the same time. Latency counts from when a request was due (open loop) or sent (closed loop) to its whole answer.',
      ...costModelLines(result.sweeps),
    ],
    tables,
    charts,
  };
}
