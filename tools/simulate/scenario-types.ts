/**
 * A simulation scenario, validated: the span, the SLO, the instance models, the load and the
 * policies to compare. The JSON format is described in docs/capacity-planning.md.
 */
import type { Tier } from '../../shared/core/tier';
import type { Burst } from '../../shared/warmup/schedule';
import type { InstanceModel, LambdaModel } from './defaults';

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

export const ScalerKind = { fixed: 'fixed', ecs: 'ecs', hpa: 'hpa', backlog: 'backlog' } as const;
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
  /** Pods a scale-up may add per period besides the Percent policy (the larger wins, selectPolicy Max); 0: none. */
  readonly scaleUpPods: number;
}

/**
 * Scaling on the front door's backlog (KEDA's prometheus trigger, ECS target tracking on the EMF
 * metric): the HPA's behaviour with a second metric, queued texts per instance, beside CPU. The
 * larger recommendation wins; `targetPercent` 0 drops the CPU floor.
 */
export interface BacklogScaling extends Omit<HpaScaling, 'kind'> {
  readonly kind: typeof ScalerKind.backlog;
  /** Queued texts per instance the scaler holds the fleet at. */
  readonly targetBacklogPerInstance: number;
}

export type ScalingSpec = FixedScaling | EcsScaling | HpaScaling | BacklogScaling;

/** A Lambda overflow function: how much of it a policy may use. */
export interface LambdaSpec {
  /** Reserved concurrency: the most environments at once, and the front door's slots for it. */
  readonly reservedConcurrency: number;
}

/** One way of running the system; a tier without scaling is not deployed. */
export interface PolicySpec {
  readonly name: string;
  readonly scaling: Readonly<Partial<Record<Tier, ScalingSpec>>>;
  /** A Lambda function as the overflow tier, in the GPU tier's place. */
  readonly lambda: LambdaSpec | undefined;
  /** Route with the production OverflowPolicy (needs the CPU tier and a GPU tier or a Lambda function). */
  readonly overflow: boolean;
  /** Run the production warm-up planner on the schedule. */
  readonly warmup: boolean;
  /** OVERFLOW_WAIT_MS and OVERFLOW_RESUME_WAIT_MS for this policy (default: the production defaults). */
  readonly overflowWaitMs: number;
  readonly overflowResumeWaitMs: number;
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
  readonly lambda: LambdaModel;
  readonly schedule: readonly Burst[];
  /** Warm-up lead; undefined: the production leadTimeMs from the cold-start p95. */
  readonly warmupLeadSeconds: number | undefined;
  readonly load: readonly LoadComponent[];
  readonly policies: readonly PolicySpec[];
}
