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
  // The seed's behaviour has only the Percent policy.
  scaleUpPods: 0,
} as const;

/**
 * Backlog scaling as infra/k8s/keda-scaledobject.yaml sets it up (and as the ECS backlog policy of
 * infra/aws/djl-ecs.yaml behaves): queued texts per instance at 300, about 0.43 s of wait at a CPU
 * instance's 700 chunks/s, under half the bursty scenario's 1 s SLO. Scale-up as Kubernetes'
 * default behaviour (no stabilization, the larger of +100% and +4 pods per 15 s); scale-down as
 * the seed's (5 minutes calm, one pod a minute: a removed pod costs a 30-60 s model load to bring
 * back). CPU at 70% stays as the floor, as a second trigger.
 */
export const BACKLOG_DEFAULTS = {
  ...HPA_DEFAULTS,
  targetBacklogPerInstance: 300,
  scaleUpStabilizationSeconds: 0,
  scaleUpPercent: 100,
  scaleUpPods: 4,
  scaleUpPeriodSeconds: 15,
} as const;

/** A Lambda function embedding in-process (functions/embed-worker), as the overflow tier. */
export interface LambdaModel {
  /** Configured memory; Lambda gives CPU in proportion, one vCPU at 1,769 MB. */
  readonly memoryMb: number;
  /** The worker's throughput per vCPU (chunks/s), from its benchmark. */
  readonly chunksPerSecondPerVcpu: number;
  /** Latency of one synchronous invoke outside the function (network, Lambda's invoke path), ms; not billed. */
  readonly invokeOverheadMs: number;
  /** The handler's fixed time per invoke besides the embedding (JSON in and out), ms; billed. */
  readonly handlerOverheadMs: number;
  /** Texts the front door sends per invoke. */
  readonly batchSize: number;
  /** An environment's init (runtime, engine, model), uniform in [min, max] seconds; billed. */
  readonly initSeconds: { readonly min: number; readonly max: number };
  /** How long Lambda keeps an idle environment before a later invoke needs a new one. */
  readonly idleMinutes: number;
  /** New environments a function may add per 10 s. */
  readonly scalingPer10Seconds: number;
  readonly dollarsPerGbSecond: number;
  readonly dollarsPerMillionRequests: number;
}

/** One vCPU per 1,769 MB (AWS Lambda, "Memory and computing power"), at most 6 at 10,240 MB. */
export const LAMBDA_MB_PER_VCPU = 1_769;
export const LAMBDA_MAX_VCPUS = 6;

/**
 * Sources: throughput from `npm run bench:worker` (tools/bench/results/worker.md: the packaged
 * worker with the MiniLM-L6-shaped uint8 model, 47 chunks/s on one pinned core at 32 texts per
 * invoke; `npm run bench:local` measured about 52 per core), scaled linearly with vCPUs (an
 * assumption: ONNX Runtime's intra-op threads on cores nobody else uses; this machine's shared
 * 2-core row cannot confirm it). Init: 0.4-1.5 s, the worker's measured init (261-1,107 ms from
 * process start to the first answer, bundle, runtime, model and warm-up inference) plus Lambda's
 * own sandbox start (about 0.1-0.3 s, an assumption). Memory: the most Lambda offers (10,240 MB, ~5.8 vCPUs), which shortens an
 * invoke and costs the same per text when throughput grows with vCPUs. Invoke overheads (20 ms
 * outside the function, 3 ms of JSON inside): assumptions for a synchronous invoke in one region
 * carrying 16 texts and 16 vectors of 384 floats. Prices: arm64, us-east-1,
 * first 7.5 billion GB-s a month: $0.0000133334 per GB-s and $0.20 per million requests
 * (aws.amazon.com/lambda/pricing; init is billed as duration there). Scaling: 1,000 environments
 * per 10 s per function (AWS Lambda, "Lambda scaling behavior"). Idle environments kept 5 minutes:
 * not published; a low guess, so cold starts are counted generously.
 */
export const LAMBDA_DEFAULTS = {
  memoryMb: 10_240,
  chunksPerSecondPerVcpu: 47,
  invokeOverheadMs: 20,
  handlerOverheadMs: 3,
  batchSize: 16,
  initSeconds: { min: 0.4, max: 1.5 },
  idleMinutes: 5,
  scalingPer10Seconds: 1_000,
  dollarsPerGbSecond: 0.0000133334,
  dollarsPerMillionRequests: 0.20,
} as const satisfies LambdaModel;

/** The seed's replica range (HPA minReplicas/maxReplicas, ECS min/max capacity). */
export const SEED_REPLICAS = { min: 2, max: 10 } as const;
