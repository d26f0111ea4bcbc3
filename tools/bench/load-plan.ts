/**
 * What one load-generator run does, and its command line both ways: the runner writes the flags
 * with {@link loadPlanArgs}, the child reads them back with {@link parseLoadPlan}, so the two
 * cannot drift apart.
 */
import { type CommandLine, parseCommandLine, valueFlags } from '../../shared/cli/command-line';

/** One cell's load: who sends what, how fast, for how long. */
export interface LoadPlan {
  /**
   * One URL: every request goes there. Several: the seed's Option B (`DJLEmbedderPool`), each
   * client sending its requests to the URLs in turn.
   */
  readonly urls: readonly string[];
  /** Concurrent clients, each with at most one request outstanding. */
  readonly clients: number;
  /** Texts in each request (a JSON list, DJL's dialect). */
  readonly textsPerRequest: number;
  /** Seconds of load before measuring starts (connections open, queues fill). */
  readonly warmupS: number;
  /** Seconds measured. */
  readonly durationS: number;
  /**
   * 0: closed loop, each client sends its next request as soon as the last one answers. Above 0:
   * paced, each client starts a request at most once per interval (fixed offered load while the
   * target keeps up; a closed loop again when it cannot).
   */
  readonly intervalMs: number;
  /** Requests sent at most, over warm-up and measurement together. */
  readonly maxRequests: number;
  /** One request's budget; past it the request counts as an error (nginx's read timeout is 60 s). */
  readonly timeoutMs: number;
  /** After measuring, how long outstanding requests may finish before they are cut off. */
  readonly drainMs: number;
  /**
   * Empty: clients as above. Otherwise open loop: requests start on this schedule (evenly spaced at
   * each step's rate, steps one after another from the start) whatever the answers, over at most
   * `clients` connections; sending still stops at the end of the window.
   */
  readonly rateSteps: readonly RateStep[];
  /** Body shape: DJL's JSON list, or TEI's `{"inputs": [...]}` (for `/embed`). */
  readonly dialect: LoadDialect;
  /** Add one {@link RequestRecord} per request sent to the result (the burst benchmark's phases). */
  readonly record: boolean;
}

/** One step of an open-loop schedule: requests per second for a number of seconds. */
export interface RateStep {
  readonly ratePerS: number;
  readonly durationS: number;
}

/** The request bodies the load generator can send. */
export const LOAD_DIALECTS = ['djl', 'tei'] as const;
/** One of {@link LOAD_DIALECTS}. */
export type LoadDialect = (typeof LOAD_DIALECTS)[number];

/** Defaults for every field but `urls`. */
export const LOAD_PLAN_DEFAULTS = {
  clients: 64,
  textsPerRequest: 1,
  warmupS: 2,
  durationS: 10,
  intervalMs: 0,
  maxRequests: 10_000_000,
  timeoutMs: 60_000,
  drainMs: 30_000,
  rateSteps: [],
  dialect: 'djl',
  record: false,
} as const satisfies Omit<LoadPlan, 'urls'>;

const MS_PER_S = 1_000;

type NonNumericField = 'rateSteps' | 'dialect' | 'record';

/** Flag name of each numeric field, with whether it must be an integer and its lower bound. */
const NUMERIC_FLAGS = {
  clients: { flag: 'clients', integer: true, min: 1 },
  textsPerRequest: { flag: 'texts', integer: true, min: 1 },
  warmupS: { flag: 'warmup', integer: false, min: 0 },
  durationS: { flag: 'duration', integer: false, min: Number.MIN_VALUE },
  intervalMs: { flag: 'interval-ms', integer: false, min: 0 },
  maxRequests: { flag: 'max-requests', integer: true, min: 1 },
  timeoutMs: { flag: 'timeout-ms', integer: true, min: 1 },
  drainMs: { flag: 'drain-ms', integer: true, min: 0 },
} as const satisfies Record<keyof Omit<LoadPlan, 'urls' | NonNumericField>, { flag: string; integer: boolean; min: number }>;

type NumericField = keyof typeof NUMERIC_FLAGS;

