/**
 * When to stop asking the shared cache: after `failures` failed calls in a row the breaker opens
 * and every call is skipped for `openMs`; then it half-opens, letting one call through at a time
 * until one succeeds (closed again) or fails (open again for `openMs`). Pure: time comes from the
 * clock, so tests drive it.
 */
import type { Clock } from '../clock';

export const BreakerState = { closed: 'closed', open: 'open', halfOpen: 'half_open' } as const;
export type BreakerState = (typeof BreakerState)[keyof typeof BreakerState];

/** What a recorded outcome changed, for the one log line per change. */
export const BreakerChange = { none: 'none', opened: 'opened', closed: 'closed' } as const;
export type BreakerChange = (typeof BreakerChange)[keyof typeof BreakerChange];

export interface CircuitBreakerOptions {
  readonly failures: number;
  readonly openMs: number;
  readonly clock: Clock;
}

export class CircuitBreaker {
  private failuresInRow = 0;
  private openUntil = Number.NEGATIVE_INFINITY;
  private opened = false;
  private trialInFlight = false;

  constructor(private readonly options: CircuitBreakerOptions) {}

  get state(): BreakerState {
    if (!this.opened) return BreakerState.closed;
    return this.options.clock.now() < this.openUntil ? BreakerState.open : BreakerState.halfOpen;
  }

  /** Whether a call may go ahead now; a half-open breaker lets one through until its outcome is known. */
  tryAcquire(): boolean {
    const state = this.state;
    if (state === BreakerState.closed) return true;
    if (state === BreakerState.open || this.trialInFlight) return false;
    this.trialInFlight = true;
    return true;
  }

  success(): BreakerChange {
    this.failuresInRow = 0;
    this.trialInFlight = false;
    if (!this.opened) return BreakerChange.none;
    this.opened = false;
    return BreakerChange.closed;
  }

  failure(): BreakerChange {
    this.failuresInRow++;
    const wasOpen = this.opened;
    if (this.trialInFlight || (!wasOpen && this.failuresInRow >= this.options.failures)) {
      this.trialInFlight = false;
      this.opened = true;
      this.openUntil = this.options.clock.now() + this.options.openMs;
      return wasOpen ? BreakerChange.none : BreakerChange.opened;
    }
    return BreakerChange.none;
  }
}
