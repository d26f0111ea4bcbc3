/**
 * The shared level on Valkey or Redis (ElastiCache, Memorystore, a container), through ioredis.
 * Loaded only by `createLazySharedStore` (import()). Reads are one pipeline of GETs, one round
 * trip, rather than one MGET: a cluster-mode endpoint (ElastiCache Serverless, Memorystore for
 * Valkey) refuses an MGET whose keys hash to different slots (CROSSSLOT), and a pipelined GET
 * costs the server about what MGET does.
 */
import { Redis } from 'ioredis';
import type { SharedStore } from './shared-store';

/** Long enough for a TLS handshake across a zone; a store that takes longer is treated as down. */
const CONNECT_TIMEOUT_MS = 2_000;
/** Reconnect back-off: 100 ms more per attempt, at most 2 s, forever (the breaker protects requests meanwhile). */
const RECONNECT_STEP_MS = 100;
const RECONNECT_MAX_MS = 2_000;

export function createRedisStore(url: string): SharedStore {
  const client = new Redis(url, {
    // No queue while disconnected: a command fails at once, the request goes on without the
    // cache, and nothing piles up in memory while the store is down.
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    connectTimeout: CONNECT_TIMEOUT_MS,
    retryStrategy: (attempt) => Math.min(attempt * RECONNECT_STEP_MS, RECONNECT_MAX_MS),
  });
  // Connection errors are seen as failed calls (counted, and the breaker's); without a listener
  // ioredis would print each one.
  client.on('error', () => undefined);
  // Each call made while (re)connecting waits for 'ready' with its own listener, for at most
  // CONNECT_TIMEOUT_MS; a burst at start-up may hold more than Node's default warning level of 10.
  client.setMaxListeners(0);
  let started = false;
  client.once('ready', () => {
    started = true;
  });
  /**
   * Resolves once the client is connected: at once when it is, else at its next 'ready' (the first
   * connection, or a reconnection), rejecting after CONNECT_TIMEOUT_MS. Without it, the calls made
   * while the first connection is being set up (a Lambda environment's first request) would fail.
   * A read's own budget, in the caching embedder, is shorter and wins.
   */
  const connected = (): Promise<void> => (client.status === 'ready' ? Promise.resolve() : new Promise<void>((resolve, reject) => {
    const onReady = (): void => {
      clearTimeout(timer);
      resolve();
    };
    const timer = setTimeout(() => {
      client.off('ready', onReady);
      reject(new Error(`not connected to the shared cache within ${CONNECT_TIMEOUT_MS} ms`));
    }, CONNECT_TIMEOUT_MS);
    timer.unref();
    client.once('ready', onReady);
  }));
  return {
    getMany: async (keys) => {
      await connected();
      const pipeline = client.pipeline();
      for (const key of keys) pipeline.getBuffer(key);
      const replies = (await pipeline.exec()) ?? [];
      return keys.map((_, index) => {
        const [error, value] = replies[index] ?? [new Error('no reply')];
        if (error) throw error;
        return value instanceof Uint8Array ? value : null;
      });
    },
    setMany: async (entries, ttlSeconds) => {
      await connected();
      const pipeline = client.pipeline();
      for (const [key, value] of entries) pipeline.set(key, Buffer.from(value.buffer, value.byteOffset, value.byteLength), 'EX', ttlSeconds);
      const replies = (await pipeline.exec()) ?? [];
      const failed = replies.find(([error]) => error);
      if (failed?.[0]) throw failed[0];
    },
    // Writes still in flight were awaited by the caching embedder; QUIT would wait for a server
    // that may be gone (it hung here while reconnecting), so the connection is simply closed.
    close: async () => {
      client.disconnect();
    },
    started: () => started,
  };
}
