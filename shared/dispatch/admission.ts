/**
 * Backpressure: whether a tier takes a request, from its queue and its endpoints' measured
 * speed. A fast 429 with Retry-After beats a slow timeout, and a bounded queue keeps memory
 * bounded under any load.
 */
import type { Tier } from '../core/tier';
import { ErrorCode, FrontDoorError } from '../errors';
import { RejectReason } from '../core/dispatch-events';
import { type Endpoint, EndpointStatus } from './endpoint';

/** Retry-After when nothing better is known. */
const DEFAULT_RETRY_AFTER_S = 1;

const retryAfterFrom = (waitMs: number | undefined): number =>
  waitMs === undefined ? DEFAULT_RETRY_AFTER_S : Math.max(1, Math.ceil(waitMs / 1000));

/**
 * How long `work` texts take to drain from the queue at the serving endpoints' measured speed,
 * for the batch size that queue forms. Undefined until every serving endpoint has been measured.
 */
export function estimateDrainMs(endpoints: readonly Endpoint[], work: number, batchSize: number, now: number): number | undefined {
  const serving = endpoints.filter((endpoint) => endpoint.status(now) === EndpointStatus.ready);
  if (serving.length === 0) return undefined;
  const slots = serving.reduce((sum, endpoint) => sum + endpoint.capacity(now), 0);
  const batchTexts = Math.min(batchSize, Math.max(1, Math.ceil(work / slots)));
  let rate = 0;
  for (const endpoint of serving) {
    const endpointRate = endpoint.textsPerSecond(now, batchTexts);
    if (endpointRate === undefined) return undefined;
    rate += endpointRate;
  }
  return rate > 0 ? (work / rate) * 1000 : undefined;
}

export interface AdmissionInput {
  readonly tier: Tier;
  /** Distinct texts of the request. */
  readonly texts: number;
  readonly queuedTexts: number;
  readonly queueMaxTexts: number;
  /** Characters of the request's distinct texts, the queue's, and the most it may hold, when bounded. */
  readonly chars?: number;
  readonly queuedChars?: number;
  readonly queueMaxChars?: number;
  /** Fresh texts the request's tenant (API key, or the unkeyed clients) has waiting, when tenants are told apart. */
  readonly tenantTexts?: number;
  readonly tenantMaxTexts?: number;
  readonly deadline: number;
  readonly now: number;
  /** Drain time of the queue plus `extra` texts. */
  readonly drainMs: (extra: number) => number | undefined;
}

export interface Refusal {
  readonly error: FrontDoorError;
  readonly reason: RejectReason;
}

/** The 429 to answer, or undefined to admit. An empty queue admits anything. */
export function admissionRefusal(input: AdmissionInput): Refusal | undefined {
  const { tier, texts, queuedTexts, now } = input;
  if (queuedTexts === 0) return undefined;
  const retryAfterSeconds = retryAfterFrom(input.drainMs(0));
  const { tenantTexts = 0, tenantMaxTexts = Infinity } = input;
  const { chars = 0, queuedChars = 0, queueMaxChars = Infinity } = input;
  if (queuedTexts + texts > input.queueMaxTexts || queuedChars + chars > queueMaxChars) {
    return {
      reason: RejectReason.queueFull,
      error: new FrontDoorError(429, ErrorCode.overloaded,
        `the ${tier} tier's queue is full (${queuedTexts} texts, ${queuedChars} characters waiting); retry after ${retryAfterSeconds} s`,
        { retryAfterSeconds }),
    };
  }
  // A tenant with nothing waiting may send one request of any size (MAX_ITEMS_PER_REQUEST bounds it).
  if (tenantTexts > 0 && tenantTexts + texts > tenantMaxTexts) {
    return {
      reason: RejectReason.keyQueueFull,
      error: new FrontDoorError(429, ErrorCode.overloaded,
        `this API key already has ${tenantTexts} texts waiting in the ${tier} tier's queue, at most ${tenantMaxTexts} may wait per key ` +
          '(QUEUE_MAX_TEXTS_PER_KEY); ' +
          `wait for answers before sending more, or retry after ${retryAfterSeconds} s`, { retryAfterSeconds }),
    };
  }
  const waitMs = input.drainMs(texts);
  if (waitMs !== undefined && now + waitMs > input.deadline) {
    return {
      reason: RejectReason.deadline,
      error: new FrontDoorError(429, ErrorCode.overloaded,
        `the ${tier} tier cannot finish this request before its deadline (about ${Math.ceil(waitMs)} ms of queued work); ` +
          `retry after ${retryAfterSeconds} s`, { retryAfterSeconds }),
    };
  }
  return undefined;
}

/** The fast 503 when no endpoint of the tier can serve, with Retry-After from the nearest ejection's end. */
export function unavailableError(tier: Tier, endpoints: readonly Endpoint[], now: number): FrontDoorError {
  if (endpoints.length === 0) {
    return new FrontDoorError(503, ErrorCode.noBackends, `no ${tier} backend is configured`);
  }
  const ejectedUntil = Math.min(...endpoints.map((endpoint) => (endpoint.ejectedUntil > now ? endpoint.ejectedUntil : Infinity)));
  const retryAfterSeconds = retryAfterFrom(Number.isFinite(ejectedUntil) ? ejectedUntil - now : undefined);
  return new FrontDoorError(503, ErrorCode.backendUnavailable,
    `no ${tier} backend can serve right now (all ${endpoints.length} are down, cold or ejected)`, { retryAfterSeconds });
}
