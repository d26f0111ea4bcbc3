/**
 * Markdown tables of benchmark numbers, readable both rendered and in a terminal (columns padded).
 * Pure: values in, text out.
 */
import type { LoadResult } from './load-loop';
import { SETUPS, WORKLOADS, type Cell, type CellCpu } from './workloads';

/** What a missing or non-finite figure shows as. */
export const NOT_AVAILABLE = 'n/a';

/** `value` with `digits` decimals and thousands separators; "n/a" when missing or not finite. */
export function formatNumber(value: number | undefined, digits = 0): string {
  if (value === undefined || !Number.isFinite(value)) return NOT_AVAILABLE;
  return value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

/** A signed difference: `+0.42`, `-1.10`. */
export function formatSigned(value: number | undefined, digits = 2): string {
  if (value === undefined || !Number.isFinite(value)) return NOT_AVAILABLE;
  return `${value >= 0 ? '+' : ''}${formatNumber(value, digits)}`;
}

/** Latency with a precision that suits its size: 0.84, 12.3, 657. */
export function formatMs(value: number | undefined): string {
  if (value === undefined || !Number.isFinite(value)) return NOT_AVAILABLE;
  const LARGE_MS = 100;
  const MEDIUM_MS = 10;
  return formatNumber(value, value >= LARGE_MS ? 0 : value >= MEDIUM_MS ? 1 : 2);
}

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

const NUMERIC_CELL = /^(?:[-+]?[\d,.]+|n\/a)$/;

/** A Markdown table; columns of numbers are right-aligned. */
export function markdownTable(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  const escape = (cell: string): string => cell.replaceAll('|', '\\|');
  const body = rows.map((row) => headers.map((_, column) => escape(row[column] ?? '')));
  const head = headers.map(escape);
  const widths = head.map((header, column) => Math.max(3, header.length, ...body.map((row) => (row[column] ?? '').length)));
  const numeric = head.map((_, column) =>
    body.length > 0 && body.every((row) => NUMERIC_CELL.test(row[column] ?? '')));
  const line = (cells: readonly string[]): string =>
    `| ${cells.map((cell, column) => (numeric[column] ? cell.padStart(widths[column] ?? 0) : cell.padEnd(widths[column] ?? 0))).join(' | ')} |`;
  const rule = `| ${widths.map((width, column) => (numeric[column] ? `${'-'.repeat(width - 1)}:` : '-'.repeat(width))).join(' | ')} |`;
  return [line(head), rule, ...body.map(line)].join('\n');
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
  return markdownTable(headers, rows);
}
