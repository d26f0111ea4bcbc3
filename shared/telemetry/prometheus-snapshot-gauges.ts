/**
 * The Prometheus gauges read from the dispatch engine's snapshot at scrape time: queue size,
 * in-flight batches, endpoint warmth, recent backend cold starts, whether overflow is active, and
 * the per-tier scaling signal (backlog, serving endpoints, backlog per endpoint, estimated wait).
 * Each gauge is reset in its `collect()` before being set, so an endpoint that disappeared from the
 * snapshot leaves no stale series behind.
 */
import { Gauge, type Registry } from 'prom-client';
import { Tier } from '../core/tier';
import type { DispatchSnapshot, TierSnapshot } from '../core/dispatch-snapshot';
import { Warmth } from '../core/warmth';

const TIERS = Object.values(Tier);
const WARMTH_STATES = Object.values(Warmth);
const MS_PER_SECOND = 1_000;

export interface SnapshotGaugeOptions {
  readonly register: Registry;
  /** Metric name prefix (`efd_`). */
  readonly prefix: string;
  /** Taken once per gauge per scrape; synchronous and cheap, so no caching here. */
  readonly snapshot: () => DispatchSnapshot;
}

/** Registers the snapshot-backed gauges on `register`; they update themselves on every scrape. */
export function registerSnapshotGauges({ register, prefix, snapshot }: SnapshotGaugeOptions): void {
  const registers = [register];

  new Gauge({
    name: `${prefix}queue_size`,
    help: 'Texts waiting in the tier queue, not yet sent upstream.',
    labelNames: ['tier'] as const,
    registers,
    collect() {
      this.reset();
      const { tiers } = snapshot();
      for (const tier of TIERS) this.set({ tier }, tiers[tier].queuedTexts);
    },
  });

  new Gauge({
    name: `${prefix}batches_in_flight`,
    help: 'Upstream calls in progress, per endpoint.',
    labelNames: ['tier', 'endpoint'] as const,
    registers,
    collect() {
      this.reset();
      const { tiers } = snapshot();
      for (const tier of TIERS) {
        for (const endpoint of tiers[tier].endpoints) this.set({ tier, endpoint: endpoint.id }, endpoint.inFlight);
      }
    },
  });

  new Gauge({
    name: `${prefix}endpoints`,
    help: 'Endpoints per tier and warmth state (every state is reported, 0 when empty).',
    labelNames: ['tier', 'state'] as const,
    registers,
    collect() {
      this.reset();
      const { tiers } = snapshot();
      for (const tier of TIERS) {
        for (const state of WARMTH_STATES) {
          this.set({ tier, state }, tiers[tier].endpoints.filter((endpoint) => endpoint.warmth === state).length);
        }
      }
    },
  });

  new Gauge({
    name: `${prefix}overflow_active`,
    help: '1 while the overflow policy sends new work to the GPU tier, else 0.',
    registers,
    collect() {
      this.set(snapshot().overflowActive ? 1 : 0);
    },
  });

  // The scaling signal (docs/operate.md): one series per tier, always present, so a sum across
  // front doors and an autoscaler's query never meet a missing tier.
  const perTier = (name: string, help: string, value: (tier: TierSnapshot) => number | undefined) => new Gauge({
    name: `${prefix}${name}`,
    help,
    labelNames: ['tier'] as const,
    registers,
    collect() {
      this.reset();
      const { tiers } = snapshot();
      for (const tier of TIERS) {
        const current = value(tiers[tier]);
        if (current !== undefined) this.set({ tier }, current);
      }
    },
  });
  perTier('backlog_texts', 'Texts this front door holds for the tier: queued plus in batches in flight (the metric to scale on).',
    (tier) => tier.backlogTexts);
  perTier('serving_endpoints', 'Endpoints of the tier that can take work now (neither ejected nor reported unhealthy).',
    (tier) => tier.servingEndpoints);
  perTier('backlog_per_endpoint', 'backlog_texts / max(1, serving_endpoints): texts held per endpoint that can serve them.',
    (tier) => tier.backlogTexts / Math.max(1, tier.servingEndpoints));
  perTier('estimated_wait_seconds',
    "Time the queued texts take to drain at the serving endpoints' measured speed (0 when none wait; absent while unknown).",
    (tier) => tier.estimatedWaitSeconds);

  // Two gauges rather than one with a `quantile` label: that label belongs to summaries, and
  // these are computed by the dispatch engine over its recent cold starts, not by Prometheus.
  const recentColdStart = (quantile: 'p50' | 'p95', pick: 'p50Ms' | 'p95Ms') => new Gauge({
    name: `${prefix}backend_cold_start_recent_${quantile}_seconds`,
    help: `${quantile} of the tier's recent backend cold starts (absent before the first).`,
    labelNames: ['tier'] as const,
    registers,
    collect() {
      this.reset();
      const { tiers } = snapshot();
      for (const tier of TIERS) {
        const valueMs = tiers[tier].coldStarts[pick];
        if (valueMs !== undefined) this.set({ tier }, valueMs / MS_PER_SECOND);
      }
    },
  });
  recentColdStart('p50', 'p50Ms');
  recentColdStart('p95', 'p95Ms');
}
