/**
 * The events of the control plane around the dispatch engine: discovery refreshes and warm-up
 * actions. Discovery and the warm-up declare them here and the telemetry sinks implement them, as
 * they do the dispatch events, so an operator can count outcomes and alert on them.
 */
import type { Tier } from './tier';

/** How one discovery refresh of a tier's source ended. */
export const DiscoveryOutcome = {
  /** The source answered (with or without a change). */
  ok: 'ok',
  /** The source failed; the last known endpoints stay in use. */
  error: 'error',
  /** The cloud API throttled the call; the next refresh backs off harder. */
  throttled: 'throttled',
  /** The source could not be built at all (its SDK failed to load, the entry is unusable). */
  unavailable: 'unavailable',
} as const;
export type DiscoveryOutcome = (typeof DiscoveryOutcome)[keyof typeof DiscoveryOutcome];

/** How one applied warm-up action ended. */
export const WarmupOutcome = {
  ok: 'ok',
  failed: 'failed',
  /** Warmed, but warming took longer than the lead the run planned with: the burst came first. */
  late: 'late',
} as const;
export type WarmupOutcome = (typeof WarmupOutcome)[keyof typeof WarmupOutcome];

/** The warm-up's action kinds, as the plan names them (`raise`, `restore`, `forget`, `warm`). */
export const WARMUP_ACTIONS = ['raise', 'restore', 'forget', 'warm'] as const;
export type WarmupActionName = (typeof WARMUP_ACTIONS)[number];

export interface WarmupRecord {
  readonly tier: Tier;
  readonly action: WarmupActionName;
  readonly outcome: WarmupOutcome;
}

export interface ControlEvents {
  /** One discovery refresh of one of `tier`'s sources finished. */
  discovery(tier: Tier, outcome: DiscoveryOutcome): void;
  /** One warm-up action was applied (a dry run applies none). */
  warmup(record: WarmupRecord): void;
  /** The lead a warm-up run planned with: how long before a burst it raises and warms. */
  warmupLead(leadMs: number): void;
}

const ignore = (): void => {};

/** Listens to nothing. */
export const noControlEvents: ControlEvents = { discovery: ignore, warmup: ignore, warmupLead: ignore };
