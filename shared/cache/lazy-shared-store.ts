/**
 * The shared store behind CACHE_URL, its Redis client loaded with `import()` only when CACHE_URL is
 * set, so no runtime without a shared cache loads one (the Lambda handler's cold start: `npm run
 * bench:bundle`, test/unit/lambda-bundle.test.ts).
 */
import type { SharedStore, SharedStoreFactory } from './shared-store';

/**
 * A store whose client module loads on construction, in the background: on Lambda the import runs
 * during the init phase when CACHE_URL is set, and never otherwise. Calls before it has loaded
 * wait for it (each read has its own budget in the caching embedder); a failed load fails every call.
 */
export function createLazySharedStore(url: string, load: () => Promise<SharedStoreFactory> = loadRedisStore): SharedStore {
  let loaded: SharedStore | undefined;
  const store = load().then((create) => {
    loaded = create(url);
    return loaded;
  });
  // A failed load surfaces at each call, counted there; it must not be an unhandled rejection.
  store.catch(() => undefined);
  return {
    getMany: async (keys) => (await store).getMany(keys),
    setMany: async (entries, ttlSeconds) => (await store).setMany(entries, ttlSeconds),
    close: async () => {
      await (await store.catch(() => undefined))?.close();
    },
    started: () => loaded?.started() ?? false,
  };
}

async function loadRedisStore(): Promise<SharedStoreFactory> {
  return (await import('./redis-store')).createRedisStore;
}
