/**
 * Settings of the scheduled warm-up (shared/warmup/): the bursts and how far ahead of each one the
 * minimum is raised. Read through the same EnvReader as every other key, so a bad schedule shows
 * up in the one start-up error with the rest.
 */
import { type Burst, parseSchedule } from '../warmup/schedule';
import type { EnvReader } from './env-reader';

export interface WarmupConfig {
  /** `WARMUP_SCHEDULE`: the bursts (JSON list, see shared/warmup/schedule.ts). Default: none. */
  readonly schedule: readonly Burst[];
  /** `WARMUP_LEAD_SECONDS`: a fixed lead time, overriding the measured one. Default: unset. */
  readonly leadSeconds: number | undefined;
  /** `WARMUP_LEAD_MARGIN_SECONDS`: added to the measured backend cold-start p95. */
  readonly leadMarginSeconds: number;
  /** `WARMUP_FALLBACK_LEAD_SECONDS`: the lead time while no cold start has been measured yet. */
  readonly fallbackLeadSeconds: number;
}

export const WARMUP_DEFAULTS = {
  // The p95 already covers the usual cold start; the margin covers the planner's own schedule
  // (it runs every minute or so) and the time for the raise to reach the service.
  leadMarginSeconds: 30,
  // A DJL container takes 30-60 s to load the model, plus image pull and task scheduling on a
  // fresh Fargate / Cloud Run instance: about a minute in all, doubled for safety since nothing
  // has been measured yet.
  fallbackLeadSeconds: 120,
} as const;

/** A lead of more than a day would keep a nightly burst's capacity up around the clock. */
const MAX_LEAD_SECONDS = 86_400;

/** Reads the WARMUP_* keys; problems go to `read` (reported by `read.finish()`). */
export function readWarmupConfig(read: EnvReader): WarmupConfig {
  const scheduleJson = read.raw('WARMUP_SCHEDULE');
  let schedule: readonly Burst[] = [];
  if (scheduleJson !== undefined) {
    const parsed = parseSchedule(scheduleJson);
    for (const problem of parsed.problems) read.problem(`WARMUP_SCHEDULE: ${problem}`);
    schedule = parsed.bursts;
  }
  const leadSeconds = read.raw('WARMUP_LEAD_SECONDS') === undefined
    ? undefined
    : read.int('WARMUP_LEAD_SECONDS', 0, { min: 0, max: MAX_LEAD_SECONDS });
  return Object.freeze({
    schedule: Object.freeze([...schedule]),
    leadSeconds,
    leadMarginSeconds: read.int('WARMUP_LEAD_MARGIN_SECONDS', WARMUP_DEFAULTS.leadMarginSeconds, { min: 0, max: MAX_LEAD_SECONDS }),
    fallbackLeadSeconds: read.int('WARMUP_FALLBACK_LEAD_SECONDS', WARMUP_DEFAULTS.fallbackLeadSeconds, { min: 0, max: MAX_LEAD_SECONDS }),
  });
}
