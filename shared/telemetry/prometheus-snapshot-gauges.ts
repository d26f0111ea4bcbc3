/**
 * The Prometheus gauges read from the dispatch engine's snapshot at scrape time: queue size,
 * in-flight batches, endpoint warmth, recent backend cold starts and whether overflow is active.
 * Each gauge is reset in its `collect()` before being set, so an endpoint that disappeared from the
 * snapshot leaves no stale series behind.
 */
import { Gauge, type Registry } from 'prom-client';
import { Tier } from '../core/tier';
import type { DispatchSnapshot } from '../core/dispatch-snapshot';
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
