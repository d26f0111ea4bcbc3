/**
 * What `npm run loadtest` shows a user: the per-second series and the chart specs built from it
 * (no partial last second drawn as a drop, p50 and p99 told apart in the legend, whole-number
 * ticks, charts as wide as the page), req/s that counts good answers only, and a run against a
 * dead URL that says plainly that nothing answered, in the table, the reports and the exit code.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import type { TopLevelSpec } from 'vega-lite';
import { OK_OUTCOME, type LoadRecord, type RequestSample } from '../../tools/load/load-engine';
import { okLatencies, summarizeRun } from '../../tools/load/load-summary';
import { reportContent } from '../../tools/loadtest/loadtest-charts';
import { nothingAnswered } from '../../tools/loadtest/loadtest-failures';
import { parseLoadtestArgs, type LoadtestOptions } from '../../tools/loadtest/loadtest-options';
import { writeLoadtestReports } from '../../tools/loadtest/loadtest-output';
import { formatTextReport, summaryTable } from '../../tools/loadtest/loadtest-report';
import { runLoadtest, type LoadtestResult, type RunResult, type SweepResult } from '../../tools/loadtest/loadtest-session';
import { sharedHistograms, timeSeries } from '../../tools/loadtest/loadtest-stats';
import { generatedTexts } from '../../tools/loadtest/loadtest-texts';
import { REPORT_CONTENT_WIDTH_PX, renderHtmlReport, renderSvg } from '../../tools/report/html-report';
import { createUndiciTransport } from '../../shared/upstream/undici-transport';
import { startDjlSimulator } from '../../tools/djl-simulator/djl-simulator';
import { deadPort } from '../helpers/dead-port';

const run = promisify(execFile);
const URL_A = 'http://cpu.test:8080/predictions/all_MiniLM_L6_v2';
const URL_B = 'http://gpu.test:8080/predictions/all_MiniLM_L6_v2';
const TEXTS = 4;
const HISTOGRAM_BINS = 10;
/** Short vectors from the simulator: reading answers then costs next to nothing. */
const SHORT_VECTORS = 8;

function optionsOf(argv: readonly string[]): LoadtestOptions {
  const parsed = parseLoadtestArgs(argv);
  if (parsed.kind !== 'run') throw new Error(`bad test flags: ${JSON.stringify(parsed)}`);
  return parsed.options;
}

/** A request of {@link TEXTS} texts that finished `endMs` into the window, 50 ms after it was sent. */
const sample = (endMs: number, outcome: string = OK_OUTCOME): RequestSample =>
  ({ startMs: endMs - 50, lagMs: 0, endMs, texts: TEXTS, outcome, inWindow: true });

/** Answers every `stepMs` up to `untilMs`, each in the middle of its step (none on a second's edge). */
const steadyAnswers = (untilMs: number, stepMs: number, outcome: string = OK_OUTCOME): RequestSample[] =>
  Array.from({ length: Math.floor(untilMs / stepMs) }, (_, index) => sample((index + 0.5) * stepMs, outcome));

const recordOf = (windowMs: number, samples: readonly RequestSample[]): LoadRecord =>
  ({ windowMs, samples, unfinished: 0, peakInFlight: 1, firstErrors: {} });

function runOf(url: string, record: LoadRecord, batch = TEXTS): RunResult {
  const summary = summarizeRun(record);
  const problem = nothingAnswered(url, summary, record.firstErrors);
  return {
    label: url, url, dialect: 'djl', batch, concurrency: 2, rate: undefined,
    summary, series: timeSeries(record), latencies: okLatencies(record), ...(problem === undefined ? {} : { problem }),
  };
}

function resultOf(runs: readonly RunResult[], sweeps: readonly SweepResult[] = []): LoadtestResult {
  return {
    startedAt: '2025-01-01T00:00:00.000Z', options: optionsOf(['--url', URL_A, '--url', URL_B, '--duration', '2.5']),
    textDescription: 'test texts', runs, sweeps,
  };
}

function chartsOf(result: LoadtestResult) {
  const histograms = sharedHistograms(new Map(result.runs.map((r) => [r.label, r.latencies])), HISTOGRAM_BINS);
  return reportContent(result, histograms).charts;
}

function chart(result: LoadtestResult, titleStart: string): TopLevelSpec {
  const found = chartsOf(result).find((item) => item.title.startsWith(titleStart));
  assert.ok(found !== undefined, `a chart titled ${titleStart}...`);
  return found.spec;
}