/** The load generator's `--help` text. */
export const LOAD_USAGE = `Usage: tsx tools/bench/load-generator.ts --url URL [--url URL ...] [options]

Closed-loop (or paced) load in DJL's dialect; prints one JSON result on stdout.

  --url URL            target; repeat it for a round-robin client pool (each client rotates)
  --clients N          concurrent clients (default ${LOAD_PLAN_DEFAULTS.clients})
  --texts N            texts per request (default ${LOAD_PLAN_DEFAULTS.textsPerRequest})
  --warmup S           seconds before measuring (default ${LOAD_PLAN_DEFAULTS.warmupS})
  --duration S         seconds measured (default ${LOAD_PLAN_DEFAULTS.durationS})
  --interval-ms X      each client starts a request at most every X ms (default 0: closed loop)
  --max-requests N     requests sent at most (default ${LOAD_PLAN_DEFAULTS.maxRequests})
  --timeout-ms N       one request's budget (default ${LOAD_PLAN_DEFAULTS.timeoutMs})
  --drain-ms N         time outstanding requests get after measuring (default ${LOAD_PLAN_DEFAULTS.drainMs})
  --step R:S           open loop: R requests/s for S seconds; repeat for a schedule (--clients
                       then bounds the connections, not the requests in flight)
  --body D             request body: ${LOAD_DIALECTS.join(' or ')} (default ${LOAD_PLAN_DEFAULTS.dialect})
  --record             add one record per request sent to the result
`;

/** Start times of an open-loop schedule's requests, milliseconds after the load starts. */
export function arrivalOffsetsMs(steps: readonly RateStep[]): number[] {
  const offsets: number[] = [];
  let stepStartMs = 0;
  for (const { ratePerS, durationS } of steps) {
    const stepMs = durationS * MS_PER_S;
    const gapMs = MS_PER_S / ratePerS;
    // Counted, not accumulated, so rounding never drifts the schedule over a long step.
    const count = Math.floor((stepMs * ratePerS) / MS_PER_S + ROUNDING_SLACK);
    for (let index = 0; index < count; index++) offsets.push(stepStartMs + index * gapMs);
    stepStartMs += stepMs;
  }
  return offsets;
}

/** 10 s at 29.7/s is 296.99999... in floating point: that is 297 requests. */
const ROUNDING_SLACK = 1e-9;
const STEP_PATTERN = /^([\d.]+):([\d.]+)$/;

function parseStep(raw: string): RateStep | undefined {
  const match = STEP_PATTERN.exec(raw.trim());
  const ratePerS = Number(match?.[1]);
  const durationS = Number(match?.[2]);
  return match !== null && ratePerS > 0 && durationS > 0 && Number.isFinite(ratePerS) && Number.isFinite(durationS)
    ? { ratePerS, durationS }
    : undefined;
}

/** The flags that make a child run `plan`. */
export function loadPlanArgs(plan: LoadPlan): string[] {
  const args = plan.urls.flatMap((url) => ['--url', url]);
  for (const [field, { flag }] of Object.entries(NUMERIC_FLAGS)) {
    args.push(`--${flag}`, String(plan[field as NumericField]));
  }
  for (const step of plan.rateSteps) args.push('--step', `${step.ratePerS}:${step.durationS}`);
  if (plan.dialect !== LOAD_PLAN_DEFAULTS.dialect) args.push('--body', plan.dialect);
  if (plan.record) args.push('--record');
  return args;
}

const FLAGS = {
  url: { type: 'string', multiple: true },
  step: { type: 'string', multiple: true },
  body: { type: 'string' },
  record: { type: 'boolean' },
  ...valueFlags(...Object.values(NUMERIC_FLAGS).map(({ flag }) => flag)),
} as const;

/** Reads a load plan from flags; every bad flag is reported at once. */
export function parseLoadPlan(argv: readonly string[]): CommandLine<LoadPlan> {
  return parseCommandLine({ flags: FLAGS }, argv, (flags) => {
    const urls = flags.strings('url');
    if (urls.length === 0) flags.problems.push('--url: at least one target URL is needed');
    for (const url of urls) {
      if (!URL.canParse(url) || !/^https?:$/.test(new URL(url).protocol)) flags.problems.push(`--url: expected an http(s) URL, got "${url}"`);
    }
    const numbers: Partial<Record<NumericField, number>> = {};
    for (const [field, { flag, integer, min }] of Object.entries(NUMERIC_FLAGS)) {
      const value = flags.number(flag, min === Number.MIN_VALUE ? { integer, above: 0 } : { integer, min });
      if (value !== undefined) numbers[field as NumericField] = value;
    }
    const rateSteps: RateStep[] = [];
    for (const raw of flags.strings('step')) {
      const step = parseStep(raw);
      if (step === undefined) flags.problems.push(`--step: expected RATE:SECONDS, both above 0, got "${raw}"`);
      else rateSteps.push(step);
    }
    return Object.freeze({
      ...LOAD_PLAN_DEFAULTS,
      ...numbers,
      urls: Object.freeze([...urls]),
      rateSteps: Object.freeze(rateSteps),
      dialect: flags.choice('body', LOAD_DIALECTS) ?? LOAD_PLAN_DEFAULTS.dialect,
      record: flags.flag('record'),
    });
  });
}
