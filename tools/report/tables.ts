/**
 * Tables and figures as text, for every tool's terminal output and Markdown results: one table
 * writer (padded columns, numbers right-aligned) in two styles, and the number formats they use.
 * Pure: values in, text out.
 */

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

const LARGE_MS = 100;
const MEDIUM_MS = 10;

/** Latency with a precision that suits its size: 0.84, 12.3, 657. */
export function formatMs(value: number | undefined): string {
  if (value === undefined || !Number.isFinite(value)) return NOT_AVAILABLE;
  return formatNumber(value, value >= LARGE_MS ? 0 : value >= MEDIUM_MS ? 1 : 2);
}

/** How a table is drawn: Markdown (pipes, alignment row) or plain text for a terminal. */
export type TableStyle = 'markdown' | 'text';

const NUMERIC_CELL = /^(?:[-+]?[\d,.]+|n\/a)$/;
const TEXT_COLUMN_GAP = '  ';
/** Markdown wants at least three dashes in an alignment cell. */
const MIN_MARKDOWN_WIDTH = 3;

/**
 * A table readable both rendered and in a terminal: columns padded, columns of numbers
 * right-aligned. `text` draws a dashed rule under the header and no pipes.
 */
export function formatTable(headers: readonly string[], rows: readonly (readonly (string | number)[])[], style: TableStyle = 'markdown'): string {
  const markdown = style === 'markdown';
  const escape = (cell: string): string => (markdown ? cell.replaceAll('|', '\\|') : cell);
  const body = rows.map((row) => headers.map((_, column) => escape(String(row[column] ?? ''))));
  const head = headers.map(escape);
  const minWidth = markdown ? MIN_MARKDOWN_WIDTH : 0;
  const widths = head.map((header, column) => Math.max(minWidth, header.length, ...body.map((row) => (row[column] ?? '').length)));
  const numeric = head.map((_, column) => body.length > 0 && body.every((row) => NUMERIC_CELL.test(row[column] ?? '')));
  const pad = (cell: string, column: number): string =>
    (numeric[column] ? cell.padStart(widths[column] ?? 0) : cell.padEnd(widths[column] ?? 0));
  if (!markdown) {
    const line = (cells: readonly string[]): string => cells.map(pad).join(TEXT_COLUMN_GAP).trimEnd();
    return [line(head), line(widths.map((width) => '-'.repeat(width))), ...body.map(line)].join('\n');
  }
  const line = (cells: readonly string[]): string => `| ${cells.map(pad).join(' | ')} |`;
  const rule = `| ${widths.map((width, column) => (numeric[column] ? `${'-'.repeat(width - 1)}:` : '-'.repeat(width))).join(' | ')} |`;
  return [line(head), rule, ...body.map(line)].join('\n');
}
