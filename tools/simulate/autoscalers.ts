/**
 * The autoscalers of the seed, as decision functions over what they would observe: ECS target
 * tracking (CloudWatch alarms on 1-minute CPU datapoints, cooldowns) and the Kubernetes HPA (sync
 * period, tolerance, stabilization windows, scale-up and scale-down policies). CPU utilization is
 * the share of warm workers busy: DJL's workers are CPU-bound, so that is what the metric shows.
 * Backlog scaling is the HPA's behaviour over a second metric, the front door's queued texts per
 * instance, queued and in flight (KEDA's prometheus trigger). A fixed tier never changes. `min` is mutable: the warm-up
 * planner raises and restores it, as it raises MinCapacity or KEDA's minReplicaCount.
 */
import { type BacklogScaling, type EcsScaling, type HpaScaling, ScalerKind, type ScalingSpec } from './scenario-types';

/** What the scaler sees of its tier at a tick. */
export interface TierObservation {
  /** Warm (serving) instances, the metric's denominator. */
  readonly ready: number;
  /** Launched, still in their cold start. */
  readonly starting: number;
  /** Busy workers over warm workers since the previous tick, 0..1 (undefined: no warm worker). */
  readonly utilization: number | undefined;
  /** True when the front door's queue for the tier is not empty. */
  readonly backlog: boolean;
  /** Texts the front door holds for the tier, queued and in flight (efd_backlog_texts summed over front doors). */
  readonly backlogTexts: number;
}

export interface Autoscaler {
  readonly intervalMs: number;
  min: number;
  readonly max: number;
  /** The desired instance count after this tick, given the current one. */
  decide(now: number, desired: number, seen: TierObservation): number;
}

const SECOND_MS = 1_000;
const PERCENT = 100;

/** Creates the scaler of a policy's tier. */
export function createAutoscaler(spec: ScalingSpec): Autoscaler {
  switch (spec.kind) {
    case ScalerKind.fixed:
      return { intervalMs: Infinity, min: spec.instances, max: spec.instances, decide: () => spec.instances };
    case ScalerKind.ecs:
      return new EcsTargetTracking(spec);
    case ScalerKind.hpa:
      return new HorizontalPodAutoscaler(spec);
    case ScalerKind.backlog:
      return new BacklogAutoscaler(spec);
  }
}

const clamp = (value: number, min: number, max: number): number => Math.min(max, Math.max(min, value));

/** Without a warm instance there is no CPU metric; a backlog then reads as saturated. */
const utilizationOf = (seen: TierObservation): number => seen.utilization ?? (seen.backlog ? 1 : 0);

/** ECS service target tracking through Application Auto Scaling. */
export class EcsTargetTracking implements Autoscaler {
  readonly intervalMs: number;
  min: number;
  readonly max: number;
  private readonly datapoints: number[] = [];
  private lastScaleOut = Number.NEGATIVE_INFINITY;
  private lastScaling = Number.NEGATIVE_INFINITY;

  constructor(private readonly spec: EcsScaling) {
    this.intervalMs = spec.periodSeconds * SECOND_MS;
    this.min = spec.min;
    this.max = spec.max;
  }

  decide(now: number, desired: number, seen: TierObservation): number {
    const { targetPercent, scaleOutDatapoints, scaleInDatapoints } = this.spec;
    const target = targetPercent / PERCENT;
    const utilization = utilizationOf(seen);
    this.datapoints.push(utilization);
    if (this.datapoints.length > Math.max(scaleOutDatapoints, scaleInDatapoints)) this.datapoints.shift();
    const floor = clamp(desired, this.min, this.max);
    const recent = (count: number) => this.datapoints.slice(-count);

    const high = recent(scaleOutDatapoints);
    if (high.length === scaleOutDatapoints && high.every((point) => point > target)) {
      // Inside the scale-out cooldown the capacity being added counts as already there: the
      // proportion is taken of the running tasks only, so a second alarm adds no more than needed.
      const inCooldown = now - this.lastScaleOut < this.spec.scaleOutCooldownSeconds * SECOND_MS;
      const base = inCooldown ? Math.max(1, seen.ready) : Math.max(1, desired);
      const wanted = clamp(Math.ceil(base * utilization / target), this.min, this.max);
      if (wanted > floor) {
        this.lastScaleOut = now;
        this.lastScaling = now;
        return wanted;
      }
      return floor;
    }
    const low = recent(scaleInDatapoints);
    const threshold = target * this.spec.scaleInThresholdRatio;
    const cooled = now - this.lastScaling >= this.spec.scaleInCooldownSeconds * SECOND_MS;
    if (cooled && low.length === scaleInDatapoints && low.every((point) => point < threshold)) {
      const wanted = clamp(Math.ceil(Math.max(1, seen.ready) * utilization / target), this.min, this.max);
      if (wanted < floor) {
        this.lastScaling = now;
        return wanted;
      }
    }
    return floor;
  }
}

