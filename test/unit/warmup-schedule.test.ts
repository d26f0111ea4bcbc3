/**
 * The warm-up schedule: WARMUP_SCHEDULE validation (every problem at once), the windows of a burst
 * at fixed instants, what happens to bursts across DST changes, and the WARMUP_* config keys.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { CronExpressionParser } from 'cron-parser';
import { EnvReader } from '../../shared/config/env-reader';
import { readWarmupConfig, WARMUP_DEFAULTS } from '../../shared/config/warmup-config';
import { burstWindows } from '../../shared/warmup/burst-windows';
import { type Burst, parseSchedule } from '../../shared/warmup/schedule';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

const nightly: Burst = { name: 'nightly', cron: '0 2 * * *', timezone: 'Europe/Berlin', durationMinutes: 60, tier: 'cpu', minInstances: 4 };
const at = (iso: string) => new Date(iso);
const iso = (ms: number) => new Date(ms).toISOString();

describe('parseSchedule', () => {
  test('reads a valid list of bursts', () => {
    const gpu = { name: 'reports', cron: '30 9 * * 1-5', timezone: 'America/New_York', durationMinutes: 90, tier: 'gpu', minInstances: 0 };
    const { bursts, problems } = parseSchedule(JSON.stringify([nightly, gpu]));
    assert.deepEqual(problems, []);
    assert.deepEqual(bursts, [nightly, gpu]);
  });

  test('an empty list is a valid, empty schedule', () => {
    assert.deepEqual(parseSchedule('[]'), { bursts: [], problems: [] });
  });

  test('bad JSON and a non-list are reported with an example of the format', () => {
    const bad = parseSchedule('[{"name": "nightly",');
    assert.equal(bad.bursts.length, 0);
    assert.equal(bad.problems.length, 1);
    assert.match(bad.problems[0] ?? '', /not valid JSON.*expected a list such as \[\{"name":"nightly","cron":"0 2 \* \* \*"/);
    assert.deepEqual(parseSchedule('{"name": "nightly"}').problems, ['expected a JSON list of bursts, got an object']);
  });

  test('reports every problem of every burst at once, naming the burst and what to change', () => {
    const { bursts, problems } = parseSchedule(JSON.stringify([
      nightly,
      { name: 'empty' },
      { ...nightly, name: 'bad-cron', cron: '0 25 * * *' },
      { ...nightly, name: 'six-fields', cron: '0 0 2 * * *' },
      { ...nightly, name: 'random', cron: 'H 2 * * *' },
      { ...nightly, name: 'mars', timezone: 'Mars/Olympus_Mons' },
      { ...nightly, name: 'nightly', minInstances: 2 },
      { ...nightly, name: 'numbers', durationMinutes: 0, minInstances: 1001, tier: 'tpu' },
      { ...nightly, name: 'too-long', durationMinutes: 7 * 24 * 60 + 1, minInstances: 2.5 },
      { ...nightly, name: 'typo', minInstance: 3 },
      'not an object',
      { ...nightly, name: '' },
    ]));
    assert.deepEqual(bursts, [nightly]);
    const expected: [string, RegExp][] = [
      ['burst 1 "empty"', /"timezone" is missing; set an IANA time zone/],
      ['burst 1 "empty"', /"cron" is missing; set a 5-field cron expression such as "0 2 \* \* \*"/],
      ['burst 1 "empty"', /"durationMinutes" is missing; expected a whole number of minutes from 1 to 10080/],
      ['burst 1 "empty"', /"tier" is missing; expected one of cpu, gpu/],
      ['burst 1 "empty"', /"minInstances" is missing; expected a whole number from 0 to 1000/],
      ['burst 2 "bad-cron"', /"cron" "0 25 \* \* \*" is not a valid cron expression \(.*23.*\)/],
      ['burst 3 "six-fields"', /has 6 fields; expected 5 \(minute hour day-of-month month day-of-week\)/],
      ['burst 4 "random"', /uses H \(a random value\)/],
      ['burst 5 "mars"', /"timezone" "Mars\/Olympus_Mons" is not an IANA time zone; use a name such as "Europe\/Berlin"/],
      ['burst 6 "nightly"', /name already used by burst 0; give every burst its own name/],
      ['burst 7 "numbers"', /"durationMinutes" 0 is out of range/],
      ['burst 7 "numbers"', /"minInstances" 1001 is out of range/],
      ['burst 7 "numbers"', /"tier" "tpu" is not a tier; expected one of cpu, gpu/],
      ['burst 8 "too-long"', /"durationMinutes" 10081 is out of range.*\(a week\)/],
      ['burst 8 "too-long"', /"minInstances" 2.5 is out of range/],
      ['burst 9 "typo"', /unknown field "minInstance"; the fields are name, cron, timezone, durationMinutes, tier, minInstances/],
      ['burst 10', /expected an object with name, cron, .* got a string/],
      ['burst 11', /"name" is missing or empty/],
    ];
    for (const [label, pattern] of expected) {
      assert.ok(problems.some((p) => p.startsWith(`${label}: `) && pattern.test(p)), `expected a problem ${label}: ${pattern}\n${problems.join('\n')}`);
    }
    assert.equal(problems.length, expected.length, problems.join('\n'));
  });
});

describe('burstWindows', () => {
  const utc: Burst = { ...nightly, timezone: 'UTC' };

  test('the running occurrence ends after now (end exclusive); the next is included within the horizon', () => {
    assert.deepEqual(burstWindows(utc, at('2025-06-03T01:49:00Z'), 10 * MINUTE), []);
    assert.deepEqual(burstWindows(utc, at('2025-06-03T01:50:00Z'), 10 * MINUTE),
      [{ start: Date.parse('2025-06-03T02:00:00Z'), end: Date.parse('2025-06-03T03:00:00Z') }]);
    assert.deepEqual(burstWindows(utc, at('2025-06-03T02:00:00Z'), 0),
      [{ start: Date.parse('2025-06-03T02:00:00Z'), end: Date.parse('2025-06-03T03:00:00Z') }]);
    assert.deepEqual(burstWindows(utc, at('2025-06-03T02:59:59.999Z'), 0).map((w) => iso(w.start)), ['2025-06-03T02:00:00.000Z']);
    assert.deepEqual(burstWindows(utc, at('2025-06-03T03:00:00Z'), 0), []);
    // Running and the next one due: both, in start order.
    const daily = { ...utc, durationMinutes: 24 * 60 };
    assert.deepEqual(burstWindows(daily, at('2025-06-03T01:55:00Z'), 10 * MINUTE).map((w) => iso(w.start)),
      ['2025-06-02T02:00:00.000Z', '2025-06-03T02:00:00.000Z']);
  });

  test('reads the cron in the burst time zone', () => {
    // 02:00 in Berlin is 00:00 UTC in summer, 01:00 UTC in winter.
    assert.deepEqual(burstWindows(nightly, at('2025-06-03T00:30:00Z'), 0).map((w) => iso(w.start)), ['2025-06-03T00:00:00.000Z']);
    assert.deepEqual(burstWindows(nightly, at('2025-01-15T01:30:00Z'), 0).map((w) => iso(w.start)), ['2025-01-15T01:00:00.000Z']);
  });

  test('spring forward in Berlin: a burst at the skipped 02:30 runs at 03:30 summer time (01:30 UTC)', () => {
    const burst = { ...nightly, cron: '30 2 * * *' };
    // 2025-03-30: clocks go from 02:00 CET to 03:00 CEST, so 02:30 does not exist that night.
    assert.deepEqual(burstWindows(burst, at('2025-03-30T01:25:00Z'), 10 * MINUTE).map((w) => iso(w.start)), ['2025-03-30T01:30:00.000Z']);
    assert.deepEqual(burstWindows(burst, at('2025-03-30T02:29:00Z'), 0).map((w) => iso(w.start)), ['2025-03-30T01:30:00.000Z']);
    assert.deepEqual(burstWindows(burst, at('2025-03-30T02:30:00Z'), 0), []);
    // The day after, 02:30 CEST is 00:30 UTC.
    assert.deepEqual(burstWindows(burst, at('2025-03-31T00:30:00Z'), 0).map((w) => iso(w.start)), ['2025-03-31T00:30:00.000Z']);
  });

  test('fall back in Berlin: a daily burst at the repeated 02:30 runs once, at the first (summer time) 02:30', () => {
    const burst = { ...nightly, cron: '30 2 * * *' };
    // 2025-10-26: 03:00 CEST becomes 02:00 CET; 02:30 happens at 00:30 UTC and again at 01:30 UTC.
    assert.deepEqual(burstWindows(burst, at('2025-10-26T00:30:00Z'), 0).map((w) => iso(w.start)), ['2025-10-26T00:30:00.000Z']);
    for (const now of ['2025-10-26T01:30:00Z', '2025-10-26T01:45:00Z', '2025-10-26T02:15:00Z']) {
      assert.deepEqual(burstWindows(burst, at(now), 0), [], now);
    }
    // Within the repeated hour the next one due is tomorrow's, not the repeated 02:30.
    assert.deepEqual(burstWindows(burst, at('2025-10-26T01:10:00Z'), 12 * HOUR).map((w) => iso(w.start)), ['2025-10-26T00:30:00.000Z']);
  });

  test('across DST changes, every instant agrees with one walk of the cron started days before', () => {
    const cases: [Burst, string][] = [
      [{ ...nightly, cron: '30 2 * * *' }, '2025-03-29T12:00:00Z'],
      [{ ...nightly, cron: '30 2 * * *' }, '2025-10-25T12:00:00Z'],
      [{ ...nightly, cron: '*/30 * * * *', durationMinutes: 45 }, '2025-10-25T22:00:00Z'],
      [{ ...nightly, cron: '*/30 * * * *', durationMinutes: 45 }, '2025-03-29T22:00:00Z'],
      [{ ...nightly, cron: '30 1 * * *', timezone: 'America/New_York' }, '2025-11-01T12:00:00Z'],
      [{ ...nightly, cron: '30 2 * * *', timezone: 'America/New_York' }, '2025-03-08T12:00:00Z'],
    ];
    for (const [burst, from] of cases) {
      const first = Date.parse(from);
      const walk = CronExpressionParser.parse(burst.cron, { currentDate: new Date(first - 3 * 24 * HOUR), tz: burst.timezone });
      const starts: number[] = [];
      while (starts.length === 0 || (starts.at(-1) ?? 0) < first + 30 * HOUR) starts.push(walk.next().getTime());
      const duration = burst.durationMinutes * MINUTE;
      const lead = 20 * MINUTE;
      for (let now = first; now < first + 24 * HOUR; now += 5 * MINUTE) {
        const running = starts.find((start) => start <= now && now < start + duration);
        const next = starts.find((start) => start > now && start <= now + lead);
        const expected = [running, next].filter((start) => start !== undefined).map((start) => ({ start, end: start + duration }));
        assert.deepEqual(burstWindows(burst, new Date(now), lead), expected, `${burst.cron} ${burst.timezone} at ${iso(now)}`);
      }
    }
  });
});

