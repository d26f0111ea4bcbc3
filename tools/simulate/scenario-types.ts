/**
 * A simulation scenario, validated: the span, the SLO, the instance models, the load and the
 * policies to compare. The JSON format is described in docs/capacity-planning.md.
 */
import type { Tier } from '../../shared/core/tier';
import type { Burst } from '../../shared/warmup/schedule';
import type { InstanceModel } from './defaults';

/** Request sizes, uniform in [min, max] texts. */
export interface TextsPerRequest {
  readonly min: number;
  readonly max: number;
}

export const LoadKind = {
  steady: 'steady',
  daily: 'daily',
  scheduled: 'scheduled',
  spikes: 'spikes',
  trace: 'trace',
} as const;
export type LoadKind = (typeof LoadKind)[keyof typeof LoadKind];

/** Constant offered load. */
export interface SteadyLoad {
  readonly kind: typeof LoadKind.steady;
  readonly chunksPerSecond: number;
  readonly textsPerRequest: TextsPerRequest;
}

/** A cosine day: `max` at `peakHourUtc`, `min` twelve hours away. */
export interface DailyLoad {
  readonly kind: typeof LoadKind.daily;
  readonly minChunksPerSecond: number;
  readonly maxChunksPerSecond: number;
  readonly peakHourUtc: number;
  readonly textsPerRequest: TextsPerRequest;
}

/** Extra load during every window of a burst of the schedule (the same bursts the warm-up knows). */
export interface ScheduledLoad {
  readonly kind: typeof LoadKind.scheduled;
  readonly burst: string;
  readonly chunksPerSecond: number;
  readonly textsPerRequest: TextsPerRequest;
}

/** Unannounced spikes: `perDay` on average (Poisson), at random times, each `durationMinutes` long. */
export interface SpikeLoad {
  readonly kind: typeof LoadKind.spikes;
  readonly perDay: number;
  readonly durationMinutes: number;
  readonly chunksPerSecond: number;
  readonly textsPerRequest: TextsPerRequest;
}

/** A replayed trace: requests at seconds after the start, with their sizes. */
export interface TraceLoad {
  readonly kind: typeof LoadKind.trace;
  readonly requests: readonly { readonly atSeconds: number; readonly texts: number }[];
}

export type LoadComponent = SteadyLoad | DailyLoad | ScheduledLoad | SpikeLoad | TraceLoad;

export const ScalerKind = { fixed: 'fixed', ecs: 'ecs', hpa: 'hpa' } as const;
export type ScalerKind = (typeof ScalerKind)[keyof typeof ScalerKind];

export interface FixedScaling {
  readonly kind: typeof ScalerKind.fixed;
  readonly instances: number;
}

export interface EcsScaling {
  readonly kind: typeof ScalerKind.ecs;
  readonly min: number;
  readonly max: number;
  readonly targetPercent: number;
  readonly periodSeconds: number;
  readonly scaleOutDatapoints: number;
  readonly scaleInDatapoints: number;
  readonly scaleInThresholdRatio: number;
  readonly scaleOutCooldownSeconds: number;
  readonly scaleInCooldownSeconds: number;
}

export interface HpaScaling {
  readonly kind: typeof ScalerKind.hpa;
  readonly min: number;
  readonly max: number;
  readonly targetPercent: number;
  readonly syncSeconds: number;
  readonly tolerance: number;
  readonly scaleUpStabilizationSeconds: number;
  readonly scaleUpPercent: number;
  readonly scaleUpPeriodSeconds: number;
  readonly scaleDownStabilizationSeconds: number;
  readonly scaleDownPods: number;
  readonly scaleDownPeriodSeconds: number;
}

export type ScalingSpec = FixedScaling | EcsScaling | HpaScaling;

/** One way of running the system; a tier without scaling is not deployed. */
export interface PolicySpec {
  readonly name: string;
  readonly scaling: Readonly<Partial<Record<Tier, ScalingSpec>>>;
  /** Route with the production OverflowPolicy (needs both tiers). */
  readonly overflow: boolean;
  /** Run the production warm-up planner on the schedule. */
  readonly warmup: boolean;
}

export interface Slo {
  readonly latencyMs: number;
  /** Largest share of requests over the latency (429s included) that still meets the SLO. */
  readonly maxShareOver: number;
}

export interface Scenario {
  readonly name: string;
  readonly description: string;
  /** Epoch milliseconds of the simulated start (cron schedules are read against it). */
  readonly startMs: number;
  readonly durationMs: number;
  readonly seed: number;
  readonly slo: Slo;
  /** The front door's REQUEST_TIMEOUT_MS: the deadline admission control checks. */
  readonly requestTimeoutMs: number;
  readonly queueMaxTexts: number;
  readonly sampleMs: number;
  readonly instances: Readonly<Record<Tier, InstanceModel>>;
  readonly schedule: readonly Burst[];
  /** Warm-up lead; undefined: the production leadTimeMs from the cold-start p95. */
  readonly warmupLeadSeconds: number | undefined;
  readonly load: readonly LoadComponent[];
  readonly policies: readonly PolicySpec[];
}
