/**
 * The scaling signal on Lambda (docs/operate.md). An execution environment serves one request at
 * a time, so when its request ends its backlog is back to 0: the figure worth reporting is the
 * backlog while the request was being dispatched. The sampler reads the dispatch snapshot when a
 * request's first batch leaves a tier's queue (that batch already counted as in flight) and when
 * a tier refuses work, and keeps per tier the sample with the largest backlog of the invocation.
 */
import type { DispatchSnapshot } from '../core/dispatch-snapshot';
import type { Tier } from '../core/tier';

/** One tier's scaling signal as the environment saw it at its busiest moment of the invocation. */
export interface TierBacklogSample {
  readonly tier: Tier;
  readonly backlogTexts: number;
  readonly servingEndpoints: number;
  readonly estimatedWaitSeconds: number | undefined;
}

export class BacklogSampler {
  private samples = new Map<Tier, TierBacklogSample>();

  /** @param snapshot the dispatch engine's snapshot; undefined: nothing is sampled. */
  constructor(private readonly snapshot: (() => DispatchSnapshot) | undefined) {}

  /** Reads `tier` now and keeps it if its backlog is the largest seen in this invocation. */
  sample(tier: Tier): void {
    if (this.snapshot === undefined) return;
    const now = this.snapshot().tiers[tier];
    const kept = this.samples.get(tier);
    if (kept !== undefined && kept.backlogTexts >= now.backlogTexts) return;
    this.samples.set(tier, {
      tier,
      backlogTexts: now.backlogTexts,
      servingEndpoints: now.servingEndpoints,
      estimatedWaitSeconds: now.estimatedWaitSeconds,
    });
  }

  /** The invocation's samples, one per tier that saw work, and a fresh start for the next one. */
  take(): TierBacklogSample[] {
    const samples = [...this.samples.values()];
    this.samples = new Map();
    return samples;
  }
}
