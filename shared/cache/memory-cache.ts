/**
 * The in-process level: a least-recently-used map of key to float32 vector, bounded in bytes (a
 * deliberate per-process cache, STYLE.md rule 12). A Map keeps insertion order, so moving an entry
 * to the end on each hit and evicting from the front is an LRU in a few lines.
 */

/**
 * What an entry costs beyond its floats: the Map slot, the Float32Array and its ArrayBuffer, and
 * the key string's header (measured with --expose-gc on Node 22: about 180 bytes; rounded up).
 */
export const ENTRY_OVERHEAD_BYTES = 200;
const FLOAT_BYTES = 4;

export class MemoryCache {
  private readonly entries = new Map<string, Float32Array>();
  private held = 0;

  constructor(readonly maxBytes: number) {}

  get bytes(): number {
    return this.held;
  }

  get size(): number {
    return this.entries.size;
  }

  /** The vector under `key`, marked as just used; undefined when absent. */
  get(key: string): number[] | undefined {
    const floats = this.entries.get(key);
    if (floats === undefined) return undefined;
    this.entries.delete(key);
    this.entries.set(key, floats);
    return toNumbers(floats);
  }

  set(key: string, vector: readonly number[]): void {
    const cost = entryBytes(key, vector.length);
    if (cost > this.maxBytes) return;
    const previous = this.entries.get(key);
    if (previous !== undefined) {
      this.entries.delete(key);
      this.held -= entryBytes(key, previous.length);
    }
    this.entries.set(key, Float32Array.from(vector));
    this.held += cost;
    for (const [oldest, floats] of this.entries) {
      if (this.held <= this.maxBytes) break;
      this.entries.delete(oldest);
      this.held -= entryBytes(oldest, floats.length);
    }
  }

  clear(): void {
    this.entries.clear();
    this.held = 0;
  }
}

/** Bytes one entry holds: its floats, its key (one byte a character: keys are ASCII) and the overhead. */
/**
 * A stored vector as the plain numbers callers use, paid on every cache hit. A counted loop:
 * `Array.from` on a typed array goes through the iterator protocol (6.3 µs for 384 numbers here,
 * against 2.5); pushing keeps the array packed, which JSON prints about a quarter faster than a
 * pre-sized (holey) one.
 */
function toNumbers(floats: Float32Array): number[] {
  const numbers: number[] = [];
  for (let index = 0; index < floats.length; index++) numbers.push(floats[index] as number);
  return numbers;
}

export function entryBytes(key: string, dimension: number): number {
  return dimension * FLOAT_BYTES + key.length + ENTRY_OVERHEAD_BYTES;
}
