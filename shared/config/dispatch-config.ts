/**
 * Settings of the dispatch engine: batching, coalescing, balancing, retries, ejection and
 * backpressure. Read by `parseConfig` through the same EnvReader, so bad keys are reported with
 * all the others. Defaults are documented in docs/configuration.md.
 */
import type { Tier } from '../core/tier';
import type { EnvReader } from './env-reader';
import { type OverflowConfig, readOverflowConfig } from './overflow-config';

export interface TierDispatchConfig {
  /** Texts per upstream batch. */
  readonly batchSize: number;
  /** Batches one endpoint may hold at once. */
  readonly maxInFlight: number;
  /** One upstream call's time limit on this tier (0: UPSTREAM_TIMEOUT_MS). */
  readonly upstreamTimeoutMs: number;
}

export interface DispatchConfig {
  readonly tiers: Readonly<Record<Tier, TierDispatchConfig>>;
  /** Characters per batch (0: no limit), for backends whose cost follows text length. */
  readonly batchMaxChars: number;
  /** Longest a partial batch waits for company while other batches are in flight (0: never). */
  readonly coalesceWindowMs: number;
  /** How long before a full endpoint's earliest batch is predicted to end one more may go to it (0: never). */
  readonly sendAheadMs: number;
  /** Texts the front door's queue holds per tier before answering 429. */
  readonly queueMaxTexts: number;
  /** Characters of the queued texts per tier before answering 429: the queue's memory bound. */
  readonly queueMaxChars: number;
  /** Texts one API key (or all unkeyed clients together) may have waiting per tier. */
  readonly queueMaxTextsPerKey: number;
  readonly retryBudgetRatio: number;
  readonly retryMinPerSecond: number;
  /** Upstream calls one text may take part in, the first included. */
  readonly maxAttempts: number;
  readonly ejectAfterFailures: number;
  readonly ejectBaseMs: number;
  readonly ejectMaxMs: number;
  readonly slowStartMs: number;
  /** Active /ping period per endpoint (0: passive checks only, as on Lambda). */
  readonly healthIntervalMs: number;
  /** /ping period for endpoints that are cold or unhealthy, so their cold start is timed closely. */
  readonly coldProbeIntervalMs: number;
  readonly overflow: OverflowConfig;
}

export const DISPATCH_DEFAULTS = {
  // DJL runs a CPU batch of 32 at ~700 chunks/s against ~150/s one at a time (the seed's figures).
  cpuBatchSize: 32,
  gpuBatchSize: 64,
  // DJL's CPU default is 2 workers; holding one batch per worker keeps the queue in the front door.
  cpuMaxInFlight: 2,
  gpuMaxInFlight: 2,
  // Long enough for the clients a finished batch answered to come back and share the next one
  // (measured: 5 ms gives ~1,460 chunks/s on the benchmark's workload (a), 2 ms ~1,420, 0 ~950),
  // short against a CPU batch's 13-90 ms.
  coalesceWindowMs: 5,
  // About a loaded machine's round trip through the front door (a DJL answer's way back, the next
  // batch's way out): long enough that the batch is waiting when the worker frees, short against a
  // batch's 13-90 ms, so the queue stays in the front door (measured on workload (a): 3 ms read
  // about 2 points more of the closed-loop limit than 2 ms, and 5 ms no more than 3).
  sendAheadMs: 3,
  queueMaxTexts: 8192,
  // 8192 texts of 2,048 characters (a 512-token chunk): 16 to 32 MB of strings per tier, where
  // 8192 texts of MAX_CHARS_PER_ITEM (32,768) would hold 256 to 512 MB.
  queueMaxChars: 16_777_216,
  retryBudgetPercent: 20,
  retryMinPerSecond: 10,
  maxAttempts: 3,
  // nginx's max_fails=3 in the seed.
  ejectAfterFailures: 3,
  ejectBaseMs: 1_000,
  // nginx's fail_timeout=30s in the seed.
  ejectMaxMs: 30_000,
  slowStartMs: 10_000,
  healthIntervalMs: 5_000,
  // A DJL container loads its model in 30-60 s: probing a cold one every second times its cold
  // start to within a second and sends it traffic about a second after it is ready.
  coldProbeIntervalMs: 1_000,
} as const;

