/**
 * Discovery's code (refresher, membership, sources) loaded with `import()`, and only when the
 * config has a discovered entry (`ecs://`, `cloudrun://`, `dns://`): a front door with static
 * backends never parses it (`npm run bench:bundle`). Loading starts at once, so on Lambda it
 * still overlaps the init phase; the first request waits for the first round as before.
 */
import type { Logger } from '../logger';
import type { TierDiscovery } from './tier-discovery';

/** The module discovery is built from. */
export type TierDiscoveryModule = typeof import('./tier-discovery');

/**
 * A TierDiscovery that loads its module, then builds the real one with `build`. If the module
 * cannot be loaded (or `build` throws), the failure is logged and discovery counts as done with
 * no endpoints: the tier then answers like one whose sources found nothing.
 */
export function loadTierDiscovery(build: (module: TierDiscoveryModule) => TierDiscovery | undefined, logger: Logger): TierDiscovery {
  let discovery: TierDiscovery | undefined;
  let stopped = false;
  let loadErrors = 0;
  const loading = import('./tier-discovery')
    .then((module) => {
      discovery = build(module);
      if (stopped) discovery?.stop();
    })
    .catch((error: unknown) => {
      loadErrors += 1;
      logger.error('discovery_unavailable', { message: error instanceof Error ? error.message : String(error) });
    });
  const ready = loading.then(() => discovery?.ready());
  let isReady = false;
  void ready.then(() => {
    isReady = true;
  });
  return {
    get isReady() {
      return isReady;
    },
    ready: () => ready,
    refreshIfStale: () => discovery?.refreshIfStale(),
    get errors() {
      return loadErrors + (discovery?.errors ?? 0);
    },
    stop: () => {
      stopped = true;
      discovery?.stop();
    },
  };
}
