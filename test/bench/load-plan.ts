/**
 * What one load-generator run does, and its command line both ways: the runner writes the flags
 * with {@link loadPlanArgs}, the child reads them back with {@link parseLoadPlan}, so the two
 * cannot drift apart.
 */
import { parseArgs } from 'node:util';

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
}

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
} as const satisfies Omit<LoadPlan, 'urls'>;

/** Bad flags; `message` lists every one. */
export class LoadPlanError extends Error {
  override readonly name = 'LoadPlanError';
  readonly code = 'BENCH_LOAD_USAGE';
}

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
} as const satisfies Record<keyof Omit<LoadPlan, 'urls'>, { flag: string; integer: boolean; min: number }>;

type NumericField = keyof typeof NUMERIC_FLAGS;

/** The load generator's `--help` text. */
export const LOAD_USAGE = `Usage: tsx test/bench/load-generator.ts --url URL [--url URL ...] [options]

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
`;

/** The flags that make a child run `plan`. */
export function loadPlanArgs(plan: LoadPlan): string[] {
  const args = plan.urls.flatMap((url) => ['--url', url]);
  for (const [field, { flag }] of Object.entries(NUMERIC_FLAGS)) {
    args.push(`--${flag}`, String(plan[field as NumericField]));
  }
  return args;
}

/** Reads a load plan from flags; throws {@link LoadPlanError} listing every bad flag. */
export function parseLoadPlan(argv: readonly string[]): LoadPlan {
  const options = {
    url: { type: 'string', multiple: true },
    ...Object.fromEntries(Object.values(NUMERIC_FLAGS).map(({ flag }) => [flag, { type: 'string' }])),
  } as const;
  let values: Record<string, string | string[] | boolean | undefined>;
  try {
    values = parseArgs({ args: [...argv], options, strict: true, allowPositionals: false }).values;
  } catch (error) {
    throw new LoadPlanError(`${(error as Error).message}\n\n${LOAD_USAGE}`);
  }
  const problems: string[] = [];
  const urls = Array.isArray(values.url) ? values.url : [];
  if (urls.length === 0) problems.push('--url: at least one target URL is needed');
  for (const url of urls) {
    if (!URL.canParse(url) || !/^https?:$/.test(new URL(url).protocol)) problems.push(`--url: expected an http(s) URL, got "${url}"`);
  }
  const numbers: Partial<Record<NumericField, number>> = {};
  for (const [field, { flag, integer, min }] of Object.entries(NUMERIC_FLAGS)) {
    const raw = values[flag];
    if (typeof raw !== 'string') continue;
    const value = Number(raw);
    if (raw.trim() === '' || !Number.isFinite(value) || (integer && !Number.isInteger(value)) || value < min) {
      const bound = min === Number.MIN_VALUE ? 'above 0' : `>= ${min}`;
      problems.push(`--${flag}: expected ${integer ? 'an integer' : 'a number'} ${bound}, got "${raw}"`);
      continue;
    }
    numbers[field as NumericField] = value;
  }
  if (problems.length > 0) throw new LoadPlanError(`Invalid flags:\n  ${problems.join('\n  ')}\n\n${LOAD_USAGE}`);
  return Object.freeze({ ...LOAD_PLAN_DEFAULTS, ...numbers, urls: Object.freeze([...urls]) });
}
