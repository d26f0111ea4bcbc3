/**
 * The soak benchmark's arithmetic and report: RSS read from /proc, growth after warm-up, and the
 * Markdown written to tools/bench/results/soak.md.
 */
import { readFileSync } from 'node:fs';

const KIB_PER_MIB = 1_024;
const PERCENT = 100;
/** The target: RSS may grow less than this share after warm-up. */
export const RSS_GROWTH_TARGET_PERCENT = 10;

/** One RSS reading, seconds since the load started. */
export interface RssSample {
  readonly atS: number;
  readonly rssMiB: number;
}

export interface SoakFigures {
  readonly date: string;
  readonly durationS: number;
  readonly warmupS: number;
  readonly clients: number;
  readonly textsPerRequest: number;
  readonly offeredTextsPerS: number;
  readonly capacityTextsPerS: number;
  readonly requests: number;
  readonly okRequests: number;
  readonly textsPerS: number;
  readonly errors: Readonly<Record<string, number>>;
  readonly errorCount: number;
  readonly unfinished: number;
  readonly p50Ms: number | undefined;
  readonly p99Ms: number | undefined;
  readonly frontDoorCpuPercent: number | undefined;
  readonly rssAtStartMiB: number | undefined;
  readonly rssAfterWarmupMiB: number | undefined;
  readonly rssAtEndMiB: number | undefined;
  readonly rssMaxMiB: number | undefined;
  readonly rssGrowthPercent: number | undefined;
  readonly samples: readonly RssSample[];
}

/** VmRSS of `/proc/<pid>/status`, in MiB; undefined when unknown (not Linux, process gone). */
export function parseVmRssMiB(status: string): number | undefined {
  const match = /^VmRSS:\s+(\d+)\s+kB$/m.exec(status);
  return match === null ? undefined : Number(match[1]) / KIB_PER_MIB;
}

export function readRssMiB(pid: number): number | undefined {
  try {
    return parseVmRssMiB(readFileSync(`/proc/${pid}/status`, 'utf8'));
  } catch {
    return undefined;
  }
}

/** Seconds of samples summarised at each end: RSS is a sawtooth (garbage collection), not a line. */
export const RSS_WINDOW_S = 30;

const median = (values: readonly number[]): number | undefined => {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1]! + sorted[middle]!) / 2;
};

/**
 * Growth from the median RSS of the `windowS` seconds after `fromS` (warm-up over) to the median of
 * the last `windowS` seconds, in percent. Single samples would compare a GC trough with a peak.
 */
export function rssGrowth(samples: readonly RssSample[], fromS: number, windowS = RSS_WINDOW_S): { from: number | undefined; to: number | undefined; percent: number | undefined } {
  const lastS = samples.at(-1)?.atS ?? 0;
  const from = median(samples.filter((sample) => sample.atS >= fromS && sample.atS < fromS + windowS).map((sample) => sample.rssMiB));
  const to = median(samples.filter((sample) => sample.atS > lastS - windowS && sample.atS >= fromS).map((sample) => sample.rssMiB));
  return { from, to, percent: from === undefined || to === undefined ? undefined : ((to - from) / from) * PERCENT };
}

const mib = (value: number | undefined): string => (value === undefined ? 'n/a' : `${value.toFixed(1)} MiB`);
const num = (value: number | undefined, digits = 0): string => (value === undefined ? 'n/a' : value.toFixed(digits));

export function renderSoakReport(figures: SoakFigures): string {
  const growthOk = figures.rssGrowthPercent !== undefined && figures.rssGrowthPercent < RSS_GROWTH_TARGET_PERCENT;
  const errorsOk = figures.errorCount === 0 && figures.unfinished === 0;
  const errorList = Object.entries(figures.errors).map(([kind, count]) => `${kind}: ${count}`).join(', ') || 'none';
  return [
    '# Soak benchmark',
    '',
    `${figures.date}: ${figures.durationS} s measured after ${figures.warmupS} s of warm-up; ${figures.clients} clients, ` +
      `${figures.textsPerRequest} texts per request (DJL dialect), offering ${num(figures.offeredTextsPerS)} texts/s against ` +
      `three simulated \`cpu\` DJL instances (capacity about ${num(figures.capacityTextsPerS)} texts/s).`,
    '',
    '| figure | value | target |',
    '| --- | --- | --- |',
    `| requests served (window) | ${figures.okRequests} of ${figures.requests} | |`,
    `| texts/s served | ${num(figures.textsPerS)} | |`,
    `| errors | ${figures.errorCount} (${errorList}); ${figures.unfinished} unfinished | 0 ${errorsOk ? '(met)' : '(MISSED)'} |`,
    `| latency p50 / p99 | ${num(figures.p50Ms, 1)} ms / ${num(figures.p99Ms, 1)} ms | |`,
    `| front door CPU (100 = one core) | ${num(figures.frontDoorCpuPercent)}% | |`,
    `| RSS at start (idle) | ${mib(figures.rssAtStartMiB)} | |`,
    `| RSS after warm-up (median of the next ${RSS_WINDOW_S} s) | ${mib(figures.rssAfterWarmupMiB)} | |`,
    `| RSS at end (median of the last ${RSS_WINDOW_S} s) | ${mib(figures.rssAtEndMiB)} (max ${mib(figures.rssMaxMiB)}) | |`,
    `| RSS growth after warm-up | ${num(figures.rssGrowthPercent, 1)}% | < ${RSS_GROWTH_TARGET_PERCENT}% ${growthOk ? '(met)' : '(MISSED)'} |`,
    '',
  ].join('\n');
}
