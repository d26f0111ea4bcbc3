/**
 * One warm-up run, as the scheduled trigger, `npm run warmup` and `POST /warmup` perform it:
 * read each scalable service's capacity, plan (pure), print the plan, and unless it is a dry run,
 * apply it: scaling actions through the scalers, then `warm` actions on every endpoint of the
 * tier. Stateless: what a raise must undo later is kept on the service itself (the marker).
 */
import { type ControlEvents, WarmupOutcome } from '../core/control-events';
import { Tier } from '../core/tier';
import type { WarmupConfig } from '../config/warmup-config';
import { leadTimeMs } from './lead-time';
import type { Scheduler } from '../dispatch/scheduler';
import type { Upstream } from '../upstream/upstream';
import type { TierScaler } from './create-scalers';
import { describeAction, isScalingAction, plan, type WarmupAction, type WarmupTarget } from './plan';
import { warmEndpoints, type WarmResult } from './warm-endpoints';

export interface WarmupRunOptions {
  readonly config: WarmupConfig;
  readonly scalers: readonly TierScaler[];
  /** The tier's endpoints now (discovered ones included). */
  readonly upstreams: (tier: Tier) => readonly Upstream[];
  /** The tier's measured backend cold-start p95, when this process has seen one. */
  readonly coldStartP95Ms: (tier: Tier) => number | undefined;
  readonly scheduler: Scheduler;
  /** Plan for this time instead of now (`--at`): what the trigger would do then. */
  readonly at?: number;
  readonly dryRun: boolean;
  /** How long warming may take in all. */
  readonly warmBudgetMs: number;
  /** Receives each plan and result line (JSON). */
  readonly write: (line: string) => void;
  /** Told the lead and each applied action's outcome (the warm-up metrics); default: nobody. */
  readonly events?: ControlEvents;
}

export interface StepResult {
  readonly action: WarmupAction;
  readonly ok: boolean;
  readonly error?: string;
  readonly warmed?: readonly WarmResult[];
}

export interface WarmupRunResult {
  readonly at: number;
  readonly leadMs: number;
  readonly actions: readonly WarmupAction[];
  /** Empty for a dry run. */
  readonly results: readonly StepResult[];
  /** Services whose capacity could not be read (they were left out of the plan). */
  readonly unreadable: readonly { target: string; error: string }[];
}

/** One warm-up run as `POST /warmup`, `npm run warmup` and the scheduled function ask for it. */
export interface WarmupRequest {
  readonly dryRun: boolean;
  /** Epoch ms to plan for instead of now. */
  readonly at?: number;
  readonly write: (line: string) => void;
}

/** Runs the warm-up over a process's dependencies (shared/runtime/warmup-runner.ts builds one). */
export type WarmupRunner = (request: WarmupRequest) => Promise<WarmupRunResult>;

export async function runWarmup(options: WarmupRunOptions): Promise<WarmupRunResult> {
  const { scheduler, write } = options;
  const at = options.at ?? scheduler.now();
  const measured = [Tier.cpu, Tier.gpu].map(options.coldStartP95Ms).filter((ms): ms is number => ms !== undefined);
  const leadMs = leadTimeMs(options.config, measured.length === 0 ? undefined : Math.max(...measured));

  const targets: WarmupTarget[] = [];
  const unreadable: { target: string; error: string }[] = [];
  const byTarget = new Map<string, TierScaler>();
  await Promise.all(options.scalers.map(async (entry) => {
    try {
      targets.push({ tier: entry.tier, target: entry.scaler.target, capacity: await entry.scaler.current() });
      byTarget.set(entry.scaler.target, entry);
    } catch (error) {
      unreadable.push({ target: entry.scaler.target, error: messageOf(error) });
    }
  }));
  for (const item of unreadable) write(JSON.stringify({ event: 'capacity_unreadable', ...item }));
  // Plans are compared and tested by target order, not by which API answered first.
  targets.sort((a, b) => a.target.localeCompare(b.target));

  const actions = plan({ now: at, bursts: options.config.schedule, leadMs, targets });
  options.events?.warmupLead(leadMs);
  write(JSON.stringify({ event: 'plan', at: new Date(at).toISOString(), leadMs, dryRun: options.dryRun, actions: actions.length }));
  for (const action of actions) write(describeAction(action));
  if (options.dryRun) return { at, leadMs, actions, results: [], unreadable };

  const results: StepResult[] = [];
  for (const action of actions.filter(isScalingAction)) {
    const scaler = byTarget.get(action.target)?.scaler;
    try {
      await scaler?.setMinimum(action.to, action.marker);
      results.push({ action, ok: true });
    } catch (error) {
      results.push({ action, ok: false, error: messageOf(error) });
    }
  }
  const deadline = scheduler.now() + options.warmBudgetMs;
  for (const action of actions) {
    if (isScalingAction(action)) continue;
    const warmed = await warmEndpoints(options.upstreams(action.tier), deadline, scheduler);
    results.push({ action, ok: warmed.every((item) => item.ok), warmed });
  }
  for (const result of results) {
    options.events?.warmup({ tier: result.action.tier, action: result.action.action, outcome: outcomeOf(result, leadMs) });
    write(JSON.stringify({ event: 'applied', action: result.action.action, tier: result.action.tier,
      ...('target' in result.action ? { target: result.action.target } : {}),
      ok: result.ok, ...(result.error ? { error: result.error } : {}),
      ...(result.warmed ? { warmed: result.warmed.map(({ endpoint, ok, attempts, ms }) => ({ endpoint, ok, attempts, ms: Math.round(ms) })) } : {}) }));
  }
  return { at, leadMs, actions, results, unreadable };
}

/**
 * Late: warmed, but the slowest endpoint took longer than the lead, so a burst due a lead after
 * the run started before its endpoints were warm.
 */
function outcomeOf(result: StepResult, leadMs: number): WarmupOutcome {
  if (!result.ok) return WarmupOutcome.failed;
  const slowestMs = Math.max(0, ...(result.warmed ?? []).map((item) => item.ms));
  return slowestMs > leadMs ? WarmupOutcome.late : WarmupOutcome.ok;
}

const messageOf = (error: unknown): string => (error instanceof Error ? error.message : String(error));
