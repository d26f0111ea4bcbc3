/**
 * Self-contained HTML reports with plots, for the capacity tools (`npm run loadtest`,
 * `npm run simulate`): Vega-Lite specs rendered to inline SVG in Node (no browser, no canvas, no
 * network), tables as plain HTML. The page loads nothing from anywhere.
 *
 * A pre-rendered chart has a fixed size (Vega-Lite's `width: 'container'` needs a page to measure,
 * and there is none at build time), so charts are drawn {@link REPORT_CONTENT_WIDTH_PX} wide, the
 * page's own width, and CSS scales each SVG (it has a viewBox) down with a narrower window.
 */
import type { TopLevelSpec } from 'vega-lite';

export interface ReportTable {
  readonly title: string;
  readonly columns: readonly string[];
  readonly rows: readonly (readonly (string | number)[])[];
}

export interface ReportChart {
  readonly title: string;
  /** A Vega-Lite spec with its data inline (`data: { values: [...] }`). */
  readonly spec: TopLevelSpec;
}

/**
 * The width of the page's content, px, and so of a chart that fills it: text in the SVG is then
 * at its natural size on a wide screen.
 */
export const REPORT_CONTENT_WIDTH_PX = 1200;

export interface ReportContent {
  readonly title: string;
  /** Plain-text paragraphs under the title (escaped). */
  readonly intro?: readonly string[];
  /** What the reader must not miss (a run that measured nothing), shown first, highlighted. */
  readonly warnings?: readonly string[];
  readonly tables: readonly ReportTable[];
  readonly charts: readonly ReportChart[];
}

const escapeHtml = (text: string): string =>
  text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/** Renders one Vega-Lite spec to an SVG string (vega and vega-lite are loaded on first use). */
export async function renderSvg(spec: TopLevelSpec): Promise<string> {
  const [vega, { compile }] = await Promise.all([import('vega'), import('vega-lite')]);
  const view = new vega.View(vega.parse(compile(spec).spec), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

/** The whole page, every chart inline. */
export async function renderHtmlReport(content: ReportContent): Promise<string> {
  const charts = await Promise.all(content.charts.map(async (chart) =>
    `<figure><figcaption>${escapeHtml(chart.title)}</figcaption>${await renderSvg(chart.spec)}</figure>`));
  const tables = content.tables.map((table) => [
    `<h2>${escapeHtml(table.title)}</h2>`,
    '<table>',
    `<tr>${table.columns.map((column) => `<th>${escapeHtml(column)}</th>`).join('')}</tr>`,
    ...table.rows.map((row) => `<tr>${row.map((cell) => `<td>${escapeHtml(String(cell))}</td>`).join('')}</tr>`),
    '</table>',
  ].join('\n'));
  return [
    '<!doctype html>',
    '<html lang="en"><head><meta charset="utf-8">',
    `<title>${escapeHtml(content.title)}</title>`,
    `<style>body{font-family:system-ui,sans-serif;margin:2rem;max-width:${REPORT_CONTENT_WIDTH_PX}px}table{border-collapse:collapse;margin:1rem 0}`,
    'td,th{border:1px solid #ccc;padding:.25rem .5rem;text-align:right}th{background:#f4f4f4}figure{margin:1.5rem 0}',
    // Never wider than the page: the viewBox keeps the drawing's proportions as it shrinks.
    'figure svg{display:block;max-width:100%;height:auto}',
    '.warning{border-left:.3rem solid #c62828;background:#fdecea;padding:.5rem .75rem;font-weight:600}',
    'figcaption{font-weight:600;margin-bottom:.5rem}</style></head><body>',
    `<h1>${escapeHtml(content.title)}</h1>`,
    ...(content.warnings ?? []).map((warning) => `<p class="warning" role="alert">${escapeHtml(warning)}</p>`),
    ...(content.intro ?? []).map((paragraph) => `<p>${escapeHtml(paragraph)}</p>`),
    ...tables,
    ...charts,
    '</body></html>',
  ].join('\n');
}
