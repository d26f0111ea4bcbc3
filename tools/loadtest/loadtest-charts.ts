/**
 * The HTML report's content: the summary table and one Vega-Lite chart per metric, every run a
 * colour (or, for the histogram, a panel) so URLs compare side by side. Pure: specs with their
 * data inline; tools/report/html-report.ts renders them, each as wide as the page.
 */
import type { TopLevelSpec } from 'vega-lite';
import { REPORT_CONTENT_WIDTH_PX, type ReportChart, type ReportContent, type ReportTable } from '../report/html-report';
import { costModelLines, runProblems, summaryTable } from './loadtest-report';
import { FIT_PERCENTILE, type LoadtestResult } from './loadtest-session';
import type { HistogramBin } from './loadtest-stats';

const CHART_HEIGHT = 240;
const RUN_LEGEND = { title: 'run', orient: 'bottom', columns: 1, labelLimit: 600 } as const;
const PERCENT = 100;
const SCHEMA = 'https://vega.github.io/schema/vega-lite/v6.json';
/**
 * Every single-panel chart is exactly the page's width, axes and legend included: the page then
 * shows it at its natural size, never stretched or cut.
 */
const FIT_PAGE = { width: REPORT_CONTENT_WIDTH_PX, autosize: { type: 'fit-x', contains: 'padding' } } as const;
/**
 * Axis ticks at whole numbers only: seconds of the window (one point per whole second) and batch
 * sizes are counts, so `0.5` between them would name something that was never measured.
 */
const WHOLE_TICKS = { tickMinStep: 1, format: 'd' } as const;

/** How the two latency percentiles are told apart: p50 a solid line, p99 a dashed one. */
const PERCENTILES = ['p50', 'p99'] as const;
const PERCENTILE_DASHES = [[1, 0], [6, 4]] as const;
/**
 * The percentile legend draws a line segment per entry, so its dashes show: the default, a dot
 * per entry (the line's points), looks the same for both. Its stroke is set here since Vega-Lite
 * makes a line-with-points legend's stroke transparent, and `symbolStrokeColor` loses to that.
 */
const PERCENTILE_LEGEND = {
  title: 'percentile', symbolType: 'stroke', symbolStrokeWidth: 2, symbolSize: 400,
  encode: { symbols: { update: { stroke: { value: '#333' } } } },
} as const;

/** Histogram panels per row; each is as wide as a row of that many fits on the page. */
const HISTOGRAM_COLUMNS = 4;
/** Room a histogram row leaves for the y axis and its title, and between panels (Vega-Lite's default spacing), px. */
const HISTOGRAM_AXIS_PX = 70;
const FACET_SPACING_PX = 20;
/** About how wide a character of a panel's header is at {@link HEADER_FONT_SIZE}, px. */
const HEADER_CHAR_PX = 8;
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
    ...FIT_PAGE,
    height: CHART_HEIGHT,
    data: { values: [...values] },
    mark: { type: 'line', point: true },
    encoding: {
      x: { field: 't', type: 'quantitative', title: 'seconds into the window', axis: WHOLE_TICKS },
      y: { field: y.field, type: 'quantitative', title: y.title },
      color: { field: 'run', type: 'nominal', legend: RUN_LEGEND, sort: runOrder(result) },
      ...extraEncoding,
    },
  };
}

function throughputChart(result: LoadtestResult): ReportChart {
  const values = result.runs.flatMap((run) => run.series.map((point) => ({ run: run.label, t: point.t, chunksPerS: point.chunksPerS })));
  const spec = runLines(result, values, { field: 'chunksPerS', title: 'chunks/s' });
  return { title: 'Throughput over time (chunks embedded per whole second; a last partial second is left out)', spec };
}

function latencyChart(result: LoadtestResult): ReportChart {
  const values = result.runs.flatMap((run) => run.series.flatMap((point) => [
    ...(finite(point.p50Ms) ? [{ run: run.label, t: point.t, percentile: 'p50', ms: point.p50Ms }] : []),
    ...(finite(point.p99Ms) ? [{ run: run.label, t: point.t, percentile: 'p99', ms: point.p99Ms }] : []),
  ]));
  const percentile = { field: 'percentile', type: 'nominal', sort: [...PERCENTILES], legend: PERCENTILE_LEGEND } as const;
  const spec = runLines(result, values, { field: 'ms', title: 'latency (ms)' }, {
    strokeDash: { ...percentile, scale: { domain: [...PERCENTILES], range: PERCENTILE_DASHES.map((dash) => [...dash]) } },
  });
  return { title: 'Latency over time (p50 solid, p99 dashed, of each whole second)', spec };
}

function histogramChart(result: LoadtestResult, histograms: ReadonlyMap<string, readonly HistogramBin[]>): ReportChart {
  const columns = Math.max(1, Math.min(HISTOGRAM_COLUMNS, histograms.size));
  const panelWidth = Math.floor((REPORT_CONTENT_WIDTH_PX - HISTOGRAM_AXIS_PX - FACET_SPACING_PX * (columns - 1)) / columns);
  const wrapped = (label: string): string => wrapLabel(label, Math.floor(panelWidth / HEADER_CHAR_PX));
  const values = [...histograms].flatMap(([label, bins]) =>
    bins.map((bin) => ({ run: wrapped(label), fromMs: bin.fromMs, toMs: bin.toMs, share: bin.share })));
  const spec: TopLevelSpec = {
    $schema: SCHEMA,
    data: { values },
    mark: 'bar',
    width: panelWidth,
    height: CHART_HEIGHT,
    spacing: FACET_SPACING_PX,
    encoding: {
      facet: {
        field: 'run', type: 'nominal', title: null, sort: runOrder(result).map(wrapped), columns,
        header: { labelLimit: panelWidth, labelFontSize: HEADER_FONT_SIZE, labelExpr: "split(datum.value, '\\n')" },
      },
      x: { field: 'fromMs', type: 'quantitative', bin: { binned: true }, title: 'latency (ms)' },
      x2: { field: 'toMs' },
      y: { field: 'share', type: 'quantitative', title: 'share of requests', axis: { format: '%' } },
    },
  };
  return { title: 'Latency histogram (one panel per run, shared bins)', spec };
}

function costModelChart(result: LoadtestResult): ReportChart {
  const measured = result.sweeps.flatMap((sweep) => sweep.points.map((point) => ({ url: sweep.url, batch: point.batch, ms: point.fitMs })));
  const fitted = result.sweeps.flatMap((sweep) => {
    const fit = sweep.fit;
    if (fit === undefined) return [];
    return sweep.points.map((point) => ({ url: sweep.url, batch: point.batch, ms: fit.a + fit.b * point.batch }));
  });
  const encoding = {
    x: { field: 'batch', type: 'quantitative', title: 'texts per request (n)', axis: WHOLE_TICKS },
    y: { field: 'ms', type: 'quantitative', title: 'latency (ms)' },
    color: { field: 'url', type: 'nominal', legend: { ...RUN_LEGEND, title: 'url' } },
  } as const;
  const spec: TopLevelSpec = {
    $schema: SCHEMA,
    ...FIT_PAGE,
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
    warnings: runProblems(result),
    intro: [
      `Started ${result.startedAt}. ${loop}; each run ${bound} after a ${options.warmupS} s warm-up; ${result.textDescription}.`,
      'URLs run one after another, never at the same time. Latency counts from when a request was due (open loop) or sent (closed loop) to its whole answer.',
      ...costModelLines(result.sweeps),
    ],
    tables,
    charts,
  };
}
