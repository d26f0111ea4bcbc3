/**
 * Time for the dispatch engine: the clock plus one-shot timers, injected so tests drive time by
 * hand (STYLE.md rule 1).
 */
import type { Clock } from '../clock';

export type CancelTimer = () => void;

export interface Scheduler extends Clock {
  /** Runs `callback` once after `delayMs`; the returned function cancels it. Never keeps the process alive. */
  setTimer(callback: () => void, delayMs: number): CancelTimer;
}

export const systemScheduler: Scheduler = {
  now: () => Date.now(),
  setTimer(callback, delayMs) {
    const timer = setTimeout(callback, Math.max(0, delayMs));
    timer.unref();
    return () => clearTimeout(timer);
  },
};
