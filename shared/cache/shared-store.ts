/**
 * The shared level's port: a key-value store that reads many keys in one round trip and writes
 * many with a TTL. Valkey/Redis implements it (redis-store.ts), loaded by lazy-shared-store.ts.
 */
export interface SharedStore {
  /** The value of each key in order, null where absent; rejects when the store cannot answer. */
  getMany(keys: readonly string[]): Promise<(Uint8Array | null)[]>;
  /** Writes every entry with a TTL in one round trip; rejects when any write failed. */
  setMany(entries: readonly (readonly [string, Uint8Array])[], ttlSeconds: number): Promise<void>;
  close(): Promise<void>;
  /**
   * False until the store has been connected once. Before that (a process's first moments, while
   * the client loads and connects) calls are skipped rather than counted as failures: a store that
   * has not started yet is not a store that failed, and must not open the breaker.
   */
  started(): boolean;
}

/** Builds the Valkey/Redis store for a `redis://` or `rediss://` URL. */
export type SharedStoreFactory = (url: string) => SharedStore;
