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
  /** Port on 127.0.0.1; 0 picks a free one. */
  readonly port: number;
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

type Check = readonly [ok: boolean, problem: string];

const isFraction = (value: number): boolean => value >= 0 && value <= 1;
const isNonNegative = (value: number): boolean => Number.isFinite(value) && value >= 0;
const isPositiveInteger = (value: number): boolean => Number.isInteger(value) && value >= 1;

/** Every problem with these faults, as `key: expected ..., got ...` lines. */
export function faultProblems(faults: Partial<DjlFaults>): string[] {
  const checks: Check[] = [];
  if (faults.errorRate !== undefined) {
    checks.push([isFraction(faults.errorRate), `errorRate: expected 0..1, got ${faults.errorRate}`]);
  }
  if (faults.hangRate !== undefined) {
    checks.push([isFraction(faults.hangRate), `hangRate: expected 0..1, got ${faults.hangRate}`]);
  }
  if (faults.badTextMarker !== undefined) {
    checks.push([typeof faults.badTextMarker === 'string', 'badTextMarker: expected a string']);
  }
  if (faults.unhealthy !== undefined) {
    checks.push([typeof faults.unhealthy === 'boolean', 'unhealthy: expected true or false']);
  }
  return checks.filter(([ok]) => !ok).map(([, problem]) => problem);
}

/**
 * Defaults filled in and every option checked; throws one RangeError listing every bad option.
 */
export function resolveDjlOptions(options: Partial<DjlSimulatorOptions> = {}): DjlSimulatorOptions {
  const defined = Object.fromEntries(
    Object.entries(options).filter(([, value]) => value !== undefined),
  ) as Partial<DjlSimulatorOptions>;
  const resolved: DjlSimulatorOptions = { ...DEFAULT_DJL_OPTIONS, ...defined };
  const checks: Check[] = [
    [Number.isInteger(resolved.port) && resolved.port >= 0 && resolved.port <= MAX_PORT, `port: expected 0..${MAX_PORT}, got ${resolved.port}`],
    [/^\w+$/.test(resolved.modelName), `modelName: expected word characters only (as DJL names models), got ${JSON.stringify(resolved.modelName)}`],
    [isPositiveInteger(resolved.dimension), `dimension: expected a positive integer, got ${resolved.dimension}`],
    [isPositiveInteger(resolved.workers), `workers: expected a positive integer, got ${resolved.workers}`],
    [isNonNegative(resolved.baseMs), `baseMs: expected a number >= 0, got ${resolved.baseMs}`],
    [isNonNegative(resolved.perItemMs), `perItemMs: expected a number >= 0, got ${resolved.perItemMs}`],
    [isPositiveInteger(resolved.jobQueueSize), `jobQueueSize: expected a positive integer, got ${resolved.jobQueueSize}`],
    [isPositiveInteger(resolved.serverBatchSize), `serverBatchSize: expected a positive integer, got ${resolved.serverBatchSize}`],
    [isNonNegative(resolved.maxBatchDelayMs), `maxBatchDelayMs: expected a number >= 0, got ${resolved.maxBatchDelayMs}`],
    [isNonNegative(resolved.coldStartMs), `coldStartMs: expected a number >= 0, got ${resolved.coldStartMs}`],
    [isPositiveInteger(resolved.maxRequestSize), `maxRequestSize: expected a positive integer, got ${resolved.maxRequestSize}`],
    [Object.values(FLOAT_FORMATS).includes(resolved.floatFormat), `floatFormat: expected one of ${Object.values(FLOAT_FORMATS).join(', ')}, got ${resolved.floatFormat}`],
  ];
  const unknown = Object.keys(options).filter((key) => !(key in DEFAULT_DJL_OPTIONS));
  const problems = [
    ...unknown.map((key) => `${key}: not an option (known: ${Object.keys(DEFAULT_DJL_OPTIONS).join(', ')})`),
    ...checks.filter(([ok]) => !ok).map(([, problem]) => problem),
    ...faultProblems(resolved),
  ];
  if (problems.length > 0) {
    throw new RangeError(`Invalid DJL simulator options:\n  ${problems.join('\n  ')}`);
  }
  return Object.freeze(resolved);
}