interface Recommendation {
  readonly time: number;
  readonly replicas: number;
}

/** autoscaling/v2 HorizontalPodAutoscaler with a `behavior` block. */
export class HorizontalPodAutoscaler implements Autoscaler {
  readonly intervalMs: number;
  min: number;
  readonly max: number;
  private readonly recommendations: Recommendation[] = [];
  private readonly changes: { time: number; delta: number }[] = [];

  constructor(protected readonly spec: Omit<HpaScaling, 'kind'>) {
    this.intervalMs = spec.syncSeconds * SECOND_MS;
    this.min = spec.min;
    this.max = spec.max;
  }

  /** The CPU metric's replica count before the behaviour's limits (`desired` when within tolerance). */
  protected recommend(desired: number, seen: TierObservation): number {
    const spec = this.spec;
    const target = spec.targetPercent / PERCENT;
    const utilization = utilizationOf(seen);
    const ratio = utilization / target;
    if (ratio > 1 + spec.tolerance) {
      // Pods still starting count as 0% when scaling up, so a scale-up in progress is not repeated.
      const pods = seen.ready + seen.starting;
      const damped = seen.ready === 0 ? ratio : (utilization * seen.ready) / Math.max(1, pods) / target;
      return damped > 1 + spec.tolerance ? Math.ceil(Math.max(1, pods) * damped) : desired;
    }
    if (ratio < 1 - spec.tolerance && seen.starting === 0) return Math.ceil(seen.ready * ratio);
    return desired;
  }

  decide(now: number, desired: number, seen: TierObservation): number {
    const spec = this.spec;
    const raw = clamp(this.recommend(desired, seen), this.min, this.max);
    this.recommendations.push({ time: now, replicas: raw });
    const keep = Math.max(spec.scaleUpStabilizationSeconds, spec.scaleDownStabilizationSeconds) * SECOND_MS;
    while ((this.recommendations[0]?.time ?? now) < now - keep) this.recommendations.shift();

    const within = (seconds: number) => this.recommendations.filter((item) => item.time > now - seconds * SECOND_MS || item.time === now);
    let next = desired;
    if (raw > desired) {
      // Scale up to the lowest recommendation of the window, at most by the Percent policy per period.
      const stabilized = Math.min(...within(spec.scaleUpStabilizationSeconds).map((item) => item.replicas));
      const periodStart = desired - this.changeWithin(now, spec.scaleUpPeriodSeconds, 1);
      const limit = Math.max(Math.ceil(periodStart * (1 + spec.scaleUpPercent / PERCENT)), periodStart + spec.scaleUpPods);
      next = Math.max(desired, Math.min(stabilized, limit, this.max));
    } else if (raw < desired) {
      const stabilized = Math.max(...within(spec.scaleDownStabilizationSeconds).map((item) => item.replicas));
      const periodStart = desired - this.changeWithin(now, spec.scaleDownPeriodSeconds, -1);
      const limit = periodStart - spec.scaleDownPods;
      next = Math.min(desired, Math.max(stabilized, limit, this.min));
    }
    next = clamp(next, this.min, this.max);
    if (next !== desired) this.changes.push({ time: now, delta: next - desired });
    const period = Math.max(spec.scaleUpPeriodSeconds, spec.scaleDownPeriodSeconds) * SECOND_MS;
    while ((this.changes[0]?.time ?? now) < now - period) this.changes.shift();
    return next;
  }

  /** Net replicas added (sign 1) or removed (sign -1, as a negative number) within the period. */
  private changeWithin(now: number, seconds: number, sign: 1 | -1): number {
    let total = 0;
    for (const change of this.changes) {
      if (change.time > now - seconds * SECOND_MS && Math.sign(change.delta) === sign) total += change.delta;
    }
    return total;
  }
}

/**
 * The HPA KEDA creates for infra/k8s/keda-scaledobject.yaml: an external metric, the fleet's
 * backlog (texts queued and in flight), at an AverageValue target per instance (desired = ceil(backlog / target), as the HPA
 * computes it for an AverageValue external metric), and CPU as a second metric; the larger
 * recommendation goes through the behaviour. With `targetPercent` 0 there is no CPU floor and an
 * empty queue asks for the minimum.
 */
export class BacklogAutoscaler extends HorizontalPodAutoscaler {
  constructor(private readonly backlogSpec: BacklogScaling) {
    super(backlogSpec);
  }

  protected override recommend(desired: number, seen: TierObservation): number {
    const { targetBacklogPerInstance, tolerance, targetPercent } = this.backlogSpec;
    const usage = seen.backlogTexts / (targetBacklogPerInstance * Math.max(1, desired));
    const byBacklog = Math.abs(usage - 1) <= tolerance ? desired : Math.ceil(seen.backlogTexts / targetBacklogPerInstance);
    return targetPercent > 0 ? Math.max(byBacklog, super.recommend(desired, seen)) : byBacklog;
  }
}
