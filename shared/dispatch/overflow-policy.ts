/**
 * Which tier takes a request: the CPU tier while it keeps up, the GPU overflow tier while it does
 * not. Pure: the dispatch embedder measures the tiers and passes the figures with the time.
 *
 * "Keeps up" is the CPU tier's estimated wait: on a server that sees its own queue, the queued work
 * over the endpoints' measured speed; where the queue is inside DJL instead (Lambda: one request
 * per environment), the wait inferred from upstream latency above the measured service time, and
 * DJL's capacity errors. Hysteresis: a request spills when the wait is above `spillWaitMs`, and once
 * spilling, keeps spilling while the wait is above the lower `resumeWaitMs`, until no request has
 * needed to spill for `holdMs`. The CPU tier then stays busy at the resume level and only the excess
 * goes to the GPU, instead of all traffic flapping between the tiers.
 */
import { Tier } from '../core/tier';
import type { OverflowConfig } from '../config/overflow-config';
import { OverflowReason } from '../core/dispatch-events';

/** What the policy knows about the CPU tier when a request arrives. */
export interface CpuTierSignals {
  /** Endpoints that may take client traffic now. */
  readonly warmEndpoints: number;
  /** Estimated wait in the front door's own queue before this request's texts start (undefined: not measured yet). */
  readonly queueWaitMs: number | undefined;
  /** Wait inside the backends, inferred from upstream latency above their measured service time. */
  readonly backendWaitMs: number;
  /** Capacity refusals (DJL 503 WlmCapacityException, 429) within the last `holdMs`. */
  readonly recentCapacityErrors: number;
  /** Estimated time until this request would be done on this tier (undefined: not measured yet). */
  readonly finishMs: number | undefined;
}

export interface GpuTierSignals {
  readonly warmEndpoints: number;
  readonly finishMs: number | undefined;
}

export interface TierChoice {
  readonly tier: Tier;
  /** Why the GPU tier was chosen (undefined for the CPU tier). */
  readonly reason: OverflowReason | undefined;
}

const CPU: TierChoice = { tier: Tier.cpu, reason: undefined };
const gpu = (reason: OverflowReason): TierChoice => ({ tier: Tier.gpu, reason });

export class OverflowPolicy {
  private lastSpillAt = Number.NEGATIVE_INFINITY;
  private lastSpillReason: OverflowReason | undefined;

  constructor(private readonly settings: OverflowConfig) {}

  /** True while recent requests have spilled: the lower (resume) threshold applies. */
  isSpilling(now: number): boolean {
    return now - this.lastSpillAt < this.settings.holdMs;
  }

  /** Why the latest request spilled, while spilling (the status page's "why"); undefined otherwise. */
  spillReason(now: number): OverflowReason | undefined {
    return this.isSpilling(now) ? this.lastSpillReason : undefined;
  }

  /** Chooses the tier for a request of `texts` distinct texts. Records spills for the hysteresis. */
  choose(now: number, texts: number, cpu: CpuTierSignals, gpuTier: GpuTierSignals): TierChoice {
    if (gpuTier.warmEndpoints === 0) return CPU;
    if (cpu.warmEndpoints === 0) return this.spill(now, OverflowReason.noWarmEndpoint);

    const { largeRequestTexts } = this.settings;
    if (largeRequestTexts > 0 && texts >= largeRequestTexts && this.gpuFinishesSooner(cpu, gpuTier)) {
      // Not a spill: a large request says nothing about the CPU tier's load.
      return gpu(OverflowReason.largeRequest);
    }

    const spilling = this.isSpilling(now);
    const threshold = spilling ? this.settings.resumeWaitMs : this.settings.spillWaitMs;
    const backendThreshold = spilling ? this.settings.backendSpillWaitMs / 2 : this.settings.backendSpillWaitMs;
    const queueWait = cpu.queueWaitMs ?? 0;
    const reason = cpu.recentCapacityErrors > 0 ? OverflowReason.backendLoad
      : queueWait > threshold ? OverflowReason.queueWait
        : cpu.backendWaitMs > backendThreshold ? OverflowReason.backendLoad : undefined;
    if (reason === undefined) return CPU;
    // A GPU tier that is itself backed up further than the CPU tier would only make it worse.
    if (cpu.finishMs !== undefined && gpuTier.finishMs !== undefined && gpuTier.finishMs >= cpu.finishMs) return CPU;
    return this.spill(now, reason);
  }

  private spill(now: number, reason: OverflowReason): TierChoice {
    this.lastSpillAt = now;
    this.lastSpillReason = reason;
    return gpu(reason);
  }

  /** Unmeasured tiers: the GPU tier is the faster one by design, so it gets the large request. */
  private gpuFinishesSooner(cpu: CpuTierSignals, gpuTier: GpuTierSignals): boolean {
    if (cpu.finishMs === undefined || gpuTier.finishMs === undefined) return true;
    return gpuTier.finishMs < cpu.finishMs;
  }
}
