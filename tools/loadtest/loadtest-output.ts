/**
 * Writes a session's report.json and report.html (the IO edge of the report modules).
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { renderHtmlReport } from '../report/html-report';
import { reportContent } from './loadtest-charts';
import { reportJson } from './loadtest-report';
import type { LoadtestResult } from './loadtest-session';
import { sharedHistograms } from './loadtest-stats';

/** Bars per histogram: fine enough to show two modes, coarse enough to read. */
const HISTOGRAM_BINS = 40;
const JSON_INDENT = 2;

/** Where the reports went. */
export interface WrittenReports {
  readonly dir: string;
  readonly json: string;
  readonly html: string;
}

/** `<os tmp>/loadtest-results/<timestamp>`: a default that never lands in the repository. */
export function defaultOutDir(startedAt: string): string {
  return join(tmpdir(), 'loadtest-results', startedAt.replace(/[:.]/g, '-'));
}

/** Writes both files into `dir` (created if missing). */
export async function writeLoadtestReports(result: LoadtestResult, dir: string): Promise<WrittenReports> {
  const histograms = sharedHistograms(new Map(result.runs.map((run) => [run.label, run.latencies])), HISTOGRAM_BINS);
  await mkdir(dir, { recursive: true });
  const json = join(dir, 'report.json');
  const html = join(dir, 'report.html');
  await writeFile(json, `${JSON.stringify(reportJson(result, histograms), null, JSON_INDENT)}\n`);
  await writeFile(html, await renderHtmlReport(reportContent(result, histograms)));
  return { dir, json, html };
}
