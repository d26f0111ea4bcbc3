/**
 * The run's output: one table per scenario (a row per policy) as text for the terminal and as a
 * ReportTable, and the charts of the HTML report (one colour per policy).
 */
import type { TopLevelSpec } from 'vega-lite';
import type { ReportChart, ReportContent, ReportTable } from '../report/html-report';
import { formatTable } from '../report/tables';
import type { ScenarioResult } from './simulate';

const COLUMNS = ['policy', 'requests', 'p50 ms', 'p99 ms', 'over SLO', '429s', 'spilled', 'CPU inst-h', 'GPU inst-h', 'Lambda GB-h',
  'cost $', 'meets SLO'] as const;
const PERCENT = 100;

/** The summary table of a run. */
export function summaryTable(result: ScenarioResult): ReportTable {
  const { latencyMs, maxShareOver } = result.scenario.slo;
  return {
    title: `${result.scenario.name} (seed ${result.seed}; SLO: at most ${maxShareOver * PERCENT}% of requests over ${latencyMs} ms or refused)`,
    columns: COLUMNS,
    rows: result.policies.map((policy) => [
      policy.name, policy.requests, round(policy.p50Ms), round(policy.p99Ms), `${(policy.shareOverSlo * PERCENT).toFixed(2)}%`,
      policy.rejected, policy.spilled, policy.instanceHours.cpu.toFixed(1), policy.instanceHours.gpu.toFixed(1),
      policy.lambdaGbHours.toFixed(1), policy.costDollars.toFixed(2), policy.meetsSlo ? 'yes' : 'no',
    ]),
  };
}

/** A summary table as the terminal shows it: its title, then the columns. */
export function formatSummary(table: ReportTable): string {
  return `${table.title}\n${formatTable(table.columns, table.rows, 'text')}`;
}

/** The cheapest policy that meets the SLO, if any. */
export function cheapestMeetingSlo(result: ScenarioResult): string | undefined {
  const meeting = result.policies.filter((policy) => policy.meetsSlo);
  meeting.sort((x, y) => x.costDollars - y.costDollars);
  return meeting[0]?.name;
}

/** Everything the HTML report shows for the runs. */
export function reportContent(results: readonly ScenarioResult[]): ReportContent {
  return {
    title: 'Capacity simulation',
    intro: results.flatMap((result) => [
      `${result.scenario.name}: ${result.scenario.description}`,
      `Cheapest policy meeting the SLO: ${cheapestMeetingSlo(result) ?? 'none'}.`,
    ]),
    tables: results.map(summaryTable),
    charts: results.flatMap(chartsFor),
  };
}

type Row = Record<string, string | number>;

function chartsFor(result: ScenarioResult): ReportChart[] {
  const name = result.scenario.name;
  const rows = (pick: (point: ScenarioResult['policies'][number]['series'][number]) => Row[]): Row[] =>
    result.policies.flatMap((policy) => policy.series.flatMap((point) => pick(point).map((row) => ({ policy: policy.name, hour: point.hour, ...row }))));
  const offered = (result.policies[0]?.series ?? []).map((point) => ({ hour: point.hour, value: point.offeredChunksPerSecond }));
  return [
    { title: `${name}: offered load (chunks/s)`, spec: line(offered, 'chunks/s', undefined) },
    { title: `${name}: warm (solid) and cold (dashed) instances per tier`, spec: line(rows((point) => [
      { tier: 'cpu', state: 'warm', value: point.warm.cpu }, { tier: 'cpu', state: 'cold', value: point.cold.cpu },
      { tier: 'gpu', state: 'warm', value: point.warm.gpu }, { tier: 'gpu', state: 'cold', value: point.cold.gpu },
    ]), 'instances', 'tier') },
    { title: `${name}: mean queue wait per batch (ms, log scale), CPU tier (solid) and GPU tier (dashed)`, spec: line(rows((point) => [
      { tier: 'cpu', value: Math.max(1, point.queueWaitMs.cpu) }, { tier: 'gpu', value: Math.max(1, point.queueWaitMs.gpu) },
    ]), 'ms', 'tier', true) },
    { title: `${name}: spilled to the overflow tier, GPU or Lambda (chunks/s) and 429s (per second)`, spec: line(rows((point) => [
      { series: 'spilled chunks/s', value: point.spilledChunksPerSecond }, { series: '429/s', value: point.rejectedPerSecond },
    ]), 'per second', 'series') },
    ...(result.policies.some((policy) => policy.lambdaGbHours > 0) ? [{
      title: `${name}: Lambda overflow environments (busy or kept idle)`,
      spec: line(rows((point) => [{ value: point.lambdaEnvironments }]), 'environments', undefined),
    }] : []),
    { title: `${name}: cost so far ($)`, spec: line(rows((point) => [{ value: point.costDollars }]), 'dollars', undefined) },
  ];
}

function line(values: Row[], yTitle: string, dash: string | undefined, logScale = false): TopLevelSpec {
  const hasPolicy = values.some((row) => row['policy'] !== undefined);
  return {
    width: 720,
    height: 220,
    data: { values },
    mark: { type: 'line', strokeWidth: 1.5 },
    encoding: {
      x: { field: 'hour', type: 'quantitative', title: 'hours since start' },
      y: { field: 'value', type: 'quantitative', title: yTitle, ...(logScale ? { scale: { type: 'log' } } : {}) },
      ...(hasPolicy ? { color: { field: 'policy', type: 'nominal' } } : {}),
      ...(dash === undefined ? {} : { strokeDash: { field: dash, type: 'nominal' } }),
      ...(hasPolicy || dash !== undefined ? { detail: { field: dash ?? 'policy', type: 'nominal' } } : {}),
    },
  };
}

const round = (value: number): number => Math.round(value * 10) / 10;
