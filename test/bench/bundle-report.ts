/**
 * The bundle benchmark's figures and results file (test/bench/results/bundle.md). Pure: samples
 * and build facts in, summaries, verdicts and Markdown out.
 */
import type { MachineInfo } from './machine-info';
import { percentile } from './latency-stats';
import { formatMs, formatNumber, markdownTable, NOT_AVAILABLE } from './report-table';

/** The deploy issue's budget for the embed bundle. */
export const BUDGET = {
  /** The embed handler's median import time, in milliseconds. */
  maxImportMs: 50,
  /** The embed handler's median import time over the bare Hono handler's, same machine, same run. */
  maxRatioToBare: 2,
} as const;

/** A variant's import times, in milliseconds (nearest-rank percentiles: each a real sample). */
export interface TimingSummary {
  readonly count: number;
  readonly median: number;
  readonly p90: number;
  readonly min: number;
  readonly max: number;
}

/** Summarises samples; every figure NaN for none, so a table shows "n/a" rather than 0. */
export function summarizeTimes(samples: readonly number[]): TimingSummary {
  const sorted = [...samples].sort((a, b) => a - b);
  return {
    count: sorted.length,
    median: percentile(sorted, 0.5),
    p90: percentile(sorted, 0.9),
    min: sorted[0] ?? Number.NaN,
    max: sorted[sorted.length - 1] ?? Number.NaN,
  };
}

/** `value / base`, NaN when the base is not a positive number. */
export function ratio(value: number, base: number): number {
  return base > 0 && Number.isFinite(value) ? value / base : Number.NaN;
}

/** `1.84x`, or "n/a". */
export function formatRatio(value: number): string {
  return Number.isFinite(value) ? `${formatNumber(value, 2)}x` : NOT_AVAILABLE;
}

/** Bytes as KB with one decimal (1 KB = 1,024 bytes), the unit the deploy issue uses. */
export function formatKb(bytes: number): string {
  const BYTES_PER_KB = 1_024;
  return Number.isFinite(bytes) ? formatNumber(bytes / BYTES_PER_KB, 1) : NOT_AVAILABLE;
}

/**
 * Round-robin order for `rounds` rounds over `count` variants, each round starting one variant
 * later, so neither machine noise nor a fixed position in the round favours one variant.
 */
export function roundRobinOrder(count: number, rounds: number): number[][] {
  return Array.from({ length: rounds }, (_, round) => Array.from({ length: count }, (_, slot) => (round + slot) % count));
}

/** One target and whether this run met it. */
export interface Check {
  readonly target: string;
  readonly measured: string;
  readonly met: boolean;
}

/** The deploy issue's two budget targets, judged on medians. */
export function budgetChecks(embed: TimingSummary, bare: TimingSummary): Check[] {
  const relative = ratio(embed.median, bare.median);
  return [
    {
      target: `embed (b) import median < ${BUDGET.maxImportMs} ms`,
      measured: `${formatMs(embed.median)} ms (p90 ${formatMs(embed.p90)})`,
      met: embed.median < BUDGET.maxImportMs,
    },
    {
      target: `embed (b) / bare Hono (a) import median < ${BUDGET.maxRatioToBare}x`,
      measured: `${formatMs(embed.median)} / ${formatMs(bare.median)} ms = ${formatRatio(relative)} (p90 ratio ${formatRatio(ratio(embed.p90, bare.p90))})`,
      met: relative < BUDGET.maxRatioToBare,
    },
  ];
}

/** A chunk of a build, as the report lists it. */
export interface ReportChunk {
  readonly file: string;
  readonly bytes: number;
  readonly eager: boolean;
  readonly cloudSdk: readonly string[];
}

/** Everything measured about one variant. */
export interface VariantReport {
  readonly id: string;
  readonly label: string;
  /** The entry source, relative to the project root where it is in the project. */
  readonly entry: string;
  readonly entryBytes: number;
  readonly eagerBytes: number;
  readonly eagerFiles: readonly string[];
  readonly totalJsBytes: number;
  readonly sourceMapBytes: number;
  readonly zipBytes: number;
  readonly zipJsBytes: number;
  readonly importMs: TimingSummary;
  /** Process start to handler ready: Node's own start plus the import. */
  readonly readyMs: TimingSummary;
  readonly samples: readonly number[];
  /** Output files the traced child loaded (file names, in order). */
  readonly loadedFiles: readonly string[];
  readonly chunks: readonly ReportChunk[];
  readonly forbidden: readonly string[];
  readonly packageCount: number;
  /** Bytes per package or project folder in the import-time files, largest first. */
  readonly eagerComposition: ReadonlyArray<{ readonly name: string; readonly bytes: number }>;
  /** Node built-ins imported at import time. */
  readonly eagerBuiltins: readonly string[];
}

/** The whole run; written as JSON next to the Markdown. */
export interface BundleReport {
  readonly date: string;
  readonly command: string;
  readonly machine: MachineInfo;
  readonly rounds: number;
  readonly warmupRounds: number;
  readonly handlerEnv: Readonly<Record<string, string>>;
  readonly zipMethod: string;
  readonly variants: readonly VariantReport[];
  readonly checks: readonly Check[];
}

/** Cloud SDK chunks of a variant that the traced import loaded, by file name. */
export function sdkChunksLoaded(variant: Pick<VariantReport, 'chunks' | 'loadedFiles'>): string[] {
  const loaded = new Set(variant.loadedFiles);
  return variant.chunks.filter((chunk) => chunk.cloudSdk.length > 0 && (chunk.eager || loaded.has(chunk.file))).map((chunk) => chunk.file);
}

