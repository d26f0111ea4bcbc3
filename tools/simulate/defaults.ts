/**
 * Default instance models and autoscaler settings, from the seed design note (docs: "Autoscaling
 * DJL Embedding Service") unless said otherwise. A scenario overrides any of them.
 */
import { DISPATCH_DEFAULTS } from '../../shared/config/dispatch-config';

/** How one instance of a tier serves: `workers` batches at once, each taking `baseMs + perTextMs * n`. */
export interface InstanceModel {
  readonly workers: number;
  readonly batchSize: number;
  readonly baseMs: number;
  readonly perTextMs: number;
  /** Cold start (launch to first request served), uniform in [min, max] seconds. */
  readonly coldStartSeconds: { readonly min: number; readonly max: number };
  readonly dollarsPerHour: number;
}

/**
 * CPU: DJL's 2 workers (DISPATCH_DEFAULTS.cpuMaxInFlight) at the seed's ~700 chunks/s per instance
 * with batches of 32, and ~150 chunks/s one text at a time (dispatch-config.ts): per worker a batch
 * of 1 takes 13.3 ms and one of 32 takes 91.4 ms, so 10.8 ms + 2.52 ms per text.
 * $0.10/h: the low end of the seed's "$0.50-1/hour for 5 instances", and Fargate's price for the
 * seed's task (2 vCPU, 4 GB: $0.0987/h in us-east-1). Cold start: the seed's 30-60 s model load.
 */
export const CPU_INSTANCE_DEFAULTS = {
  workers: DISPATCH_DEFAULTS.cpuMaxInFlight,
  batchSize: DISPATCH_DEFAULTS.cpuBatchSize,
  baseMs: 10.8,
  perTextMs: 2.52,
  coldStartSeconds: { min: 30, max: 60 },
  dollarsPerHour: 0.10,
} as const satisfies InstanceModel;

/**
 * GPU: the middle of the seed's 3,000-5,000 chunks/s, 4,000 at batches of 64 with 2 workers: 32 ms
 * per batch of 64, taken as 8 ms + 0.375 ms per text (the fixed part is an assumption: a GPU batch
 * is mostly transfer and launch overhead at this model size). Cold start: the seed's 30-60 s.
 * $/hour: the seed says $1-3/h (p3.2xlarge); the default is its low end. Scenarios that model a
 * T4 (g4dn.xlarge, $0.526/h on demand in us-east-1) override it and say so.
 */
export const GPU_INSTANCE_DEFAULTS = {
  workers: DISPATCH_DEFAULTS.gpuMaxInFlight,
  batchSize: DISPATCH_DEFAULTS.gpuBatchSize,
  baseMs: 8,
  perTextMs: 0.375,
  coldStartSeconds: { min: 30, max: 60 },
  dollarsPerHour: 1.0,
} as const satisfies InstanceModel;

/** ECS target tracking (Application Auto Scaling) as the seed's `put-scaling-policy` sets it up. */
export const ECS_DEFAULTS = {
  targetPercent: 70,
  // CloudWatch's 1-minute ECS metrics; the high alarm needs 3 datapoints above the target, the
  // low alarm 15 below 90% of it (what target tracking creates).
  periodSeconds: 60,
  scaleOutDatapoints: 3,
  scaleInDatapoints: 15,
  scaleInThresholdRatio: 0.9,
  // Application Auto Scaling's default cooldowns for ECS services.
  scaleOutCooldownSeconds: 300,
  scaleInCooldownSeconds: 300,
} as const;

/** The seed's HorizontalPodAutoscaler (autoscaling/v2) behaviour block, plus the HPA's built-ins. */
export const HPA_DEFAULTS = {
  targetPercent: 70,
  // kube-controller-manager's --horizontal-pod-autoscaler-sync-period and its 10% tolerance.
  syncSeconds: 15,
  tolerance: 0.1,
  scaleUpStabilizationSeconds: 60,
  scaleUpPercent: 50,
  scaleUpPeriodSeconds: 60,
  scaleDownStabilizationSeconds: 300,
  scaleDownPods: 1,
  scaleDownPeriodSeconds: 60,
} as const;

/** The seed's replica range (HPA minReplicas/maxReplicas, ECS min/max capacity). */
export const SEED_REPLICAS = { min: 2, max: 10 } as const;
