/**
 * When a partial batch should wait for company, and how many texts a batch takes. Sending
 * whatever is queued the moment a slot frees looks fast but is not: under steady load it
 * alternates one full batch with many one-text batches, each paying the backend's whole fixed
 * cost, and the tier's throughput collapses towards one-text-per-request levels (measured: ~950
 * chunks/s instead of ~1,500 on the benchmark's workload (a)). So a freed slot waits, up to the
 * window, for its share of the outstanding texts, but only when waiting pays:
 * - other batches are in flight (an idle tier sends at once, so a lone request never waits);
 * - the endpoint's measured fixed cost per batch is at least the window (sharing DJL's 11 ms is
 *   worth 5 ms; with a backend that has no fixed cost waiting would only add latency);
 * - the texts are new arrivals, not the tail of a request already split over several batches
 *   (that tail is the request's own latency, and no company comes on a one-request runtime).
 *
 * The share keeps one batch in reserve. A fixed pool of clients that each wait for their answer
 * (a closed loop: 64 one-text clients over 6 slots) cannot fill every slot and also have the next
 * batch waiting: the clients a finished batch answered are on their way back, so a freed slot
 * would wait for them, idle, every time. The share is therefore the outstanding texts at their
 * highest over the last second (the clients in the loop, counted while they are all inside)
 * divided by one more than the slots and rounded, never more than the plain fair share of what is
 * outstanding now: the texts beyond it wait for the next freed slot, which starts at once.
 * Measured with the benchmark's workload (a): a cap of 9 (64 / 7) read 87% of the closed-loop
 * limit against 82% with the plain fair share; with a batch sent ahead as well (Endpoint.canTakeAhead)
 * 87-92% (docs/benchmarks.md, the sixth look); a model of the loop agrees at other client counts.
 * Under an open load the peak follows the queue, so batches grow with it up to the batch size.
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
  /** The queued and in-flight texts at their highest over the last second. */
  readonly peakOutstanding: number;
  /** Batches the serving endpoints can hold at once. */
  readonly slots: number;
  /** The oldest fresh request in the queue. */
  readonly oldest: { readonly enqueuedAt: number; readonly attempts: number } | undefined;
  /** When a batch last came back, freeing its slot. */
  readonly lastFreedAt: number;
}

/** What a freed slot does: wait until `sendAt` (undefined: send now), then take up to `texts`. */
export interface CompanyPlan {
  readonly sendAt: number | undefined;
  readonly texts: number;
}

/** The share a batch takes under load: the fair share of what is outstanding, one batch kept in reserve. */
export function batchShare(input: Pick<CompanyWaitInput, 'batchSize' | 'queuedTexts' | 'inFlightTexts' | 'peakOutstanding' | 'slots'>): number {
  const slots = Math.max(1, input.slots);
  const fair = Math.ceil((input.queuedTexts + input.inFlightTexts) / slots);
  const withReserve = Math.round(input.peakOutstanding / (slots + 1));
  return Math.max(1, Math.min(input.batchSize, fair, withReserve));
}

/** Whether a freed slot waits for company, and the most texts its batch takes. */
export function companyPlan(input: CompanyWaitInput): CompanyPlan {
  const { windowMs, oldest } = input;
  const whole = { sendAt: undefined, texts: input.batchSize };
  if (windowMs <= 0 || input.batchesInFlight === 0 || input.retriesWaiting) return whole;
  if (input.fixedCostMs === undefined || input.fixedCostMs < windowMs) return whole;
  if (oldest === undefined || oldest.attempts > 0) return whole;
  const share = batchShare(input);
  if (input.queuedTexts >= share) return { sendAt: undefined, texts: share };
  // Counted from the later of the oldest arrival and the last freed slot: the clients a
  // finished batch just answered are the likeliest company, and they are on their way back.
  const sendAt = Math.max(oldest.enqueuedAt, input.lastFreedAt) + windowMs;
  return { sendAt: input.now >= sendAt ? undefined : sendAt, texts: share };
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
