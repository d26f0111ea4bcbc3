/**
 * The warm-up planner: from the schedule, the time and each backend service's capacity, the
 * actions that raise minimums ahead of a burst and restore them after it (STYLE.md rule 4: plan is
 * pure and printable, apply is thin). Stateless between runs: what to restore is the marker kept
 * on the service (shared/scaling/scaler.ts), so any run, on any instance, plans the same thing.
 *
 * The rules, per target (one scalable service of a tier):
 * - A burst of the target's tier is due when it is running now or starts within the lead time.
 *   The desired minimum is the largest `minInstances` over the due bursts.
 * - Due, and the minimum is below it: `raise` to the desired minimum (no higher than the
 *   service's maximum). The marker keeps the resting minimum to restore: the one already in the
 *   marker when an earlier burst raised it, else the current minimum.
 * - Due, and the minimum is already at or above it: nothing. A warm-up never lowers a minimum
 *   while a burst is due, whoever set it.
 * - Nothing due, and a marker: `restore` the resting minimum if the minimum is still what the
 *   warm-up set; otherwise someone else changed it since, so `forget` the marker and leave the
 *   minimum alone.
 * - Nothing due, no marker: nothing.
 * Plus one `warm` per tier with a burst due, whether or not the tier has scalable targets.
 *
 * Idempotent: applying the actions and planning again at the same time gives no scaling action.
 */
import type { Tier } from '../core/tier';
import type { ServiceCapacity, WarmupMarker } from '../scaling/scaler';
import { burstWindows } from './burst-windows';
import type { Burst, BurstWindow } from './schedule';

/** One scalable backend service of a tier, as it stands now. */
export interface WarmupTarget {
  readonly tier: Tier;
  /** The scaler's target name, e.g. `ecs:service/cluster/service`. */
  readonly target: string;
  readonly capacity: ServiceCapacity;
}

export interface PlanInput {
  /** Epoch milliseconds. */
  readonly now: number;
  readonly bursts: readonly Burst[];
  /** How long before a burst its minimum is raised (see lead-time.ts). */
  readonly leadMs: number;
  readonly targets: readonly WarmupTarget[];
}

export const WarmupActionKind = {
  raise: 'raise',
  restore: 'restore',
  forget: 'forget',
  warm: 'warm',
} as const;
export type WarmupActionKind = (typeof WarmupActionKind)[keyof typeof WarmupActionKind];

interface ScalingFields {
  readonly target: string;
  readonly tier: Tier;
  /** The minimum now. */
  readonly from: number;
  /** The minimum to set (equal to `from` for `forget`). */
  readonly to: number;
  /** The due bursts behind the action (empty for restore and forget). */
  readonly bursts: readonly string[];
  readonly reason: string;
}

/** Raise the minimum and remember how to undo it. */
export interface RaiseAction extends ScalingFields {
  readonly action: typeof WarmupActionKind.raise;
  readonly marker: WarmupMarker;
}

/** Set the minimum back to the resting one and clear the marker. */
export interface RestoreAction extends ScalingFields {
  readonly action: typeof WarmupActionKind.restore;
  readonly marker: undefined;
}

/** Clear the marker only: someone else changed the minimum, so it is theirs now. */
export interface ForgetAction extends ScalingFields {
  readonly action: typeof WarmupActionKind.forget;
  readonly marker: undefined;
}

/** Send a tiny embed to every endpoint of the tier, so the first real request skips the model's first inference. */
export interface WarmAction {
  readonly action: typeof WarmupActionKind.warm;
  readonly tier: Tier;
  readonly bursts: readonly string[];
  readonly reason: string;
}

/** An action that calls `Scaler.setMinimum(to, marker)` on `target`. */
export type ScalingAction = RaiseAction | RestoreAction | ForgetAction;
export type WarmupAction = ScalingAction | WarmAction;

interface DueBurst {
  readonly burst: Burst;
  readonly window: BurstWindow;
}

const SECOND_MS = 1_000;

