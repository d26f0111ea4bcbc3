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
 *
 * Each entry is a slot number, not an object: its floats sit in a shared Float32Array of
 * SEGMENT_SLOTS vectors, its links in two Int32Arrays, so the only object an entry keeps alive is
 * its key. One Float32Array per vector cost 9-11 µs per stored text (`new Float32Array(array)`
 * takes V8's generic path, about 5 µs for 384 numbers, and each retained ArrayBuffer about as much
 * in allocation and garbage-collector bookkeeping); storing into a slot with a counted copy costs
 * about 2 µs in all once the cache is full (6 while it fills: the first touch of new memory),
 * micro-benchmarks on this machine, and every text a busy front door has not seen pays it.
 */

/**
 * What an entry costs beyond its floats and key characters: the key string and its Map slot, the
 * slot's links and key reference (measured with --expose-gc on Node 20 over 20,000 entries of
 * real keys, heap and array buffers together: about 116 bytes; before slots, 336).
 */
export const ENTRY_OVERHEAD_BYTES = 120;
const FLOAT_BYTES = 4;
/** Vectors per Float32Array: 1.5 MB at 384 numbers, allocated as the cache fills, never per entry. */
const SEGMENT_SLOTS = 1_024;
/** No slot: the end of the recency list. */
const NONE = -1;

export class MemoryCache {
  /** Key to slot. */
  private readonly slots = new Map<string, number>();
  /** Each slot's key, to delete it from `slots` when the slot is evicted. */
  private readonly keys: (string | undefined)[] = [];
  /** Each slot's neighbours in the recency list: the entry used just before it and just after it. */
  private older: Int32Array = new Int32Array(0);
  private newer: Int32Array = new Int32Array(0);
  private readonly segments: Float32Array[] = [];
  /** Vectors per segment: SEGMENT_SLOTS, or fewer when the whole bound holds fewer. */
  private readonly segmentSlots: number;
  /** Slots evicted or replaced, reused before new ones. */
  private readonly free: number[] = [];
  /** Slots handed out so far (the next new one). */
  private used = 0;
  /** The least recently used slot: evicted first. */
  private oldest = NONE;
  private newest = NONE;
  private held = 0;

  /** `dimension`: every vector's length (the model's); a vector of another length is not stored. */
  constructor(
    readonly maxBytes: number,
    readonly dimension: number,
  ) {
    const most = Math.floor(maxBytes / entryBytes('', dimension));
    this.segmentSlots = Math.max(1, Math.min(SEGMENT_SLOTS, most));
  }

  get bytes(): number {
    return this.held;
  }

  get size(): number {
    return this.slots.size;
  }

  /** The vector under `key`, marked as just used; undefined when absent. */
  get(key: string): number[] | undefined {
    const slot = this.slots.get(key);
    if (slot === undefined) return undefined;
    if (slot !== this.newest) {
      this.unlink(slot);
      this.append(slot);
    }
    return this.read(slot);
  }

  set(key: string, vector: readonly number[]): void {
    if (vector.length !== this.dimension) return;
    const cost = entryBytes(key, this.dimension);
    if (cost > this.maxBytes) return;
    const previous = this.slots.get(key);
    if (previous !== undefined) this.remove(previous);
    // Evicting before storing leaves the same entries as after (the new one is never the oldest)
    // and keeps the slots in use within the bound.
    while (this.held + cost > this.maxBytes && this.oldest !== NONE) this.remove(this.oldest);
    const slot = this.free.pop() ?? this.newSlot();
    this.write(slot, vector);
    this.keys[slot] = key;
    this.slots.set(key, slot);
    this.append(slot);
    this.held += cost;
  }

  clear(): void {
    this.slots.clear();
    this.keys.length = 0;
    this.older = new Int32Array(0);
    this.newer = new Int32Array(0);
    this.segments.length = 0;
    this.free.length = 0;
    this.used = 0;
    this.oldest = NONE;
    this.newest = NONE;
    this.held = 0;
  }

  private newSlot(): number {
    const slot = this.used++;
    if (slot >= this.older.length) {
      const length = Math.max(SEGMENT_SLOTS, this.older.length * 2);
      this.older = grown(this.older, length);
      this.newer = grown(this.newer, length);
    }
    if (slot % this.segmentSlots === 0) this.segments.push(new Float32Array(this.segmentSlots * this.dimension));
    return slot;
  }

  /**
   * A stored vector as the plain numbers callers use, paid on every cache hit. A counted loop:
   * `Array.from` on a typed array goes through the iterator protocol (6.3 µs for 384 numbers here,
   * against 2.5); pushing keeps the array packed, which JSON prints about a quarter faster than a
   * pre-sized (holey) one.
   */
  private read(slot: number): number[] {
    const floats = this.segments[Math.floor(slot / this.segmentSlots)] as Float32Array;
    const start = (slot % this.segmentSlots) * this.dimension;
    const numbers: number[] = [];
    for (let index = start; index < start + this.dimension; index++) numbers.push(floats[index] as number);
    return numbers;
  }

  /** A counted copy: `Float32Array.prototype.set` from a plain array is as slow as the constructor. */
  private write(slot: number, vector: readonly number[]): void {
    const floats = this.segments[Math.floor(slot / this.segmentSlots)] as Float32Array;
    const start = (slot % this.segmentSlots) * this.dimension;
    for (let index = 0; index < this.dimension; index++) floats[start + index] = vector[index] as number;
  }

  private remove(slot: number): void {
    const key = this.keys[slot] as string;
    this.unlink(slot);
    this.slots.delete(key);
    this.keys[slot] = undefined;
    this.free.push(slot);
    this.held -= entryBytes(key, this.dimension);
  }

  private append(slot: number): void {
    this.older[slot] = this.newest;
    this.newer[slot] = NONE;
    if (this.newest === NONE) this.oldest = slot;
    else this.newer[this.newest] = slot;
    this.newest = slot;
  }

  private unlink(slot: number): void {
    const older = this.older[slot] as number;
    const newer = this.newer[slot] as number;
    if (older === NONE) this.oldest = newer;
    else this.newer[older] = newer;
    if (newer === NONE) this.newest = older;
    else this.older[newer] = older;
  }
}

/** Bytes one entry holds: its floats, its key (one byte a character: keys are ASCII) and the overhead. */
export function entryBytes(key: string, dimension: number): number {
  return dimension * FLOAT_BYTES + key.length + ENTRY_OVERHEAD_BYTES;
}

/** `links` copied into a longer array. */
function grown(links: Int32Array, length: number): Int32Array {
  const longer = new Int32Array(length);
  longer.set(links);
  return longer;
}
