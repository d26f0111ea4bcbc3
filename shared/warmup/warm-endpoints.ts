/**
 * Warming a tier: one tiny embed to every endpoint, repeated until it answers or the time is up,
 * so the model's first inference (slow: lazy initialisation, JIT, caches) is paid by the warm-up
 * rather than by the first real request. Endpoints that are not up yet (a task the raise just
 * started) are retried every second.
 */
import type { Scheduler } from '../dispatch/scheduler';
import type { Upstream } from '../upstream/upstream';

export interface WarmResult {
  readonly endpoint: string;
  readonly ok: boolean;
  readonly attempts: number;
  readonly ms: number;
  /** Why the last attempt failed, when it did. */
  readonly error?: string;
}

/** One short text: enough to run the model, cheap on any backend. */
const WARM_TEXT = 'warm-up';
const RETRY_EVERY_MS = 1_000;
const CALL_TIMEOUT_MS = 10_000;

export async function warmEndpoints(upstreams: readonly Upstream[], deadline: number, scheduler: Scheduler): Promise<WarmResult[]> {
  return Promise.all(upstreams.map(async (upstream) => {
    const started = scheduler.now();
    let attempts = 0;
    let error: string | undefined;
    for (;;) {
      attempts++;
      try {
        const timeoutMs = Math.max(1, Math.min(CALL_TIMEOUT_MS, deadline - scheduler.now()));
        await upstream.embed([WARM_TEXT], { requestId: 'warmup', timeoutMs });
        return { endpoint: upstream.id, ok: true, attempts, ms: scheduler.now() - started };
      } catch (failure) {
        error = failure instanceof Error ? failure.message : String(failure);
      }
      if (scheduler.now() + RETRY_EVERY_MS >= deadline) break;
      await new Promise<void>((resolve) => scheduler.setTimer(resolve, RETRY_EVERY_MS));
    }
    return { endpoint: upstream.id, ok: false, attempts, ms: scheduler.now() - started, error };
  }));
}
