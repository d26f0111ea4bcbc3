/**
 * The budget every HttpTransport call runs under: one exact timer for the whole exchange (headers
 * and body) and the caller's signal, either of which cancels the call, and one classification of
 * whatever it failed with. Shared by the node:http, fetch and undici transports, which differ only
 * in how an exchange is made and cancelled.
 */
import { classifyNetworkError } from './network-error';
import type { TransportRequest } from './transport';
import { UpstreamError, UpstreamFailure } from './upstream-error';

/**
 * Runs `exchange` within `budget`: `cancel` is called when the timer fires or the caller aborts,
 * and a failure is classified by which of the two happened (the error itself no longer says).
 * Rejects at once, without calling `exchange`, when the caller has already aborted.
 */
export async function withinCallBudget<T>(
  budget: Pick<TransportRequest, 'timeoutMs' | 'signal'>, cancel: () => void, exchange: () => Promise<T>,
): Promise<T> {
  const { signal } = budget;
  if (signal?.aborted) throw new UpstreamError(UpstreamFailure.aborted, 'the request was cancelled');
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    cancel();
  }, budget.timeoutMs);
  signal?.addEventListener('abort', cancel, { once: true });
  try {
    return await exchange();
  } catch (error) {
    throw classifyNetworkError(error, timedOut, signal?.aborted === true);
  } finally {
    clearTimeout(timer);
    signal?.removeEventListener('abort', cancel);
  }
}
