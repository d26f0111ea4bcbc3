/**
 * When a partial batch should wait for company. Sending whatever is queued the moment a slot
 * frees looks fast but is not: under steady load it alternates one full batch with many one-text
 * batches, each paying the backend's whole fixed cost, and the tier's throughput collapses towards
 * one-text-per-request levels (measured: ~950 chunks/s instead of ~1,500 on the benchmark's
 * workload (a)). So a freed slot waits, up to the window, for its fair share of the outstanding
 * texts (outstanding / slots), but only when waiting pays:
 * - other batches are in flight (an idle tier sends at once, so a lone request never waits);
 * - the endpoint's measured fixed cost per batch is at least the window (sharing DJL's 11 ms is
 *   worth 5 ms; with a backend that has no fixed cost waiting would only add latency);
 * - the texts are new arrivals, not the tail of a request already split over several batches
 *   (that tail is the request's own latency, and no company comes on a one-request runtime).
 */
import { type Endpoint, EndpointStatus } from './endpoint';

export interface CompanyWaitInput {
  readonly now: number;
  readonly windowMs: number;
  readonly batchSize: number;
  /** The chosen endpoint's measured fixed cost per batch (undefined until measured). */
  readonly fixedCostMs: number | undefined;
  readonly batchesInFlight: number;
  readonly retriesWaiting: boolean;
  readonly queuedTexts: number;
  /** Texts in the batches in flight on serving endpoints. */
  readonly inFlightTexts: number;
  /** Batches the serving endpoints can hold at once. */
  readonly slots: number;
  /** The oldest fresh request in the queue. */
  readonly oldest: { readonly enqueuedAt: number; readonly attempts: number } | undefined;
  /** When a batch last came back, freeing its slot. */
  readonly lastFreedAt: number;
}

/** The time to send at, or undefined to send now. */
export function companyWaitUntil(input: CompanyWaitInput): number | undefined {
  const { windowMs, oldest } = input;
  if (windowMs <= 0 || input.batchesInFlight === 0 || input.retriesWaiting) return undefined;
  if (input.fixedCostMs === undefined || input.fixedCostMs < windowMs) return undefined;
  if (oldest === undefined || oldest.attempts > 0) return undefined;
  const fairShare = Math.min(input.batchSize, Math.ceil((input.queuedTexts + input.inFlightTexts) / Math.max(1, input.slots)));
  if (input.queuedTexts >= fairShare) return undefined;
  // Counted from the later of the oldest arrival and the last freed slot: the clients a
  // finished batch just answered are the likeliest company, and they are on their way back.
  const sendAt = Math.max(oldest.enqueuedAt, input.lastFreedAt) + windowMs;
  return input.now >= sendAt ? undefined : sendAt;
}

/** Batch slots of the endpoints that can serve now, and the texts they hold. */
export function readySlots(endpoints: readonly Endpoint[], now: number): { slots: number; inFlightTexts: number } {
  let slots = 0;
  let inFlightTexts = 0;
  for (const endpoint of endpoints) {
    if (endpoint.status(now) !== EndpointStatus.ready) continue;
    slots += endpoint.capacity(now);
    inFlightTexts += endpoint.outstandingTexts;
  }
  return { slots, inFlightTexts };
}
