/**
 * The warm-up schedule (`WARMUP_SCHEDULE`): known bursts of traffic, each a cron expression in a
 * time zone with a duration, a tier and the minimum number of instances it needs. Parsing reports
 * every problem at once, checking cron syntax without loading a cron library (cron-syntax.ts);
 * `burstWindows` (burst-windows.ts) turns a burst into the concrete time windows the planner
 * (plan.ts) looks at. Pure: no clock, no environment.
 *
 * Time zones and daylight saving time are cron-parser's (v5, luxon underneath), with one guard
 * (WALK_SLACK_MS in burst-windows.ts) so that every instant sees the same occurrences. For a burst
 * at a local time that a DST change skips or repeats (tested in test/unit/warmup-schedule.test.ts):
 * - Spring forward (Europe/Berlin, last Sunday of March, 02:00 -> 03:00): a burst at 02:30 runs at
 *   03:30 local that day, one hour late on the wall clock (the same UTC instant as the day before).
 * - Fall back (last Sunday of October, 03:00 -> 02:00): a daily burst at 02:30 runs once, at the
 *   first 02:30 (still summer time); the repeated 02:30 does not start it again.
 * - America/New_York does the same at its own changes (02:00 on the second Sunday of March and
 *   the first Sunday of November).
 * A cron that fires every few minutes keeps firing through both passes of a repeated hour, as UTC
 * time moves on.
 */
import { Tier } from '../core/tier';
import { cronSyntaxProblem } from './cron-syntax';

/** One scheduled burst, as written in `WARMUP_SCHEDULE` (validated). */
export interface Burst {
  /** Unique; shown in plans and logs. */
  readonly name: string;
  /** Standard 5-field cron (minute hour day-of-month month day-of-week), e.g. `0 2 * * *`. */
  readonly cron: string;
  /** IANA time zone the cron is read in, e.g. `Europe/Berlin`. */
  readonly timezone: string;
  /** How long the burst lasts from each cron occurrence, 1 to 10080 (a week). */
  readonly durationMinutes: number;
  readonly tier: Tier;
  /** The minimum number of instances the tier's services need during the burst, 0 to 1000. */
  readonly minInstances: number;
}

/** One occurrence of a burst: `start` inclusive, `end` exclusive, epoch milliseconds. */
export interface BurstWindow {
  readonly start: number;
  readonly end: number;
}

export const SCHEDULE_LIMITS = {
  // A burst longer than a week is a new resting minimum, not a burst: set it on the service.
  maxDurationMinutes: 7 * 24 * 60,
  // Far above any embedding fleet we run; catches a typo such as 10000 for 100.
  maxMinInstances: 1_000,
} as const;

const CRON_FIELD_COUNT = 5;
const BURST_FIELDS = ['name', 'cron', 'timezone', 'durationMinutes', 'tier', 'minInstances'] as const;
const TIERS: readonly string[] = Object.values(Tier);


/**
 * Parses `WARMUP_SCHEDULE`: a JSON list of bursts. Every problem is reported, each naming the
 * burst (index and name) and what to change; bursts with a problem are left out of `bursts`.
 */
export function parseSchedule(json: string): { bursts: Burst[]; problems: string[] } {
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch (error) {
    return { bursts: [], problems: [`not valid JSON (${(error as Error).message}); expected a list such as ` +
      '[{"name":"nightly","cron":"0 2 * * *","timezone":"Europe/Berlin","durationMinutes":60,"tier":"cpu","minInstances":4}]'] };
  }
  if (!Array.isArray(parsed)) {
    return { bursts: [], problems: [`expected a JSON list of bursts, got ${describeJsonType(parsed)}`] };
  }
  const bursts: Burst[] = [];
  const problems: string[] = [];
  const seenNames = new Map<string, number>();
  parsed.forEach((item: unknown, index) => {
    const result = parseBurst(item, index);
    problems.push(...result.problems);
    const name = isRecord(item) && typeof item['name'] === 'string' ? item['name'].trim() : undefined;
    if (name !== undefined && name !== '') {
      const first = seenNames.get(name);
      if (first !== undefined) {
        problems.push(`burst ${index} "${name}": name already used by burst ${first}; give every burst its own name`);
        return;
      }
      seenNames.set(name, index);
    }
    if (result.burst !== undefined) bursts.push(result.burst);
  });
  return { bursts, problems };
}

