/**
 * Discovery for the whole front door: one refresher per `ecs://`, `cloudrun://` or `dns://` entry,
 * feeding its tier's endpoints. Built at start (Lambda: at init, so the first discovery overlaps
 * the init phase); the first request waits for the first round only, later ones never wait.
 */
import type { DiscoveredBackendSpec } from '../config/backends';
import { type ControlEvents, DiscoveryOutcome } from '../core/control-events';
import type { Tier } from '../core/tier';
import type { DiscoveryConfig } from '../config/discovery-config';
import type { Scheduler } from '../dispatch/scheduler';
import type { Logger } from '../logger';
import type { Upstream } from '../upstream/upstream';
import { DiscoveryRefresher } from './discovery-refresher';
import { EndpointIds, EndpointMembership, type MembershipTarget } from './endpoint-membership';
import type { EndpointSource } from './endpoint-source';

/** A discovered entry of CPU_BACKENDS or GPU_BACKENDS, and its tier. */
export interface DiscoveredEntry {
  readonly tier: Tier;
  readonly spec: DiscoveredBackendSpec;
}

/**
 * Everything discovery needs, passed in rather than imported: this module is loaded with
 * `import()` (load-tier-discovery.ts), and sharing no code with the front door's start-up graph
 * keeps that graph in as few files as possible.
 */
export interface TierDiscoveryOptions {
  /** The `ecs://`, `cloudrun://` and `dns://` entries of both tiers. */
  readonly entries: readonly DiscoveredEntry[];
  /** Each tier's fixed endpoints (static URLs, `local:`): discovered ones are numbered after them. */
  readonly fixedCounts: Readonly<Record<Tier, number>>;
  /** Refresh interval and back-off. */
  readonly settings: Pick<DiscoveryConfig, 'intervalMs' | 'maxBackoffMs'>;
  readonly targets: Readonly<Record<Tier, MembershipTarget>>;
  /** Builds the client for a discovered URL of a spec (its dialect and model name). */
  readonly createUpstream: (spec: DiscoveredBackendSpec, url: string, id: string, tier: Tier) => Upstream;
  /** Builds a source for a spec; the default loads the cloud SDK it needs lazily. */
  readonly createSource: (spec: DiscoveredBackendSpec) => Promise<EndpointSource>;
  readonly scheduler: Scheduler;
  readonly random: () => number;
  /** True on a server (refresh on timers); false on Lambda (refresh when a request finds it stale). */
  readonly background: boolean;
  readonly logger: Logger;
  /** Told how each refresh ended; default: nobody. */
  readonly events?: ControlEvents;
}

export interface TierDiscovery {
  /** True once every source has finished its first round. */
  readonly isReady: boolean;
  /** Resolves once every source has finished its first round (found endpoints or failed). */
  ready(): Promise<void>;
  /** Starts background refreshes of stale sources; never waits (called per request on Lambda). */
  refreshIfStale(): void;
  /** Failed refreshes since start, over every source. */
  readonly errors: number;
  stop(): void;
}

// The default source factory, loaded together with discovery (load-tier-discovery.ts).
export { createEndpointSource } from './create-source';

/** Discovery over the given entries; undefined when there are none. */
export function createTierDiscovery(options: TierDiscoveryOptions): TierDiscovery | undefined {
  const { entries, fixedCounts, settings } = options;
  if (entries.length === 0) return undefined;

  const ids: Record<Tier, EndpointIds> = {
    cpu: new EndpointIds('cpu', fixedCounts.cpu),
    gpu: new EndpointIds('gpu', fixedCounts.gpu),
  };
  const refreshers: DiscoveryRefresher[] = [];
  let stopped = false;
  let isReady = false;

  const starting = Promise.all(entries.map(async ({ tier, spec }) => {
    let source: EndpointSource;
    try {
      source = await options.createSource(spec);
    } catch (error) {
      options.events?.discovery(tier, DiscoveryOutcome.unavailable);
      options.logger.error('discovery_unavailable', { entry: spec.entry, message: error instanceof Error ? error.message : String(error) });
      return;
    }
    const membership = new EndpointMembership({
      ids: ids[tier],
      target: options.targets[tier],
      createUpstream: (url, id) => options.createUpstream(spec, url, id, tier),
    });
    const refresher = new DiscoveryRefresher({
      source,
      scheduler: options.scheduler,
      random: options.random,
      intervalMs: settings.intervalMs,
      maxBackoffMs: settings.maxBackoffMs,
      background: options.background,
      logger: options.logger,
      onOutcome: (outcome) => options.events?.discovery(tier, outcome),
      onEndpoints: (found) => {
        const { added, removed } = membership.update(found);
        if (added + removed > 0) {
          options.logger.info('endpoints_discovered', { tier, source: source.description, endpoints: membership.size, added, removed });
        }
      },
    });
    if (stopped) return;
    refreshers.push(refresher);
    await refresher.ready();
  })).then(() => {
    isReady = true;
  });

  return {
    get isReady() {
      return isReady;
    },
    ready: () => starting,
    refreshIfStale: () => {
      for (const refresher of refreshers) refresher.refreshIfStale();
    },
    get errors() {
      return refreshers.reduce((sum, refresher) => sum + refresher.errors, 0);
    },
    stop: () => {
      stopped = true;
      for (const refresher of refreshers) refresher.stop();
    },
  };
}