const ONE_HOUR_MS = 3_600_000;

export function readDispatchConfig(read: EnvReader): DispatchConfig {
  const batch = (key: string, fallback: number) => read.int(key, fallback, { min: 1, max: 4096 });
  const inFlight = (key: string, fallback: number) => read.int(key, fallback, { min: 1, max: 1024 });
  const timeout = (key: string) => read.int(key, 0, { min: 0, max: ONE_HOUR_MS });
  const queueMaxTexts = read.int('QUEUE_MAX_TEXTS', DISPATCH_DEFAULTS.queueMaxTexts, { min: 1 });
  return {
    tiers: {
      cpu: {
        batchSize: batch('CPU_BATCH_SIZE', DISPATCH_DEFAULTS.cpuBatchSize),
        maxInFlight: inFlight('CPU_MAX_INFLIGHT', DISPATCH_DEFAULTS.cpuMaxInFlight),
        upstreamTimeoutMs: timeout('CPU_UPSTREAM_TIMEOUT_MS'),
      },
      gpu: {
        batchSize: batch('GPU_BATCH_SIZE', DISPATCH_DEFAULTS.gpuBatchSize),
        maxInFlight: inFlight('GPU_MAX_INFLIGHT', DISPATCH_DEFAULTS.gpuMaxInFlight),
        upstreamTimeoutMs: timeout('GPU_UPSTREAM_TIMEOUT_MS'),
      },
    },
    batchMaxChars: read.int('BATCH_MAX_CHARS', 0, { min: 0 }),
    coalesceWindowMs: read.int('COALESCE_WINDOW_MS', DISPATCH_DEFAULTS.coalesceWindowMs, { min: 0, max: 1_000 }),
    sendAheadMs: read.int('SEND_AHEAD_MS', DISPATCH_DEFAULTS.sendAheadMs, { min: 0, max: 1_000 }),
    queueMaxTexts,
    queueMaxChars: read.int('QUEUE_MAX_CHARS', DISPATCH_DEFAULTS.queueMaxChars, { min: 1 }),
    // The whole queue by default, so one client alone keeps all of it. Others are not locked out:
    // a full queue sheds the largest holder's newest requests for a smaller holder, and each key's
    // backlog is bounded by what its fair share of the measured speed finishes before its deadline
    // (see docs/security.md).
    queueMaxTextsPerKey: Math.min(queueMaxTexts, read.int('QUEUE_MAX_TEXTS_PER_KEY', queueMaxTexts, { min: 1 })),
    retryBudgetRatio: read.int('RETRY_BUDGET_PERCENT', DISPATCH_DEFAULTS.retryBudgetPercent, { min: 0, max: 100 }) / 100,
    retryMinPerSecond: read.int('RETRY_MIN_PER_SECOND', DISPATCH_DEFAULTS.retryMinPerSecond, { min: 0, max: 10_000 }),
    maxAttempts: read.int('MAX_ATTEMPTS', DISPATCH_DEFAULTS.maxAttempts, { min: 1, max: 10 }),
    ejectAfterFailures: read.int('EJECT_AFTER_FAILURES', DISPATCH_DEFAULTS.ejectAfterFailures, { min: 1, max: 100 }),
    ejectBaseMs: read.int('EJECT_BASE_MS', DISPATCH_DEFAULTS.ejectBaseMs, { min: 1, max: ONE_HOUR_MS }),
    ejectMaxMs: read.int('EJECT_MAX_MS', DISPATCH_DEFAULTS.ejectMaxMs, { min: 1, max: ONE_HOUR_MS }),
    slowStartMs: read.int('SLOW_START_MS', DISPATCH_DEFAULTS.slowStartMs, { min: 0, max: ONE_HOUR_MS }),
    healthIntervalMs: read.int('HEALTH_INTERVAL_MS', DISPATCH_DEFAULTS.healthIntervalMs, { min: 0, max: ONE_HOUR_MS }),
    coldProbeIntervalMs: read.int('COLD_PROBE_INTERVAL_MS', DISPATCH_DEFAULTS.coldProbeIntervalMs, { min: 100, max: ONE_HOUR_MS }),
    overflow: readOverflowConfig(read),
  };
}