/** The spec's own data, or the first layer's (a cost-model chart is layered). */
function valuesOf(spec: TopLevelSpec): Record<string, unknown>[] {
  const data = (spec as { data?: { values?: Record<string, unknown>[] } }).data;
  return data?.values ?? [];
}

const encodingOf = (spec: TopLevelSpec): any => (spec as any).encoding ?? (spec as any).layer[0].encoding;

/** The labels of a rendered chart's x axis, as drawn. */
function xAxisLabels(svg: string): string[] {
  const start = svg.indexOf('aria-label="X-axis');
  assert.ok(start >= 0, 'the chart has an x axis');
  const axis = svg.slice(start, svg.indexOf('role-axis-title', start));
  const labels = axis.slice(axis.indexOf('role-axis-label'));
  return [...labels.matchAll(/<text[^>]*>([^<]*)<\/text>/g)].map((match) => match[1] ?? '');
}

/** A 2.5 s window answered every 100 ms (40 texts a second), and one whose every request failed. */
function twoRuns(): LoadtestResult {
  return resultOf([
    runOf(URL_A, recordOf(2_500, steadyAnswers(2_500, 100))),
    runOf(URL_B, { ...recordOf(2_500, steadyAnswers(2_500, 100, 'connect')), firstErrors: { connect: 'connection refused' } }),
  ]);
}

describe('loadtest per-second series', () => {
  test('a last partial second is left out, not drawn as a drop or a spike', () => {
    // 2.5 s: two whole seconds, then half of one. Scaled, that half is noisy; empty, it reads as an outage.
    const series = timeSeries(recordOf(2_500, steadyAnswers(2_500, 100)));
    assert.deepEqual(series.map((point) => point.t), [0, 1]);
    assert.deepEqual(series.map((point) => point.chunksPerS), [10 * TEXTS, 10 * TEXTS]);
  });

  test('a window a rounding error past whole seconds opens no empty bucket', () => {
    // A 3 s window measured as (start + 3000) - start, as the load engine does: a few ulps over.
    const windowStartMs = 30_760.31355055091;
    const windowMs = (windowStartMs + 3_000) - windowStartMs;
    assert.ok(windowMs > 3_000, 'the rounding this test is about');
    const series = timeSeries(recordOf(windowMs, steadyAnswers(3_000, 100)));
    assert.deepEqual(series.map((point) => point.t), [0, 1, 2]);
    for (const point of series) assert.equal(point.chunksPerS, 10 * TEXTS, `second ${point.t}`);
  });

  test('a window shorter than a second is one point at the run\'s own rate', () => {
    const series = timeSeries(recordOf(500, steadyAnswers(500, 100)));
    assert.equal(series.length, 1);
    assert.equal(series[0]?.chunksPerS, (5 * TEXTS) / 0.5);
  });

  test('failed requests are errors of their second, not requests per second', () => {
    const samples = [...steadyAnswers(1_000, 100), ...steadyAnswers(1_000, 10, '503')];
    const [only] = timeSeries(recordOf(1_000, samples));
    assert.equal(only?.requestsPerS, 10);
    assert.equal(only?.errors, 100);
  });
});

describe('loadtest figures: req/s counts good answers only', () => {
  test('the summary and the table leave failures out of req/s and show them as errors', () => {
    // 10 good answers and 90 failures in one second: 10 req/s, not 100.
    const samples = [...steadyAnswers(1_000, 100), ...steadyAnswers(900, 10, '503')];
    const result = resultOf([runOf(URL_A, recordOf(1_000, samples))]);
    const [only] = result.runs;
    assert.equal(only?.summary.requestsPerS, 10);
    assert.equal(only?.summary.requests, 100);
    assert.equal(only?.summary.errorCount, 90);

    const table = summaryTable(result);
    const cell = (column: string): string | undefined => table.rows[0]?.[table.columns.indexOf(column)];
    assert.ok(!table.columns.includes('req/s'), 'the rate column says it counts good answers');
    assert.equal(cell('ok req/s'), '10.0');
    assert.equal(cell('requests'), '100');
    assert.equal(cell('errors'), '503 x90 (90.0%)');
  });
});

