/** A Scheduler whose time only moves when a test says so. */
import type { Scheduler } from '../../shared/dispatch/scheduler';

interface Timer {
  at: number;
  order: number;
  callback: () => void;
  cancelled: boolean;
}

/** Lets promise callbacks (and the dispatcher's microtask pump) run. */
export const settle = async (): Promise<void> => {
  for (let i = 0; i < 10; i++) await new Promise<void>((resolve) => setImmediate(resolve));
};

export class FakeScheduler implements Scheduler {
  private time: number;
  private timers: Timer[] = [];
  private order = 0;

  constructor(start = 1_000_000) {
    this.time = start;
  }

  now(): number {
    return this.time;
  }

  setTimer(callback: () => void, delayMs: number): () => void {
    const timer: Timer = { at: this.time + Math.max(0, delayMs), order: this.order++, callback, cancelled: false };
    this.timers.push(timer);
    return () => {
      timer.cancelled = true;
    };
  }

  /** Moves time forward, firing due timers in order and letting promises settle between them. */
  async advance(ms: number): Promise<void> {
    const end = this.time + ms;
    for (;;) {
      await settle();
      const due = this.timers
        .filter((timer) => !timer.cancelled && timer.at <= end)
        .sort((a, b) => a.at - b.at || a.order - b.order)[0];
      if (due === undefined) break;
      this.time = Math.max(this.time, due.at);
      due.cancelled = true;
      due.callback();
    }
    this.time = end;
    this.timers = this.timers.filter((timer) => !timer.cancelled);
    await settle();
  }
}