/** The actions that bring every target to what the schedule wants at `input.now`. Pure. */
export function plan(input: PlanInput): WarmupAction[] {
  const leadMs = Math.max(0, input.leadMs);
  const due = dueBursts(input.bursts, input.now, leadMs);
  const actions: WarmupAction[] = [];
  for (const target of input.targets) {
    const action = planTarget(target, due.get(target.tier) ?? [], leadMs);
    if (action !== undefined) actions.push(action);
  }
  for (const [tier, tierDue] of due) {
    actions.push({
      action: WarmupActionKind.warm,
      tier,
      bursts: tierDue.map((item) => item.burst.name),
      reason: `${describeDue(tierDue)}: warming every ${tier} endpoint so the first request does not pay the model's first inference`,
    });
  }
  return actions;
}

/** True for the actions that change a service (everything but `warm`). */
export function isScalingAction(action: WarmupAction): action is ScalingAction {
  return action.action !== WarmupActionKind.warm;
}

/** One JSON line for logs: fixed key order, a cleared marker shown as null. */
export function describeAction(action: WarmupAction): string {
  if (!isScalingAction(action)) {
    return JSON.stringify({ action: action.action, tier: action.tier, bursts: action.bursts, reason: action.reason });
  }
  const { target, tier, from, to, bursts, reason, marker } = action;
  return JSON.stringify({ action: action.action, target, tier, from, to, bursts, marker: marker ?? null, reason });
}

/** Due bursts grouped by tier, in schedule order; tiers with none are absent. */
function dueBursts(bursts: readonly Burst[], now: number, leadMs: number): Map<Tier, DueBurst[]> {
  const due = new Map<Tier, DueBurst[]>();
  for (const burst of bursts) {
    const window = burstWindows(burst, new Date(now), leadMs)[0];
    if (window === undefined) continue;
    const tierDue = due.get(burst.tier) ?? [];
    tierDue.push({ burst, window });
    due.set(burst.tier, tierDue);
  }
  return due;
}

function planTarget(target: WarmupTarget, due: readonly DueBurst[], leadMs: number): ScalingAction | undefined {
  const { minInstances: current, maxInstances, marker } = target.capacity;
  const base = { target: target.target, tier: target.tier, from: current };

  if (due.length > 0) {
    const desired = Math.max(...due.map((item) => item.burst.minInstances));
    const to = maxInstances === undefined ? desired : Math.min(desired, maxInstances);
    if (current >= to) return undefined;
    const clamped = to < desired ? ` (wanted ${desired}, clamped to the maximum ${maxInstances})` : '';
    return {
      ...base,
      action: WarmupActionKind.raise,
      to,
      // A second, bigger burst raising again keeps the minimum from before the first one.
      marker: { restingMin: marker?.restingMin ?? current, raisedTo: to },
      bursts: due.map((item) => item.burst.name),
      reason: `${describeDue(due)}: raising the minimum from ${current} to ${to}${clamped}`,
    };
  }

  if (marker === undefined) return undefined;
  const quiet = `no ${target.tier} burst running or starting within ${Math.round(leadMs / SECOND_MS)} s`;
  if (current === marker.raisedTo) {
    return {
      ...base,
      action: WarmupActionKind.restore,
      to: marker.restingMin,
      marker: undefined,
      bursts: [],
      reason: `${quiet}: restoring the resting minimum ${marker.restingMin}`,
    };
  }
  return {
    ...base,
    action: WarmupActionKind.forget,
    to: current,
    marker: undefined,
    bursts: [],
    reason: `${quiet}; the minimum is ${current}, not the ${marker.raisedTo} the warm-up set, ` +
      'so someone else changed it: leaving it and clearing the marker',
  };
}

/** E.g. `"nightly" (min 4) 2025-06-03T00:00:00.000Z to 2025-06-03T01:00:00.000Z`. */
function describeDue(due: readonly DueBurst[]): string {
  return due.map(({ burst, window }) => `"${burst.name}" (min ${burst.minInstances}) ` +
    `${new Date(window.start).toISOString()} to ${new Date(window.end).toISOString()}`).join(', ');
}
