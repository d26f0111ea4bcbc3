/**
 * The front door's own cold start, measured once per process (on Lambda, once per execution
 * environment) and reported at its first request.
 *
 * Two figures, on purpose: `initMs` is how long initialisation took (module load, config,
 * dependencies), `firstRequestMs` how long after process start the first request came. On an
 * on-demand Lambda environment the two are close, because the first request is what started the
 * process. A provisioned-concurrency (or pre-warmed) environment is initialised ahead of traffic,
 * so its first request can come minutes or hours after init: folding both into one number would
 * report that idle time as a slow cold start.
 */
import type { FrontDoorColdStart } from './telemetry';

export interface FrontDoorColdStartOptions {
  /**
   * When the process started, in epoch ms. On Lambda (and in Node generally) that is
   * `performance.timeOrigin`: Node sets it at process start, before any module loads, so the
   * runtime's own bootstrap and the bundle's import time are inside `initMs`.
   */
  readonly processStartMs: number;
  /** When initialisation finished, in epoch ms: `performance.timeOrigin + performance.now()` at the end of module scope. */
  readonly initDoneMs: number;
  /** Lambda's AWS_LAMBDA_INITIALIZATION_TYPE (config.runtime.initializationType). */
  readonly initializationType: string | undefined;
  /** Epoch ms, the same clock as `processStartMs` (Date.now in production). */
  readonly now: () => number;
  /** Called once, at the first request; usually `telemetry.frontDoorColdStart`. */
  readonly report: (coldStart: FrontDoorColdStart) => void;
}

export interface FrontDoorColdStartTracker {
  /** Call at the start of every request; only the first one reports. */
  onRequest(): void;
  /** What was reported, for the status page; undefined before the first request. */
  figures(): FrontDoorColdStart | undefined;
}

/** A duration from `fromMs` to `toMs`: never negative (clocks differ in resolution), 0 when either is not a number. */
const elapsedMs = (fromMs: number, toMs: number): number => {
  const elapsed = toMs - fromMs;
  return Number.isFinite(elapsed) && elapsed > 0 ? elapsed : 0;
};

/** The cold-start record from the raw instants; pure, so the arithmetic is tested without a tracker. */
export function describeColdStart(processStartMs: number, initDoneMs: number, firstRequestAtMs: number, initializationType: string | undefined): FrontDoorColdStart {
  return {
    initMs: elapsedMs(processStartMs, initDoneMs),
    firstRequestMs: elapsedMs(processStartMs, firstRequestAtMs),
    initializationType,
  };
}

/**
 * Tracks the process's first request and reports its cold start exactly once. The flag lives in
 * the returned closure (one tracker per process, built at module scope), not in module state.
 */
export function createFrontDoorColdStart(options: FrontDoorColdStartOptions): FrontDoorColdStartTracker {
  let reported: FrontDoorColdStart | undefined;
  return {
    onRequest(): void {
      if (reported !== undefined) return;
      // Kept first: a throwing `report` must not make every later request report again.
      reported = describeColdStart(options.processStartMs, options.initDoneMs, options.now(), options.initializationType);
      options.report(reported);
    },
    figures: () => reported,
  };
}
