/**
 * Options of the DJL Serving simulator: defaults as real DJL has them, cost-model presets, and the
 * one validation step that reports every bad option at once.
 */
import { FLOAT_FORMATS, type FloatFormat } from './vectors';

/** The cost model: a job of n texts holds one worker for `baseMs + perItemMs * n` milliseconds. */
export interface DjlCostModel {
  /** Parallel workers (DJL maxWorkers: 2 on CPU without OMP_NUM_THREADS, 1 on GPU). */
  readonly workers: number;
  /** Fixed cost of one job (one forward pass), whatever its size. */
  readonly baseMs: number;
  /** Extra cost of each text in the job. */
  readonly perItemMs: number;
}

/**
 * Calibrated to the seed document (see shared/reference/djl-serving.md):
 * - `cpu`: 2 workers; batch 1 takes 13.3 ms (about 150 chunks/s for the instance), batch 32 takes
 *   91.4 ms (about 700 chunks/s); the limit is 2 / 2.52 ms, about 800/s, 2,400/s for three.
 * - `gpu`: 1 worker; batch 64 takes 16 ms, 4,000 chunks/s.
 * - `zero`: no model cost at all, to measure what the front door itself costs.
 */
export const DJL_PROFILES = {
  cpu: { workers: 2, baseMs: 10.8, perItemMs: 2.52 },
  gpu: { workers: 1, baseMs: 4, perItemMs: 0.1875 },
  zero: { workers: 1, baseMs: 0, perItemMs: 0 },
} as const satisfies Record<string, DjlCostModel>;

/** A name of {@link DJL_PROFILES}. */
export type DjlProfileName = keyof typeof DJL_PROFILES;

/** Faults that can be changed while the simulator runs (`sim.setFaults`). */
export interface DjlFaults {
  /** Fraction [0, 1] of prediction requests answered at once with 503 WlmCapacityException. */
  readonly errorRate: number;
  /** Fraction [0, 1] of prediction requests never answered (until the client or close() ends them). */
  readonly hangRate: number;
  /** A text containing this fails its whole job with 400 TranslateException ('' turns it off). */
  readonly badTextMarker: string;
  /** Report `Unhealthy` on /ping (still 200, as DJL does when workers died). */
  readonly unhealthy: boolean;
}

/** Everything the simulator can be told; `startDjlSimulator` takes any subset. */
export interface DjlSimulatorOptions extends DjlCostModel, DjlFaults {
  /** Port on `host`; 0 picks a free one. */
  readonly port: number;
  /**
   * A loopback address (127.x.y.z; default 127.0.0.1). Several simulators on different loopback
   * addresses can share one port, as ECS tasks share their container port on different IPs.
   */
  readonly host: string;
  /** The name DJL derives from `djl://.../all-MiniLM-L6-v2`: non-word characters become `_`. */
  readonly modelName: string;
  /** A version the model is registered under; when unset, `/predictions/{model}/{v}` is a 404. */
  readonly modelVersion: string | undefined;
  /** Shown by `GET /models`. */
  readonly modelUrl: string;
  /** Vector length (384 for all-MiniLM-L6-v2). */
  readonly dimension: number;
  /** DJL `job_queue_size`: requests waiting for a worker beyond this get 503. */
  readonly jobQueueSize: number;
  /** DJL `batch_size`: up to this many queued requests run as one job (1: no server batching). */
  readonly serverBatchSize: number;
  /** DJL `max_batch_delay`: how long a worker waits to fill a server batch. */
  readonly maxBatchDelayMs: number;
  /** Model load time after start (and after restart()). */
  readonly coldStartMs: number;
  /** DJL `SERVING_WAIT_MODEL_LOADING`: true keeps the port closed while loading. */
  readonly waitModelLoading: boolean;
  /** DJL `allow_multi_status`: /ping answers 207 instead of 200 while PENDING. */
  readonly allowMultiStatus: boolean;
  /** DJL `max_request_size` in bytes; larger bodies get 413. */
  readonly maxRequestSize: number;
  /** How vector numbers are written; `exact` lets tests compare with `deepEqual`. */
  readonly floatFormat: FloatFormat;
  /** Random source for the fault rates (tests pass a fixed sequence). */
  readonly random: () => number;
}

const MEBIBYTE = 1024 * 1024;
const DJL_MAX_REQUEST_SIZE = 64 * MEBIBYTE;
const DJL_JOB_QUEUE_SIZE = 1000;
const DJL_MAX_BATCH_DELAY_MS = 100;
const MINILM_DIMENSION = 384;
const MAX_PORT = 65_535;

