/**
 * The concrete time windows of a burst, from its cron expression in its time zone (cron-parser,
 * loaded only by the warm-up: see cron-syntax.ts for why config reading does not). DST behaviour
 * is described in schedule.ts.
 */
import { CronExpressionParser } from 'cron-parser';
import type { Burst, BurstWindow } from './schedule';

const MINUTE_MS = 60_000;

/**
 * How far before the instant of interest the cron is walked from. cron-parser's `next()` can
 * skip or repeat an occurrence when it starts from inside a DST change (from within the repeated
 * hour it returns the second 02:30; from just after a spring-forward it skips the moved 03:30).
 * Such a slip only ever lands within one DST shift after the starting point, so starting three
 * hours early (more than any shift in the tz database, Antarctica/Troll's 2 h being the largest)
 * puts it before the range looked at, and every caller sees the same sequence of occurrences.
 */
const WALK_SLACK_MS = 3 * 60 * MINUTE_MS;

/**
 * The windows of `burst` that matter at `now`: the occurrence running at `now` (started at or
 * before it, ending after it), then the next occurrence if it starts within `horizonMs` after
 * `now` (inclusive). Either may be absent; in start order. When occurrences overlap (a cron more
 * frequent than the duration), the running one returned is the earliest-started.
 */
export function burstWindows(burst: Burst, now: Date, horizonMs: number): BurstWindow[] {
  const nowMs = now.getTime();
  const durationMs = burst.durationMinutes * MINUTE_MS;
  const window = (start: number): BurstWindow => ({ start, end: start + durationMs });
  const due = (start: number) => start <= nowMs + Math.max(0, horizonMs);
  const first = firstStartAfter(burst, nowMs - durationMs);
  // Nothing running: that first start is also the next one (the usual case, one walk).
  if (first > nowMs) return due(first) ? [window(first)] : [];
  // Running: a fresh walk finds the next start without stepping through every occurrence in
  // between (a cron every minute with a day-long duration would be 1,440 steps).
  const next = firstStartAfter(burst, nowMs);
  return due(next) ? [window(first), window(next)] : [window(first)];
}

/** The first occurrence strictly after `afterMs`, walking from a little earlier (see WALK_SLACK_MS). */
function firstStartAfter(burst: Burst, afterMs: number): number {
  const walk = CronExpressionParser.parse(burst.cron, { currentDate: new Date(afterMs - WALK_SLACK_MS), tz: burst.timezone });
  for (;;) {
    const start = walk.next().getTime();
    if (start > afterMs) return start;
  }
}