describe('loadtest charts', () => {
  test('the throughput chart has no point for the partial last second, and no drop to zero', () => {
    const values = valuesOf(chart(twoRuns(), 'Throughput'));
    const answered = values.filter((value) => value.run === URL_A);
    assert.deepEqual(answered.map((value) => value.t), [0, 1]);
    assert.ok(answered.every((value) => value.chunksPerS === 10 * TEXTS), JSON.stringify(answered));
  });

  test('the latency legend names p50 and p99 and draws them as different lines', async () => {
    const spec = chart(twoRuns(), 'Latency over time');
    const dash = encodingOf(spec).strokeDash;
    assert.equal(dash.field, 'percentile');
    assert.deepEqual(dash.scale.domain, ['p50', 'p99']);
    assert.notDeepEqual(dash.scale.range[0], dash.scale.range[1], 'p50 and p99 dash differently');
    assert.equal(dash.legend.title, 'percentile');
    assert.equal(dash.legend.symbolType, 'stroke', 'the legend shows each line, not a dot');
    assert.deepEqual([...new Set(valuesOf(spec).map((value) => value.percentile))], ['p50', 'p99']);

    const svg = await renderSvg(spec);
    const legendStart = svg.indexOf("legend titled 'percentile'");
    assert.ok(legendStart >= 0, 'a percentile legend is drawn');
    const legend = svg.slice(legendStart, svg.indexOf('role-legend-title', legendStart));
    assert.deepEqual([...legend.matchAll(/role-legend-label[^>]*>\s*<text[^>]*>([^<]*)</g)].map((match) => match[1]), ['p50', 'p99']);
    const symbols = [...legend.matchAll(/<path[^>]*d="M-10,0L10,0"[^>]*>/g)].map((match) => match[0]);
    assert.equal(symbols.length, 2, 'one line segment per percentile');
    assert.ok(symbols.every((symbol) => /stroke="#/.test(symbol)), `the segments are visible: ${symbols.join(' ')}`);
    const dashes = symbols.map((symbol) => /stroke-dasharray="([^"]*)"/.exec(symbol)?.[1]);
    assert.notEqual(dashes[0], dashes[1], `p50 and p99 look different in the legend: ${dashes.join(' vs ')}`);
  });

  test('time and batch-size axes tick at whole numbers only', async () => {
    const sweepRuns = [1, 2, 3].map((batch) => runOf(`${URL_A} @ batch ${batch}`, recordOf(2_000, steadyAnswers(2_000, 100)), batch));
    const sweep: SweepResult = {
      url: URL_A, points: [1, 2, 3].map((batch) => ({ batch, fitMs: 10 + 2 * batch, p50Ms: 11 + 2 * batch })),
      fit: { a: 10, b: 2, r2: 1, points: 3 },
    };
    const result = resultOf(sweepRuns, [sweep]);
    for (const title of ['Throughput', 'Latency over time', 'Cost model']) {
      const spec = chart(result, title);
      assert.deepEqual(encodingOf(spec).x.axis, { tickMinStep: 1, format: 'd' }, title);
      const labels = xAxisLabels(await renderSvg(spec));
      assert.ok(labels.length >= 2 && labels.every((label) => /^\d+$/.test(label)), `${title}: x ticks ${labels.join(', ')}`);
    }
  });

  test('charts are drawn as wide as the page and shrink with it', async () => {
    const result = twoRuns();
    for (const item of chartsOf(result)) {
      const spec = item.spec as any;
      if (spec.encoding?.facet !== undefined) {
        // One panel per run, side by side: the panels and the gaps between them fill the page.
        const columns = Math.min(spec.encoding.facet.columns, result.runs.length);
        assert.ok(spec.width * columns + spec.spacing * (columns - 1) <= REPORT_CONTENT_WIDTH_PX, item.title);
        assert.ok(spec.width * columns >= REPORT_CONTENT_WIDTH_PX * 0.8, `${item.title}: panels of ${spec.width} px`);
      } else {
        assert.equal(spec.width, REPORT_CONTENT_WIDTH_PX, item.title);
        assert.deepEqual(spec.autosize, { type: 'fit-x', contains: 'padding' }, item.title);
      }
    }
    const html = await renderHtmlReport(reportContent(result, new Map()));
    const svgTags = html.match(/<svg[^>]*>/g) ?? [];
    assert.ok(svgTags.length >= 2);
    for (const tag of svgTags) assert.match(tag, /viewBox="0 0 [\d.]+ [\d.]+"/, 'a viewBox lets CSS scale the drawing');
    assert.ok(svgTags.some((tag) => tag.includes(`width="${REPORT_CONTENT_WIDTH_PX}"`)), 'single-panel charts are exactly the page wide');
    assert.match(html, /figure svg\{[^}]*max-width:100%[^}]*height:auto/);
    assert.match(html, new RegExp(`max-width:${REPORT_CONTENT_WIDTH_PX}px`));
  });
});