function parseBurst(item: unknown, index: number): { burst: Burst | undefined; problems: string[] } {
  if (!isRecord(item)) {
    return { burst: undefined, problems: [`burst ${index}: expected an object with ${BURST_FIELDS.join(', ')}, got ${describeJsonType(item)}`] };
  }
  const rawName = item['name'];
  const label = typeof rawName === 'string' && rawName.trim() !== '' ? `burst ${index} "${rawName.trim()}"` : `burst ${index}`;
  const problems: string[] = [];
  const problem = (message: string) => problems.push(`${label}: ${message}`);

  for (const key of Object.keys(item)) {
    if (!(BURST_FIELDS as readonly string[]).includes(key)) problem(`unknown field "${key}"; the fields are ${BURST_FIELDS.join(', ')}`);
  }
  if (typeof rawName !== 'string' || rawName.trim() === '') problem('"name" is missing or empty; give the burst a name');

  const timezone = item['timezone'];
  const timezoneOk = typeof timezone === 'string' && isTimeZone(timezone);
  if (!timezoneOk) {
    problem(typeof timezone === 'string'
      ? `"timezone" ${JSON.stringify(timezone)} is not an IANA time zone; use a name such as "Europe/Berlin" or "UTC"`
      : '"timezone" is missing; set an IANA time zone such as "Europe/Berlin" or "UTC"');
  }

  const cron = item['cron'];
  if (typeof cron !== 'string') {
    problem('"cron" is missing; set a 5-field cron expression such as "0 2 * * *" (02:00 every day)');
  } else {
    const cronProblem = checkCron(cron);
    if (cronProblem !== undefined) problem(cronProblem);
  }

  const duration = item['durationMinutes'];
  if (!isWholeNumberIn(duration, 1, SCHEDULE_LIMITS.maxDurationMinutes)) {
    problem(`"durationMinutes" ${duration === undefined ? 'is missing' : `${JSON.stringify(duration)} is out of range`}; ` +
      `expected a whole number of minutes from 1 to ${SCHEDULE_LIMITS.maxDurationMinutes} (a week)`);
  }

  const tier = item['tier'];
  if (typeof tier !== 'string' || !TIERS.includes(tier)) {
    problem(`"tier" ${tier === undefined ? 'is missing' : `${JSON.stringify(tier)} is not a tier`}; expected one of ${TIERS.join(', ')}`);
  }

  const minInstances = item['minInstances'];
  if (!isWholeNumberIn(minInstances, 0, SCHEDULE_LIMITS.maxMinInstances)) {
    problem(`"minInstances" ${minInstances === undefined ? 'is missing' : `${JSON.stringify(minInstances)} is out of range`}; ` +
      `expected a whole number from 0 to ${SCHEDULE_LIMITS.maxMinInstances}`);
  }

  if (problems.length > 0) return { burst: undefined, problems };
  return {
    burst: Object.freeze({
      name: (rawName as string).trim(),
      cron: (cron as string).trim(),
      timezone: timezone as string,
      durationMinutes: duration as number,
      tier: tier as Tier,
      minInstances: minInstances as number,
    }),
    problems,
  };
}

/** Why the cron expression is not usable, or undefined when it is. */
function checkCron(cron: string): string | undefined {
  const fields = cron.trim().split(/\s+/).filter((field) => field !== '');
  if (fields.length !== CRON_FIELD_COUNT) {
    return `"cron" ${JSON.stringify(cron)} has ${fields.length} field${fields.length === 1 ? '' : 's'}; expected 5 ` +
      '(minute hour day-of-month month day-of-week), e.g. "0 2 * * *" for 02:00 every day';
  }
  // cron-parser's H picks a random minute on every parse unless seeded: the planner would see a
  // different schedule on every run.
  if (/h/i.test(cron.replace(/thu/gi, ''))) {
    return `"cron" ${JSON.stringify(cron)} uses H (a random value); write the minute and hour out`;
  }
  const problem = cronSyntaxProblem(cron);
  if (problem === undefined) return undefined;
  return `"cron" ${JSON.stringify(cron)} is not a valid cron expression (${problem}); ` +
    'expected 5 fields (minute hour day-of-month month day-of-week), e.g. "0 2 * * *"';
}

function isTimeZone(name: string): boolean {
  if (name.trim() === '') return false;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: name });
    return true;
  } catch {
    return false;
  }
}

function isWholeNumberIn(value: unknown, min: number, max: number): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= min && value <= max;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function describeJsonType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}
