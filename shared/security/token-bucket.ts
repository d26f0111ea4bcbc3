/**
 * A token bucket with an injected clock: `ratePerS` tokens flow in per second up to `capacity`.
 * A take larger than the capacity is allowed once the bucket is full and leaves it in debt, so
 * one big request (2,048 texts against 100 texts/s) is served and then paid for by waiting,
 * instead of being refused forever.
 */
import type { Clock } from '../clock';

const MS_PER_S = 1_000;

export interface TokenBucketOptions {
  readonly ratePerS: number;
  /** Tokens held at most; one second's worth by default. */
  readonly capacity?: number;
}

/** `{ ok: true }`, or how long to wait before the same take would succeed. */
export type TakeResult = { readonly ok: true } | { readonly ok: false; readonly retryAfterSeconds: number };

export class TokenBucket {
  private readonly capacity: number;
  private tokens: number;
  private updatedAt: number;

  constructor(private readonly options: TokenBucketOptions, private readonly clock: Clock) {
    if (!(options.ratePerS > 0)) throw new RangeError(`ratePerS must be above 0, got ${options.ratePerS}`);
    this.capacity = options.capacity ?? options.ratePerS;
    this.tokens = this.capacity;
    this.updatedAt = clock.now();
  }

  /** Takes `cost` tokens when the bucket holds enough (or is full, for a cost above capacity). */
  take(cost = 1): TakeResult {
    this.refill();
    const needed = Math.min(cost, this.capacity);
    if (this.tokens >= needed) {
      this.tokens -= cost;
      return { ok: true };
    }
    return { ok: false, retryAfterSeconds: (needed - this.tokens) / this.options.ratePerS };
  }

  /** Tokens available now (negative while in debt). */
  available(): number {
    this.refill();
    return this.tokens;
  }

  private refill(): void {
    const now = this.clock.now();
    const elapsedS = Math.max(0, now - this.updatedAt) / MS_PER_S;
    this.updatedAt = now;
    this.tokens = Math.min(this.capacity, this.tokens + elapsedS * this.options.ratePerS);
  }
}
