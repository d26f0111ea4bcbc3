/**
 * Writes a session's report.json and report.html (the IO edge of the report modules).
 */
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeReportFiles } from '../report/report-files';
import { reportContent } from './loadtest-charts';
import { reportJson } from './loadtest-report';
import type { LoadtestResult } from './loadtest-session';
import { sharedHistograms } from './loadtest-stats';

/** Bars per histogram: fine enough to show two modes, coarse enough to read. */
const HISTOGRAM_BINS = 40;

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
  const written = await writeReportFiles(dir, 'report', { json: reportJson(result, histograms), html: reportContent(result, histograms) });
  return { dir, json: written.json ?? '', html: written.html ?? '' };
}
