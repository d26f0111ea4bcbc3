/**
 * A retry budget in the manner of Finagle's and gRPC's: retries may add at most `ratio` extra
 * load over the first attempts, plus a small floor per second so a quiet service can still
 * retry. It stops a failing backend from tripling the load on the others (retry storms).
 */
import type { Clock } from '../clock';

export interface RetryBudgetOptions {
  /** Retries allowed per first attempt (0.2: at most 20% extra load). */
  readonly ratio: number;
  /** Retries always allowed per second, however little traffic there is. */
  readonly minPerSecond: number;
  readonly clock: Clock;
}

/** Absorbs float error: ten deposits of 0.2 make one whole retry. */
const EPSILON = 1e-9;
/** Caps the saved-up balance, so a long quiet spell cannot bank an unbounded burst of retries. */
const MAX_BALANCE_SECONDS = 10;

export class RetryBudget {
  private balance: number;
  private refilledAt: number;
  private readonly cap: number;

  constructor(private readonly options: RetryBudgetOptions) {
    this.cap = Math.max(1, options.minPerSecond) * MAX_BALANCE_SECONDS;
    this.balance = options.minPerSecond;
    this.refilledAt = options.clock.now();
  }

  /** Records a first attempt: earns `ratio` of a retry. */
  deposit(): void {
    this.refill();
    this.balance = Math.min(this.balance + this.options.ratio, this.cap);
  }

  /** Takes one retry from the budget; false when it is spent. */
  tryWithdraw(): boolean {
    this.refill();
    if (this.balance + EPSILON < 1) return false;
    this.balance -= 1;
    return true;
  }

  /** Retries that could be taken right now. */
  available(): number {
    this.refill();
    return Math.floor(this.balance + EPSILON);
  }

  private refill(): void {
    const now = this.options.clock.now();
    const elapsedSeconds = Math.max(0, now - this.refilledAt) / 1000;
    this.refilledAt = now;
    this.balance = Math.min(this.cap, this.balance + elapsedSeconds * this.options.minPerSecond);
  }
}
