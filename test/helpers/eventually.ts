/**
 * Waiting for a state instead of for time: a test that sleeps "long enough" for something to
 * happen fails on a loaded machine and wastes time on an idle one. `eventually` polls a check
 * until it holds, with a deadline generous enough for a busy two-core CI runner.
 */
import { setTimeout as delay } from 'node:timers/promises';

/** Long enough for a loaded two-core CI machine; a passing check returns long before it. */
export const EVENTUALLY_TIMEOUT_MS = 10_000;
/** Short enough to add little to a test, long enough not to spin the CPU the code under test needs. */
export const EVENTUALLY_INTERVAL_MS = 10;

export interface EventuallyOptions {
  /** How long to keep trying before failing (default EVENTUALLY_TIMEOUT_MS). */
  readonly timeoutMs?: number;
  /** Pause between tries (default EVENTUALLY_INTERVAL_MS). */
  readonly intervalMs?: number;
  /** What the test is waiting for, for the failure message. */
  readonly message?: string;
}

/**
 * Runs `check` until it neither throws nor returns `false`, and returns its value. A check is an
 * assertion (`() => assert.equal(x, 1)`) or a predicate (`() => x === 1`). After `timeoutMs`
 * it throws the last assertion error (or a predicate failure), naming what was awaited and for
 * how long, so the failure reads like the assertion that did not come true.
 */
export async function eventually<T>(check: () => T | Promise<T>, options: EventuallyOptions = {}): Promise<Exclude<T, false>> {
  const timeoutMs = options.timeoutMs ?? EVENTUALLY_TIMEOUT_MS;
  const intervalMs = options.intervalMs ?? EVENTUALLY_INTERVAL_MS;
  const deadline = performance.now() + timeoutMs;
  let tries = 0;
  for (;;) {
    tries++;
    let failure: unknown;
    try {
      const value = await check();
      if (value !== false) return value as Exclude<T, false>;
      failure = new Error('the check returned false');
    } catch (error) {
      failure = error;
    }
    if (performance.now() >= deadline) {
      const what = options.message ?? 'a check';
      const reason = failure instanceof Error ? failure.message : String(failure);
      throw new Error(`waited ${timeoutMs} ms (${tries} tries) for ${what}; last failure: ${reason}`, { cause: failure });
    }
    await delay(intervalMs);
  }
}
