/**
 * A tier's load as its upstreams show it, for runtimes that cannot see the queue (on Lambda each
 * environment holds one request; the queue is inside DJL). Two signals:
 * - latency above the measured service time: for each batch size, the fastest recent answer is the
 *   service time; what a call takes beyond it is time spent waiting in the backend's queue;
 * - capacity refusals (DJL's 503 WlmCapacityException, 429s), counted over a recent window.
 * Pure bookkeeping with times passed in.
 */

/** Batch sizes share a floor within a factor of √2, so a floor's size differs from a call's by at most 41%. */
const BUCKETS_PER_DOUBLING = 2;
/**
 * A floor rises by this share per minute without a faster answer, so a backend that really became
 * slower (a smaller instance, longer texts) is not taken for a loaded one for long.
 */
const FLOOR_DRIFT_PER_MINUTE = 0.1;
const ONE_MINUTE_MS = 60_000;
/** The inferred wait halves with every this many ms without a new observation, and per observation mixes in this share. */
const WAIT_HALF_LIFE_MS = 2_000;
const WAIT_SMOOTHING = 0.3;

interface Floor {
  ms: number;
  at: number;
}

export class BackendLoad {
  private readonly floors = new Map<number, Floor>();
  private waitMs = 0;
  private waitAt = Number.NEGATIVE_INFINITY;
  private readonly capacityErrors: number[] = [];

  /** @param windowMs how long a capacity refusal counts. */
  constructor(private readonly windowMs: number) {}

  /** A successful call of `texts` texts that took `latencyMs`. */
  recordSuccess(texts: number, latencyMs: number, now: number): void {
    const bucket = Math.floor(Math.log2(Math.max(1, texts)) * BUCKETS_PER_DOUBLING);
    const floor = this.floors.get(bucket);
    const aged = floor === undefined ? Infinity : floor.ms * (1 + (FLOOR_DRIFT_PER_MINUTE * (now - floor.at)) / ONE_MINUTE_MS);
    const serviceMs = Math.min(aged, latencyMs);
    this.floors.set(bucket, { ms: serviceMs, at: now });
    const excess = latencyMs - serviceMs;
    this.waitMs = this.decayedWait(now) * (1 - WAIT_SMOOTHING) + excess * WAIT_SMOOTHING;
    this.waitAt = now;
  }

  recordCapacityError(now: number): void {
    this.capacityErrors.push(now);
    this.trim(now);
  }

  /** The wait inside the backends this tier's recent calls suggest. */
  inferredWaitMs(now: number): number {
    return this.decayedWait(now);
  }

  /** Capacity refusals within the window. */
  recentCapacityErrors(now: number): number {
    this.trim(now);
    return this.capacityErrors.length;
  }

  private decayedWait(now: number): number {
    if (this.waitMs === 0) return 0;
    return this.waitMs * 0.5 ** (Math.max(0, now - this.waitAt) / WAIT_HALF_LIFE_MS);
  }

  private trim(now: number): void {
    const cutoff = now - this.windowMs;
    let drop = 0;
    while (drop < this.capacityErrors.length && (this.capacityErrors[drop] as number) <= cutoff) drop++;
    if (drop > 0) this.capacityErrors.splice(0, drop);
  }
}