describe('loadtest against a URL where nothing answers', () => {
  let outDir: string;
  before(async () => {
    outDir = await mkdtemp(join(tmpdir(), 'loadtest-report-test-'));
  });
  after(async () => {
    await rm(outDir, { recursive: true, force: true });
  });

  test('the words say why: refused, HTTP statuses, unanswered, nothing at all', () => {
    const summary = (figures: Partial<ReturnType<typeof summarizeRun>>) => ({ ...summarizeRun(recordOf(1_000, [])), ...figures });
    assert.equal(nothingAnswered(URL_A, summary({ okRequests: 1, requests: 1 }), {}), undefined);
    assert.equal(nothingAnswered(URL_A, summary({ requests: 7, errorCount: 7, errors: { connect: 7 } }), { connect: 'connection refused' }),
      `nothing answered: connection refused at ${URL_A} (connect x7)`);
    assert.equal(nothingAnswered(URL_A, summary({ requests: 5, errorCount: 5, errors: { 503: 3, 500: 2 } }), {}),
      `nothing answered well: HTTP 503, HTTP 500 at ${URL_A} (503 x3, 500 x2)`);
    assert.equal(nothingAnswered(URL_A, summary({ unfinished: 4 }), {}),
      `nothing answered: 4 request(s) still unanswered when the run ended at ${URL_A}`);
    assert.equal(nothingAnswered(URL_A, summary({}), {}), `nothing answered: no request finished inside the measuring window at ${URL_A}`);
  });

  test('a real run against a closed loopback port reports that nothing answered, at 0 req/s', async () => {
    const url = `http://127.0.0.1:${await deadPort()}/predictions/all_MiniLM_L6_v2`;
    // Only answers inside the window count: 1.5 s leaves room for event-loop stalls on a loaded
    // machine (at 0.3 s a stalled loop sometimes saw none). The CLI test below runs as long.
    const options = optionsOf(['--url', url, '--duration', '1.5', '--warmup', '0', '--batch', '2', '--concurrency', '2']);
    const transport = createUndiciTransport({ connectionsPerOrigin: options.concurrency });
    let result: LoadtestResult;
    try {
      result = await runLoadtest(options, { texts: generatedTexts(20), transport });
    } finally {
      await transport.close();
    }
    const [only] = result.runs;
    assert.ok(only !== undefined);
    assert.ok(only.summary.errorCount > 0, 'requests were made and failed');
    assert.equal(only.summary.requestsPerS, 0, 'failures are not throughput');
    const plainly = `nothing answered: connection refused at ${url}`;
    assert.ok(only.problem?.startsWith(plainly), only.problem);
    assert.ok(formatTextReport(result).includes(plainly), 'the printed report says it');

    const written = await writeLoadtestReports(result, join(outDir, 'dead'));
    const html = await readFile(written.html, 'utf8');
    assert.match(html, new RegExp(`<p class="warning" role="alert">${plainly.replace(/[.]/g, '\\.')}`));
    const json = JSON.parse(await readFile(written.json, 'utf8'));
    assert.ok(json.runs[0].problem.startsWith(plainly));
  });

  test('the CLI prints it and exits 1 even when another URL answered, the reports still written', async () => {
    const sim = await startDjlSimulator({ workers: 2, baseMs: 5, perItemMs: 1, dimension: SHORT_VECTORS });
    const url = `http://127.0.0.1:${await deadPort()}/predictions/all_MiniLM_L6_v2`;
    const out = join(outDir, 'cli');
    try {
      const failed = await run(process.execPath, [
        '--import', 'tsx', 'tools/loadtest/main.ts', '--url', sim.predictionsUrl, '--url', url,
        '--duration', '1.5', '--warmup', '0', '--batch', '2', '--dimension', String(SHORT_VECTORS), '--chunk-chars', '20', '--out', out,
      ]).then(() => assert.fail('a run where nothing answered must not exit 0'), (error: { code?: number; stdout?: string }) => error);
      assert.equal(failed.code, 1, 'one URL that measured nothing fails the session');
      assert.ok(failed.stdout?.includes(`nothing answered: connection refused at ${url}`), failed.stdout);
      const json = JSON.parse(await readFile(join(out, 'report.json'), 'utf8'));
      assert.ok(json.runs[0].summary.okRequests > 0, 'the other URL was measured');
      assert.equal(json.runs[0].problem, undefined);
      assert.equal(json.runs[1].summary.okRequests, 0);
    } finally {
      await sim.close();
    }
  });
});
