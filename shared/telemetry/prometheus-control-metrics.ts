/**
 * The Prometheus series of the control plane: discovery refreshes and warm-up actions by outcome,
 * and the lead the last warm-up run planned with (0 before the first: a gauge without labels is
 * always exported). Every (tier, outcome) series starts at 0, so a
 * ratio or an `increase()` in an alert has data before the first failure.
 */
import { Counter, Gauge, type Registry } from 'prom-client';
import { type ControlEvents, DiscoveryOutcome, WARMUP_ACTIONS, WarmupOutcome } from '../core/control-events';
import { Tier } from '../core/tier';

const MS_PER_SECOND = 1_000;

export interface ControlMetricsOptions {
  readonly register: Registry;
  /** Metric name prefix (`efd_`). */
  readonly prefix: string;
}

/** Registers the control-plane series on `register` and returns the events that move them. */
export function registerControlMetrics({ register, prefix }: ControlMetricsOptions): ControlEvents {
  const registers = [register];
  const refreshes = new Counter({
    name: `${prefix}discovery_refreshes_total`,
    help: "Discovery refreshes of a tier's sources by outcome (ok, error, throttled, unavailable: the source could not be built).",
    labelNames: ['tier', 'outcome'] as const,
    registers,
  });
  const actions = new Counter({
    name: `${prefix}warmup_actions_total`,
    help: 'Warm-up actions applied, by tier, action (raise, restore, forget, warm) and outcome (ok, failed, late: warmed after the lead).',
    labelNames: ['tier', 'action', 'outcome'] as const,
    registers,
  });
  const lead = new Gauge({
    name: `${prefix}warmup_lead_seconds`,
    help: 'The lead the last warm-up run planned with: how long before a burst it raises and warms (0 before the first run).',
    registers,
  });
  for (const tier of Object.values(Tier)) {
    for (const outcome of Object.values(DiscoveryOutcome)) refreshes.inc({ tier, outcome }, 0);
    for (const action of WARMUP_ACTIONS) {
      for (const outcome of Object.values(WarmupOutcome)) actions.inc({ tier, action, outcome }, 0);
    }
  }
  return {
    discovery(tier, outcome) {
      refreshes.inc({ tier, outcome });
    },
    warmup({ tier, action, outcome }) {
      actions.inc({ tier, action, outcome });
    },
    warmupLead(leadMs) {
      if (Number.isFinite(leadMs) && leadMs >= 0) lead.set(leadMs / MS_PER_SECOND);
    },
  };
}
