/**
 * Writes a tool's results: `<name>.json`, `<name>.md` and `<name>.html` (whichever are given)
 * into one directory, created if missing. The IO edge of every report.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { renderHtmlReport, type ReportContent } from './html-report';

const JSON_INDENT = 2;

/** What to write; each one given becomes a file. */
export interface ReportFiles {
  /** Written as indented JSON. */
  readonly json?: unknown;
  readonly markdown?: string;
  /** Rendered to a self-contained page with its charts. */
  readonly html?: ReportContent;
}

/** The paths written, by kind. */
export interface WrittenFiles {
  readonly json?: string;
  readonly markdown?: string;
  readonly html?: string;
}

/** Writes `files` as `<dir>/<name>.{json,md,html}`. */
export async function writeReportFiles(dir: string, name: string, files: ReportFiles): Promise<WrittenFiles> {
  await mkdir(dir, { recursive: true });
  const written: { json?: string; markdown?: string; html?: string } = {};
  if (files.json !== undefined) {
    written.json = join(dir, `${name}.json`);
    await writeFile(written.json, `${JSON.stringify(files.json, null, JSON_INDENT)}\n`);
  }
  if (files.markdown !== undefined) {
    written.markdown = join(dir, `${name}.md`);
    await writeFile(written.markdown, files.markdown);
  }
  if (files.html !== undefined) {
    written.html = join(dir, `${name}.html`);
    await writeFile(written.html, await renderHtmlReport(files.html));
  }
  return written;
}
