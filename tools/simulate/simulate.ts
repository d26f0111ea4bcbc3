/**
 * Runs every policy of a scenario on the same arrivals. Pure and deterministic: the result is a
 * function of the scenario and the seed.
 */
import { WARMUP_DEFAULTS } from '../../shared/config/warmup-config';
import { leadTimeMs } from '../../shared/warmup/lead-time';
import { generateArrivals } from './arrivals';
import type { PolicyResult } from './metrics';
import { runPolicy } from './run-policy';
import type { Scenario } from './scenario-types';

export interface ScenarioResult {
  readonly scenario: Scenario;
  readonly seed: number;
  /** Offered requests and texts (the same for every policy). */
  readonly requests: number;
  readonly leadMs: number;
  readonly policies: readonly PolicyResult[];
}

const SECOND_MS = 1_000;
const P95 = 0.95;

/** Simulates every policy; `seed` overrides the scenario's. */
export function simulateScenario(scenario: Scenario, options: { seed?: number } = {}): ScenarioResult {
  const seed = options.seed ?? scenario.seed;
  const arrivals = generateArrivals({ ...scenario, seed });
  // The production lead time, as if the cold-start p95 of the CPU tier had been measured.
  const cold = scenario.instances.cpu.coldStartSeconds;
  const coldP95Ms = (cold.min + (cold.max - cold.min) * P95) * SECOND_MS;
  const leadMs = leadTimeMs({
    leadSeconds: scenario.warmupLeadSeconds,
    leadMarginSeconds: WARMUP_DEFAULTS.leadMarginSeconds,
    fallbackLeadSeconds: WARMUP_DEFAULTS.fallbackLeadSeconds,
  }, coldP95Ms);
  const policies = scenario.policies.map((policy) => runPolicy({ scenario, arrivals, policy, seed, leadMs }));
  return { scenario, seed, requests: arrivals.times.length, leadMs, policies };
}
