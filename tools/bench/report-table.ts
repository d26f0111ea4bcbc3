/**
 * The dispatch benchmark's results table and the cells' error and CPU figures. Pure: values in,
 * text out (the table writer and number formats are tools/report/tables.ts).
 */
import { formatMs, formatNumber, formatTable, NOT_AVAILABLE } from '../report/tables';
import type { LoadResult } from './load-loop';
import { SETUPS, WORKLOADS, type Cell, type CellCpu, type SetupId } from './workloads';

/** `0`, or the total and its kinds: `12 (status 503: 10, ECONNRESET: 2)`; unfinished requests too. */
export function formatErrors(result: LoadResult): string {
  const kinds = Object.entries(result.errors).sort(([, a], [, b]) => b - a).map(([kind, count]) => `${kind}: ${count}`);
  if (result.unfinished > 0) kinds.push(`cut off at the end: ${result.unfinished}`);
  const total = result.errorCount + result.unfinished;
  return kinds.length === 0 ? '0' : `${total} (${kinds.join(', ')})`;
}

/**
 * `lg 85 · sim 30 · proxy 95 · other 10`: percent of one core per process group, and what the rest
 * of the machine used meanwhile (other processes, kernel network work): the cell's competition.
 */
export function formatCpu(cpu: CellCpu): string {
  const part = (label: string, value: number | undefined): string | undefined =>
    value === undefined ? undefined : `${label} ${formatNumber(value)}`;
  const ours = (cpu.loadGenerator ?? 0) + (cpu.simulators ?? 0) + (cpu.proxy ?? 0);
  const other = cpu.machine === undefined ? undefined : Math.max(0, cpu.machine - ours);
  const parts = [part('lg', cpu.loadGenerator), part('sim', cpu.simulators), part('proxy', cpu.proxy), part('other', other)];
  const shown = parts.filter((text): text is string => text !== undefined);
  return shown.length === 0 ? NOT_AVAILABLE : shown.join(' · ');
}

const MICROS_PER_S = 1_000_000;
const PERCENT = 100;

/**
 * CPU microseconds a process group spent per request: its share of a core over the window
 * (utime + stime deltas from /proc) divided by the requests it served per second.
 */
export function cpuPerRequestUs(percentOfCore: number, requestsPerS: number): number | undefined {
  return requestsPerS > 0 ? (percentOfCore / PERCENT) * MICROS_PER_S / requestsPerS : undefined;
}

const ratioText = (a: number | undefined, b: number | undefined): string =>
  (a === undefined || b === undefined ? NOT_AVAILABLE : `${(a / b).toFixed(2)}x`);

/**
 * Per workload, nginx's and the front door's CPU per request from the same run, and their ratio
 * (and the baseline front door's and the plain Node proxy's, when the run had them); then the
 * front door's split between its main thread and its other threads (V8's garbage collection
 * mostly, which a CPU profile does not see), when /proc could tell.
 */
export function cpuPerRequestTable(cells: readonly Cell[]): string {
  const perRequest = (workload: string, setup: SetupId): number | undefined => {
    const cell = cells.find((entry) => entry.workload === workload && entry.setup === setup);
    return cell?.result === undefined || cell.cpu.proxy === undefined ? undefined : cpuPerRequestUs(cell.cpu.proxy, cell.result.requestsPerS);
  };
  const withBaseline = cells.some((cell) => cell.setup === 'baseline');
  const withNodeProxy = cells.some((cell) => cell.setup === 'nodeProxy');
  const split = (workload: string): string | undefined => {
    const cell = cells.find((entry) => entry.workload === workload && entry.setup === 'frontDoor');
    const { proxy, proxyMainThread } = cell?.cpu ?? {};
    if (cell?.result === undefined || proxy === undefined || proxyMainThread === undefined) return undefined;
    const main = cpuPerRequestUs(proxyMainThread, cell.result.requestsPerS);
    const all = cpuPerRequestUs(proxy, cell.result.requestsPerS);
    return main === undefined || all === undefined ? undefined : `${formatNumber(main)} + ${formatNumber(Math.max(0, all - main))}`;
  };
  const withSplit = cells.some((cell) => cell.setup === 'frontDoor' && cell.cpu.proxyMainThread !== undefined);
  const rows = WORKLOADS.flatMap((workload) => {
    const nginx = perRequest(workload.id, 'nginx');
    const frontDoor = perRequest(workload.id, 'frontDoor');
    if (nginx === undefined && frontDoor === undefined) return [];
    const row = [workload.id, formatNumber(nginx), formatNumber(frontDoor), ratioText(frontDoor, nginx)];
    if (withBaseline) {
      const baseline = perRequest(workload.id, 'baseline');
      row.push(formatNumber(baseline), ratioText(baseline, nginx));
    }
    if (withNodeProxy) {
      const nodeProxy = perRequest(workload.id, 'nodeProxy');
      row.push(formatNumber(nodeProxy), ratioText(frontDoor, nodeProxy));
    }
    if (withSplit) row.push(split(workload.id) ?? NOT_AVAILABLE);
    return [row];
  });
  const headers = ['workload', 'nginx µs CPU/req', 'front door µs CPU/req', 'front door / nginx'];
  if (withBaseline) headers.push('baseline µs CPU/req', 'baseline / nginx');
  if (withNodeProxy) headers.push('plain Node proxy µs CPU/req', 'front door / plain Node');
  if (withSplit) headers.push('front door: main thread + other threads');
  return formatTable(headers, rows);
}

/** The main table: one row per workload and setup. */
export function resultsTable(cells: readonly Cell[]): string {
  const headers = ['workload', 'setup', 'chunks/s', 'req/s', 'p50 ms', 'p90 ms', 'p99 ms', 'errors', 'CPU % of a core'];
  const rows = WORKLOADS.flatMap((workload) =>
    cells
      .filter((cell) => cell.workload === workload.id)
      .map((cell) => {
        const result = cell.result;
        if (result === undefined) {
          return [workload.id, SETUPS[cell.setup], NOT_AVAILABLE, NOT_AVAILABLE, NOT_AVAILABLE, NOT_AVAILABLE, NOT_AVAILABLE, `skipped: ${cell.skipped ?? 'unknown'}`, ''];
        }
        return [
          workload.id,
          SETUPS[cell.setup],
          formatNumber(result.chunksPerS),
          formatNumber(result.requestsPerS),
          formatMs(result.latencyMs.p50),
          formatMs(result.latencyMs.p90),
          formatMs(result.latencyMs.p99),
          formatErrors(result),
          formatCpu(cell.cpu),
        ];
      }));
  return formatTable(headers, rows);
}
