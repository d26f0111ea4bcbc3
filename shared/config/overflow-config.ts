/**
 * Settings of the GPU overflow policy (shared/dispatch/overflow-policy.ts). Read through the same
 * EnvReader as every other key; defaults are documented in docs/configuration.md.
 */
import type { EnvReader } from './env-reader';

export interface OverflowConfig {
  /** Spill new requests to the GPU tier once the CPU tier's estimated wait exceeds this. */
  readonly spillWaitMs: number;
  /** While spilling, the CPU tier takes a request only if its wait stays under this (hysteresis). */
  readonly resumeWaitMs: number;
  /**
   * Spill once the wait inferred from upstream latency (the backends' own queue, the signal on
   * Lambda) exceeds this; while spilling, half of it. Higher than `spillWaitMs`: an inferred wait
   * includes network and event-loop jitter, which a visible queue does not.
   */
  readonly backendSpillWaitMs: number;
  /** Spilling ends once no request has needed to spill for this long. */
  readonly holdMs: number;
  /** Requests of at least this many texts go to the GPU tier when it would finish them sooner (0: never). */
  readonly largeRequestTexts: number;
  /**
   * Share of a request's remaining time budget an overflow attempt on the GPU tier may use, so a
   * GPU failure still leaves the CPU tier time to serve it.
   */
  readonly gpuBudgetRatio: number;
}

export const OVERFLOW_DEFAULTS = {
  // Low, because a request the CPU tier takes during a burst pays its queue wait plus a full batch
  // (about 90 ms for 32 texts on DJL). Measured with `npm run bench:burst` (one CPU instance at 3x
  // its capacity, 8 texts per request, unloaded p99 about 43 ms): 100/50 gave a burst p99 of
  // 4.5x the unloaded one, 200/100 5.5-6.7x, 30/15 1.6-2.7x; see tools/bench/results/burst.md.
  spillWaitMs: 30,
  resumeWaitMs: 15,
  // About one CPU batch of 32 queued inside DJL. At 30 ms, latency jitter on a busy machine
  // (measured in the tiers test under CI load) was read as backend load and kept traffic on the GPU.
  backendSpillWaitMs: 100,
  holdMs: 3_000,
  // Ten full CPU batches: below that the CPU tier's latency is a few hundred ms at most.
  largeRequestTexts: 320,
  gpuBudgetPercent: 50,
} as const;

const ONE_MINUTE_MS = 60_000;

export function readOverflowConfig(read: EnvReader): OverflowConfig {
  const spillWaitMs = read.int('OVERFLOW_WAIT_MS', OVERFLOW_DEFAULTS.spillWaitMs, { min: 0, max: ONE_MINUTE_MS });
  const resumeDefault = Math.min(OVERFLOW_DEFAULTS.resumeWaitMs, spillWaitMs);
  const resumeWaitMs = read.int('OVERFLOW_RESUME_WAIT_MS', resumeDefault, { min: 0, max: ONE_MINUTE_MS });
  if (resumeWaitMs > spillWaitMs) {
    read.problem(`OVERFLOW_RESUME_WAIT_MS=${resumeWaitMs} is above OVERFLOW_WAIT_MS=${spillWaitMs}: ` +
      'the wait at which traffic returns to the CPU tier must not exceed the wait at which it spills');
  }
  return {
    spillWaitMs,
    resumeWaitMs,
    backendSpillWaitMs: read.int('OVERFLOW_BACKEND_WAIT_MS', OVERFLOW_DEFAULTS.backendSpillWaitMs, { min: 0, max: ONE_MINUTE_MS }),
    holdMs: read.int('OVERFLOW_HOLD_MS', OVERFLOW_DEFAULTS.holdMs, { min: 0, max: ONE_MINUTE_MS * 10 }),
    largeRequestTexts: read.int('OVERFLOW_LARGE_REQUEST_TEXTS', OVERFLOW_DEFAULTS.largeRequestTexts, { min: 0 }),
    gpuBudgetRatio: read.int('GPU_BUDGET_PERCENT', OVERFLOW_DEFAULTS.gpuBudgetPercent, { min: 1, max: 100 }) / 100,
  };
}