/** Defaults: the cpu profile and DJL's own settings. */
export const DEFAULT_DJL_OPTIONS: DjlSimulatorOptions = Object.freeze({
  ...DJL_PROFILES.cpu,
  port: 0,
  host: '127.0.0.1',
  modelName: 'all_MiniLM_L6_v2',
  modelVersion: undefined,
  modelUrl: 'djl://ai.djl.huggingface.pytorch/sentence-transformers/all-MiniLM-L6-v2',
  dimension: MINILM_DIMENSION,
  jobQueueSize: DJL_JOB_QUEUE_SIZE,
  serverBatchSize: 1,
  maxBatchDelayMs: DJL_MAX_BATCH_DELAY_MS,
  coldStartMs: 0,
  waitModelLoading: true,
  allowMultiStatus: false,
  unhealthy: false,
  maxRequestSize: DJL_MAX_REQUEST_SIZE,
  floatFormat: FLOAT_FORMATS.exact,
  errorRate: 0,
  hangRate: 0,
  badTextMarker: '\u0000bad',
  random: Math.random,
});

const isFraction = (value: unknown): boolean => typeof value === 'number' && value >= 0 && value <= 1;
const isNonNegative = (value: unknown): boolean => typeof value === 'number' && Number.isFinite(value) && value >= 0;
const isPositiveInteger = (value: unknown): boolean => Number.isInteger(value) && (value as number) >= 1;
const isBoolean = (value: unknown): boolean => typeof value === 'boolean';
const isPort = (value: unknown): boolean =>
  Number.isInteger(value) && (value as number) >= 0 && (value as number) <= MAX_PORT;
const isPathSegment = (value: unknown): boolean => typeof value === 'string' && /^[^/?#\s]+$/.test(value);

/** A rule for one key: the test, and what to say was expected. */
type Rule = readonly [test: (value: unknown) => boolean, expected: string];

const FAULT_RULES: Readonly<Record<keyof DjlFaults, Rule>> = {
  errorRate: [isFraction, 'a fraction 0..1'],
  hangRate: [isFraction, 'a fraction 0..1'],
  badTextMarker: [(value) => typeof value === 'string', "a string ('' for none)"],
  unhealthy: [isBoolean, 'true or false'],
};

const OPTION_RULES: Readonly<Record<keyof DjlSimulatorOptions, Rule>> = {
  ...FAULT_RULES,
  port: [isPort, `0..${MAX_PORT}`],
  host: [(value) => typeof value === 'string' && /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(value), 'a loopback IPv4 address (127.x.y.z)'],
  modelName: [isPathSegment, 'one URL path segment'],
  modelVersion: [(value) => value === undefined || isPathSegment(value), 'undefined or one URL path segment'],
  modelUrl: [(value) => typeof value === 'string', 'a string'],
  dimension: [isPositiveInteger, 'a positive integer'],
  workers: [isPositiveInteger, 'a positive integer'],
  baseMs: [isNonNegative, 'a number >= 0'],
  perItemMs: [isNonNegative, 'a number >= 0'],
  jobQueueSize: [isPositiveInteger, 'a positive integer'],
  serverBatchSize: [isPositiveInteger, 'a positive integer'],
  maxBatchDelayMs: [isNonNegative, 'a number >= 0'],
  coldStartMs: [isNonNegative, 'a number >= 0'],
  waitModelLoading: [isBoolean, 'true or false'],
  allowMultiStatus: [isBoolean, 'true or false'],
  maxRequestSize: [isPositiveInteger, 'a positive integer (bytes)'],
  floatFormat: [
    (value) => Object.values<unknown>(FLOAT_FORMATS).includes(value),
    Object.values(FLOAT_FORMATS).join(' or '),
  ],
  random: [(value) => typeof value === 'function', 'a function returning [0, 1)'],
};

function problemsOf(
  values: Readonly<Record<string, unknown>>,
  rules: Readonly<Record<string, Rule | undefined>>,
): string[] {
  return Object.entries(values).flatMap(([key, value]) => {
    const rule = rules[key];
    if (rule === undefined) return [`${key}: not an option (known: ${Object.keys(rules).join(', ')})`];
    const [test, expected] = rule;
    const shown = typeof value === 'string' ? JSON.stringify(value) : String(value);
    return test(value) ? [] : [`${key}: expected ${expected}, got ${shown}`];
  });
}

/** Every problem with these faults, as `key: expected ..., got ...` lines. */
export function faultProblems(faults: Partial<DjlFaults>): string[] {
  const defined = Object.entries(faults).filter(([, value]) => value !== undefined);
  return problemsOf(Object.fromEntries(defined), FAULT_RULES);
}

/**
 * Defaults filled in and every option checked; throws one RangeError listing every bad or unknown
 * option. Keys set to `undefined` keep their defaults.
 */
export function resolveDjlOptions(options: Partial<DjlSimulatorOptions> = {}): DjlSimulatorOptions {
  const defined = Object.fromEntries(Object.entries(options).filter(([, value]) => value !== undefined));
  const problems = problemsOf(defined, OPTION_RULES);
  if (problems.length > 0) {
    throw new RangeError(`Invalid DJL simulator options:\n  ${problems.join('\n  ')}`);
  }
  return Object.freeze({ ...DEFAULT_DJL_OPTIONS, ...defined });
}
