/**
 * The burst targets, checked from the measured figures: with the GPU tier, no errors and a
 * burst p99 within twice the un-burst one, then traffic back on the CPU tier; without it, fast 429s
 * with Retry-After and never a timeout. Pure: figures in, met/missed lines out.
 */
import { OK_OUTCOME } from '../load/load-engine';
import type { RequestRecord } from './burst-record';
import { recordsIn, type PhaseSpan, type PhaseStats } from './burst-stats';
import { formatMs, formatNumber } from '../report/tables';

/** The two front doors compared. */
export const BURST_SETUPS = {
  withGpu: 'with GPU tier',
  withoutGpu: 'without GPU tier',
} as const;
/** One of {@link BURST_SETUPS}. */
export type BurstSetupId = keyof typeof BURST_SETUPS;

/** The burst's p99 may be at most this many times the baseline's (the un-burst p99). */
export const P99_RATIO_MAX = 2;
/** 429s count as fast when their p99 is under this: a client learns "retry later" at once. */
export const FAST_429_P99_MS = 50;
/** The end of the recovery phase looked at for traffic back on the CPU tier. */
export const RECOVERY_TAIL_S = 3;
/** "Near 0": at most this share of the recovery tail's good answers from the GPU tier. */
export const RECOVERY_TAIL_GPU_SHARE_MAX = 0.01;

const MS_PER_S = 1_000;
const PERCENT = 100;

/** Share of the good answers due in the last `tailS` seconds of `span` that the GPU tier served. */
export function tailGpuShare(span: PhaseSpan, records: readonly RequestRecord[], tailS: number): { share: number; ok: number } {
  const ok = recordsIn(records, Math.max(span.fromMs, span.toMs - tailS * MS_PER_S), span.toMs)
    .filter((record) => record.outcome === OK_OUTCOME);
  const gpu = ok.filter((record) => record.tier === 'gpu').length;
  return { share: ok.length === 0 ? Number.NaN : gpu / ok.length, ok: ok.length };
}

/** What the checks need about one setup. */
export interface SetupFigures {
  readonly setup: BurstSetupId;
  readonly phases: readonly PhaseStats[];
  /** GPU share of the good answers in the last {@link RECOVERY_TAIL_S} s of recovery. */
  readonly recoveryTail: { readonly share: number; readonly ok: number };
}

/** One target: what was measured and whether it was met. */
export interface TargetCheck {
  readonly setup: BurstSetupId;
  readonly target: string;
  readonly measured: string;
  readonly met: boolean;
}

const percent = (share: number): string => (Number.isFinite(share) ? `${formatNumber(share * PERCENT, 1)}%` : 'n/a');

function byPhase(phases: readonly PhaseStats[], pick: (stats: PhaseStats) => number): string {
  return phases.map((stats) => `${stats.phase} ${formatNumber(pick(stats))}`).join(', ');
}

/** Checks one setup's targets. */
export function checkBurstTargets(figures: SetupFigures): TargetCheck[] {
  const { setup, phases } = figures;
  const checks: TargetCheck[] = [];
  const add = (target: string, measured: string, met: boolean): void => {
    checks.push({ setup, target, measured, met });
  };
  if (setup === 'withGpu') {
    add('zero errors in every phase', `errors: ${byPhase(phases, (stats) => stats.errorCount)}`,
      phases.length > 0 && phases.every((stats) => stats.errorCount === 0));
    const baseline = phases.find((stats) => stats.phase === 'baseline')?.latencyMs.p99 ?? Number.NaN;
    const burst = phases.find((stats) => stats.phase === 'burst')?.latencyMs.p99 ?? Number.NaN;
    const ratio = burst / baseline;
    add(`burst p99 <= ${P99_RATIO_MAX}x baseline p99`,
      `${formatMs(burst)} vs ${formatMs(baseline)} ms: ${Number.isFinite(ratio) ? formatNumber(ratio, 2) : 'n/a'}x`,
      Number.isFinite(ratio) && ratio <= P99_RATIO_MAX);
    const { share, ok } = figures.recoveryTail;
    add(`back on the CPU tier: GPU share of the last ${RECOVERY_TAIL_S} s of recovery <= ${percent(RECOVERY_TAIL_GPU_SHARE_MAX)}`,
      `${percent(share)} of ${ok} answers`, Number.isFinite(share) && share <= RECOVERY_TAIL_GPU_SHARE_MAX);
    return checks;
  }
  add('no timeouts and no 5xx in any phase',
    `timeouts ${byPhase(phases, (stats) => stats.timeouts)}; 5xx ${byPhase(phases, (stats) => stats.serverErrors)}`,
    phases.every((stats) => stats.timeouts === 0 && stats.serverErrors === 0));
  const rejected = phases.reduce((sum, stats) => sum + stats.rejected429, 0);
  const withHeader = phases.reduce((sum, stats) => sum + stats.retryAfter429, 0);
  add('every 429 carries Retry-After', `${withHeader} of ${rejected} 429s`, withHeader === rejected);
  // Every phase, not only the burst: a recovery still draining the burst's queue answers 429s too.
  const rejecting = phases.filter((stats) => stats.rejected429 > 0);
  const worstP99 = Math.max(...rejecting.map((stats) => stats.latency429Ms.p99));
  const maxLatency = Math.max(...rejecting.map((stats) => stats.latency429Ms.max));
  add(`429s are fast: p99 of their latency < ${FAST_429_P99_MS} ms in every phase`,
    rejected === 0 ? 'no 429s' : `worst phase p99 ${formatMs(worstP99)} ms, max ${formatMs(maxLatency)} ms`,
    rejected === 0 || worstP99 < FAST_429_P99_MS);
  return checks;
}