/** The checks that are not about time: what must stay out of the embed bundle and its cold start. */
export function contentChecks(embed: VariantReport): Check[] {
  const sdkChunks = embed.chunks.filter((chunk) => chunk.cloudSdk.length > 0);
  const loadedSdk = sdkChunksLoaded(embed);
  const unexpected = embed.loadedFiles.filter((file) => !embed.eagerFiles.includes(file));
  return [
    {
      target: 'embed (b): no onnxruntime, tokenizer, dev-dependency or test code in the bundle',
      measured: embed.forbidden.length === 0 ? 'none found' : embed.forbidden.slice(0, 5).join(', '),
      met: embed.forbidden.length === 0,
    },
    {
      target: 'embed (b): cloud SDK code only in lazy chunks, none loaded at import',
      measured: `${sdkChunks.length} SDK chunks (${formatKb(sdkChunks.reduce((sum, chunk) => sum + chunk.bytes, 0))} KB); loaded at import: ${loadedSdk.length === 0 ? 'none' : loadedSdk.join(', ')}`,
      met: sdkChunks.length > 0 && loadedSdk.length === 0,
    },
    {
      target: 'embed (b): the traced import loaded only the static closure of the entry',
      measured: `${embed.loadedFiles.length} files loaded, ${embed.eagerFiles.length} expected${unexpected.length === 0 ? '' : `; also ${unexpected.join(', ')}`}`,
      met: unexpected.length === 0 && embed.loadedFiles.length > 0,
    },
  ];
}

/** The results file. */
export function renderBundleMarkdown(report: BundleReport): string {
  const bare = report.variants[0];
  const sizeRows = report.variants.map((variant) => [
    variant.label, `\`${variant.entry}\``, formatKb(variant.entryBytes), `${formatKb(variant.eagerBytes)} (${variant.eagerFiles.length})`,
    `${formatKb(variant.totalJsBytes)} (${variant.chunks.length})`, formatKb(variant.zipJsBytes), formatKb(variant.zipBytes),
  ]);
  const timeRows = report.variants.map((variant) => [
    variant.label, formatMs(variant.importMs.median), formatMs(variant.importMs.p90), formatMs(variant.importMs.min), formatMs(variant.importMs.max),
    bare === undefined ? NOT_AVAILABLE : formatRatio(ratio(variant.importMs.median, bare.importMs.median)),
    bare === undefined ? NOT_AVAILABLE : formatRatio(ratio(variant.importMs.p90, bare.importMs.p90)),
    formatMs(variant.readyMs.median),
  ]);
  const sdkRows = report.variants.flatMap((variant) => variant.chunks.filter((chunk) => chunk.cloudSdk.length > 0).map((chunk) => [
    variant.label, chunk.file, chunk.cloudSdk.join(', '), formatKb(chunk.bytes),
    chunk.eager || variant.loadedFiles.includes(chunk.file) ? 'yes' : 'no',
  ]));
  const machine = report.machine;
  /** How many of the largest contributors the composition table lists. */
  const TOP_CONTRIBUTORS = 10;
  const embed = report.variants.find((variant) => variant.id === 'embed-fetch');
  return [
    '# Bundle benchmark',
    '',
    `Run ${report.date} with \`${report.command}\`, in one process, all variants side by side.`,
    `Machine: ${machine.nproc} cores, ${machine.cpuModel}, ${machine.os}, Node ${machine.node}.`,
    '',
    'Each variant is built the way a deploy builds it: esbuild, bundled (packages included, Node built-ins external), minified ESM, platform node, target node20, linked source maps without sources, `mainFields: module, main`, `splitting: true` so `import()`ed code lands in chunks of its own, `.mjs` output with a banner defining `require`, `__filename` and `__dirname` (bundled CommonJS needs them): the options in serverless.yml.',
    `Import time is \`performance.now()\` around \`await import(entry)\` in a fresh \`node\` process (Lambda's module init), ${report.rounds} processes per variant, interleaved round-robin with a rotating start, after ${report.warmupRounds} discarded round(s) that warm the file cache. "ready" is from the process's time origin to the handler being ready, Node's own start included. Handler env: ${Object.entries(report.handlerEnv).map(([key, value]) => `\`${key}=${value}\``).join(', ')}.`,
    '',
    '## Sizes (KB)',
    '',
    markdownTable(['variant', 'entry source', 'entry file', 'loaded at import (files)', 'all JS (files)', 'zip, JS', 'zip, JS + maps'], sizeRows),
    '',
    `Zip: ${report.zipMethod}.`,
    '',
    '## Import time (ms)',
    '',
    markdownTable(['variant', 'median', 'p90', 'min', 'max', 'median / (a)', 'p90 / (a)', 'ready median'], timeRows),
    '',
    '## Targets',
    '',
    markdownTable(['target', 'measured', 'result'], report.checks.map((check) => [check.target, check.measured, check.met ? 'met' : 'missed'])),
    '',
    ...(embed === undefined ? [] : [
      '## What the embed handler (b) loads at import',
      '',
      markdownTable(['package or project folder', 'KB (minified)'], embed.eagerComposition.slice(0, TOP_CONTRIBUTORS).map((part) => [part.name, formatKb(part.bytes)])),
      '',
      `Node built-ins imported at init: ${embed.eagerBuiltins.map((name) => `\`${name}\``).join(', ') || 'none'}.`,
      '',
    ]),
    '## Cloud SDK chunks',
    '',
    sdkRows.length === 0 ? 'No chunk holds cloud SDK code.' : markdownTable(['variant', 'chunk', 'SDK code', 'KB', 'loaded at import'], sdkRows),
    '',
    '"Loaded at import" is yes when the chunk is in the static import closure of the entry (from the esbuild metafile) or when a traced child (a module `load` hook, run once per variant, untimed) recorded loading it within ' +
      'the import and a short settle time after.',
    '',
  ].join('\n');
}