describe('readWarmupConfig', () => {
  test('defaults: no schedule, measured lead with a 30 s margin, 120 s fallback', () => {
    const read = new EnvReader({});
    assert.deepEqual(readWarmupConfig(read), { schedule: [], leadSeconds: undefined, leadMarginSeconds: 30, fallbackLeadSeconds: 120 });
    assert.deepEqual(read.problems, []);
    assert.deepEqual(WARMUP_DEFAULTS, { leadMarginSeconds: 30, fallbackLeadSeconds: 120 });
  });

  test('reads every key', () => {
    const read = new EnvReader({
      WARMUP_SCHEDULE: JSON.stringify([nightly]),
      WARMUP_LEAD_SECONDS: '0',
      WARMUP_LEAD_MARGIN_SECONDS: '45',
      WARMUP_FALLBACK_LEAD_SECONDS: '300',
    });
    const config = readWarmupConfig(read);
    assert.deepEqual(config, { schedule: [nightly], leadSeconds: 0, leadMarginSeconds: 45, fallbackLeadSeconds: 300 });
    assert.ok(Object.isFrozen(config) && Object.isFrozen(config.schedule));
    assert.deepEqual(read.problems, []);
  });

  test('reports schedule and number problems under their key names, all at once', () => {
    const read = new EnvReader({
      WARMUP_SCHEDULE: JSON.stringify([{ ...nightly, timezone: 'Nowhere/Here' }, { ...nightly, name: 'x', minInstances: -1 }]),
      WARMUP_LEAD_SECONDS: '86401',
      WARMUP_LEAD_MARGIN_SECONDS: 'soon',
    });
    const config = readWarmupConfig(read);
    assert.deepEqual(config.schedule, []);
    assert.equal(read.problems.length, 4, read.problems.join('\n'));
    assert.match(read.problems[0] ?? '', /^WARMUP_SCHEDULE: burst 0 "nightly": "timezone" "Nowhere\/Here" is not an IANA time zone/);
    assert.match(read.problems[1] ?? '', /^WARMUP_SCHEDULE: burst 1 "x": "minInstances" -1 is out of range/);
    assert.match(read.problems[2] ?? '', /^WARMUP_LEAD_SECONDS="86401": expected a whole number from 0 to 86400/);
    assert.match(read.problems[3] ?? '', /^WARMUP_LEAD_MARGIN_SECONDS="soon"/);
    assert.throws(() => read.finish(), /4 problems/);
  });
});
