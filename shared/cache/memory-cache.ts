/**
 * The in-process level: a least-recently-used map of key to float32 vector, bounded in bytes (a
 * deliberate per-process cache, STYLE.md rule 12). Entries are linked in the order they were last
 * used, so a hit moves one entry and an eviction takes the oldest, each in constant time.
 *
 * Not a Map's insertion order: deleting leaves a hole in V8's table until it is rehashed, and
 * evicting from the front walks every hole first, so once full each new text cost 24-30 µs
 * instead of 6 (64 MB of 384-number vectors, measured side by side on this machine). The
 * lru-cache package does the same in about 60 KB whose import took 4.5 ms here, a quarter of the
 * Lambda import this cache is built in.
 */

/**
 * What an entry costs beyond its floats and key characters: the Map slot, the linked entry, the
 * Float32Array and its ArrayBuffer, and the key string's header (measured with --expose-gc on
 * Node 22 over 20,000 entries: about 300 bytes, the links 56 of them).
 */
export const ENTRY_OVERHEAD_BYTES = 300;
const FLOAT_BYTES = 4;

/** One cached vector, linked between the entry used just before it and the one used just after. */
interface Entry {
  readonly key: string;
  readonly floats: Float32Array;
  older: Entry | undefined;
  newer: Entry | undefined;
}

export class MemoryCache {
  private readonly entries = new Map<string, Entry>();
  /** The least recently used entry: evicted first. */
  private oldest: Entry | undefined;
  private newest: Entry | undefined;
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
    const entry = this.entries.get(key);
    if (entry === undefined) return undefined;
    if (entry !== this.newest) {
      this.unlink(entry);
      this.append(entry);
    }
    return toNumbers(entry.floats);
  }

  set(key: string, vector: readonly number[]): void {
    const cost = entryBytes(key, vector.length);
    if (cost > this.maxBytes) return;
    const previous = this.entries.get(key);
    if (previous !== undefined) this.remove(previous);
    const entry: Entry = { key, floats: new Float32Array(vector), older: undefined, newer: undefined };
    this.entries.set(key, entry);
    this.append(entry);
    this.held += cost;
    while (this.held > this.maxBytes && this.oldest !== undefined) this.remove(this.oldest);
  }

  clear(): void {
    this.entries.clear();
    this.oldest = undefined;
    this.newest = undefined;
    this.held = 0;
  }

  private remove(entry: Entry): void {
    this.unlink(entry);
    this.entries.delete(entry.key);
    this.held -= entryBytes(entry.key, entry.floats.length);
  }

  private append(entry: Entry): void {
    entry.older = this.newest;
    if (this.newest === undefined) this.oldest = entry;
    else this.newest.newer = entry;
    this.newest = entry;
  }

  private unlink(entry: Entry): void {
    if (entry.older === undefined) this.oldest = entry.newer;
    else entry.older.newer = entry.newer;
    if (entry.newer === undefined) this.newest = entry.older;
    else entry.newer.older = entry.older;
    entry.older = undefined;
    entry.newer = undefined;
  }
}

/** Bytes one entry holds: its floats, its key (one byte a character: keys are ASCII) and the overhead. */
export function entryBytes(key: string, dimension: number): number {
  return dimension * FLOAT_BYTES + key.length + ENTRY_OVERHEAD_BYTES;
}

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
