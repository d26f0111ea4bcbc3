/**
 * The dispatch engine for one tier of endpoints. Requests' texts wait in the front door's own
 * bounded queue (where they can be measured and refused early), are packed into upstream batches
 * of at most `batchSize` distinct texts, possibly from several requests (coalescing), and sent to
 * the least-loaded endpoint that can take one. Failed batches are retried elsewhere within a
 * budget; batches a backend refuses are split until the bad text is found, so one request's bad
 * text never fails another's.
 */
import type { Tier } from '../core/tier';
import type { EmbedRequest, EmbedResult } from '../embed/embedder';
import { ErrorCode, FrontDoorError } from '../errors';
import type { Logger } from '../logger';
import type { TierSnapshot } from '../core/dispatch-snapshot';
import { type DispatchEvents, noDispatchEvents, RejectReason } from '../core/dispatch-events';
import { HealthState, type Upstream } from '../upstream/upstream';
import { isUpstreamError, UpstreamError, UpstreamFailure } from '../upstream/upstream-error';
import { type AdmissionInput, admissionRefusal, estimateDrainMs, unavailableError } from './admission';
import { BackendLoad } from './backend-load';
import { pickEndpoint } from './balancer';
import { groupBySlot } from './batch-slots';
import { companyPlan, readySlots } from './coalescing';
import { ColdStartRecord } from './cold-start-record';
import { Endpoint, EndpointStatus, isCapacityRefusal, NO_SEND_AHEAD, type SendAhead } from './endpoint';
import { isInputRejection, isolateRejection } from './isolation';
import { PendingRequest, type WorkItem } from './pending-request';
import { RecentPeak } from './recent-peak';
import { RetryBudget } from './retry-budget';
import type { CancelTimer, Scheduler } from './scheduler';
import type { TierCounters, TierPolicy } from './tier-policy';
import { WorkQueue } from './work-queue';

export type { TierCounters, TierPolicy } from './tier-policy';

/** The tenant of requests made without an API key: all of them share one fair share. */
export const ANONYMOUS_TENANT = '';

/** An endpoint discovery found, about to join a tier. */
export interface JoiningEndpoint {
  readonly upstream: Upstream;
  /** When it started (an ECS task's creation), if the source knows. */
  readonly startedAt: number | undefined;
  /** Batches it may hold at once, if the source knows (a Cloud Run service's concurrency). */
  readonly capacity?: number | undefined;
}

const MS_PER_SECOND = 1_000;
const secondsOrUndefined = (ms: number | undefined): number | undefined => (ms === undefined ? undefined : ms / MS_PER_SECOND);

/** How far back the clients in a closed loop are counted, for the batch share's reserve (coalescing.ts). */
const PEAK_WINDOW_MS = 1_000;

/** The most batches one endpoint may hold, whatever a source says (CPU_MAX_INFLIGHT's own limit). */
const MAX_ENDPOINT_CAPACITY = 1024;

export interface TierDispatcherOptions {
  readonly tier: Tier;
  readonly upstreams: readonly Upstream[];
  readonly policy: TierPolicy;
  readonly scheduler: Scheduler;
  readonly random: () => number;
  readonly logger: Logger;
  readonly events?: DispatchEvents;
  /** True when discovery adds and removes this tier's endpoints at run time. */
  readonly discovered?: boolean;
}

export class TierDispatcher {
  readonly endpoints: Endpoint[];
  readonly counters: TierCounters = { batches: 0, batchedTexts: 0, sentAhead: 0, retries: 0, isolations: 0, ejections: 0, rejectedOverload: 0 };
  /** What the upstreams' latency and refusals say about the backends' own queues. */
  readonly backendLoad: BackendLoad;
  readonly coldStarts = new ColdStartRecord();
  private readonly events: DispatchEvents;
  private readonly queue = new WorkQueue();
  private readonly budget: RetryBudget;
  private batchesInFlight = 0;
  /** Distinct texts in those batches: with the queue's, the backlog the scaling signal reports. */
  private textsInFlight = 0;
  /** Isolation batches go one at a time, so a backend's server-side batching cannot merge them. */
  private isolationInFlight = false;
  /** When a batch last came back, freeing its slot. */
  private lastFreedAt = Number.NEGATIVE_INFINITY;
  /** Queued and in-flight texts at their highest lately: the clients of a closed loop. */
  private readonly outstandingPeak = new RecentPeak(PEAK_WINDOW_MS);
  private pumpScheduled = false;
  private windowTimer: CancelTimer | undefined;
  /** Wakes the pump when a full endpoint may take a batch ahead, and when. */
  private aheadTimer: { cancel: CancelTimer; at: number } | undefined;
  private readonly pump = (): void => this.runPump();
  /**
   * Sending ahead hides the round trip between two batches of a slot; like waiting for company
   * it pays only where a batch has a fixed cost worth sharing, and is off with the window.
   */
  private readonly ahead: SendAhead;
  /** Told of each ejection, so an active checker can find out at once whether the endpoint is down. */
  onEjected: ((endpoint: Endpoint) => void) | undefined;
  /** Told of each endpoint that joins later (discovery), so an active checker can probe it at once. */
  onAdded: ((endpoint: Endpoint) => void) | undefined;
  private readonly onColdStartEnd = (endpoint: Endpoint, durationMs: number): void => {
    this.coldStarts.add(durationMs, endpoint.id, this.options.scheduler.now());
    this.events.backendColdStart(this.options.tier, endpoint.id, durationMs);
    this.options.logger.info('backend_cold_start', { tier: this.options.tier, endpoint: endpoint.id, durationMs });
  };

  constructor(private readonly options: TierDispatcherOptions) {
    this.events = options.events ?? noDispatchEvents;
    const { sendAheadMs, coalesceWindowMs } = options.policy;
    this.ahead = sendAheadMs > 0 && coalesceWindowMs > 0 ? { ms: sendAheadMs, minFixedCostMs: coalesceWindowMs } : NO_SEND_AHEAD;
    this.backendLoad = new BackendLoad(options.policy.loadWindowMs);
    const seenAt = options.scheduler.now();
    this.endpoints = options.upstreams.map((upstream) => new Endpoint(upstream, options.policy, seenAt, this.onColdStartEnd));
    this.budget = new RetryBudget({
      ratio: options.policy.retryBudgetRatio,
      minPerSecond: options.policy.retryMinPerSecond,
      clock: options.scheduler,
    });
  }

  get tier(): Tier {
    return this.options.tier;
  }

  /** Characters of the texts waiting in the queue. */
  get queuedChars(): number {
    return this.queue.chars;
  }

  /** Texts waiting in the queue (including those of requests that gave up meanwhile). */
  get queuedTexts(): number {
    return this.queue.texts;
  }

  get inFlightBatches(): number {
    return this.batchesInFlight;
  }

  /** True when the tier has endpoints, or discovery may find some. */
  get isConfigured(): boolean {
    return this.endpoints.length > 0 || this.options.discovered === true;
  }

  /**
   * Discovered endpoints join: one discovery round's, together. `startedAt` (an ECS task's
   * creation) times an endpoint's cold start. Whether the tier already serves is decided once,
   * before any of them joins: endpoints found in the same round (all of them in the first) are
   * not held back from each other, so a cold start's waiting burst spreads over every task found.
   * A newcomer to a tier that already serves waits for its first probe before taking traffic when
   * an active checker is listening (it is most likely still loading its model).
   */
  addEndpoints(joining: readonly JoiningEndpoint[]): void {
    if (joining.length === 0) return;
    const now = this.options.scheduler.now();
    const holdBack = this.onAdded !== undefined && this.isServing(now);
    const added = joining.map(({ upstream, startedAt, capacity }) => {
      const policy = capacity === undefined || capacity < 1 ? this.options.policy
        : { ...this.options.policy, maxInFlight: Math.min(MAX_ENDPOINT_CAPACITY, Math.floor(capacity)) };
      const endpoint = new Endpoint(upstream, policy, Math.min(startedAt ?? now, now), this.onColdStartEnd);
      if (holdBack) endpoint.probed = HealthState.pending;
      return endpoint;
    });
    this.endpoints.push(...added);
    for (const endpoint of added) this.onAdded?.(endpoint);
    this.schedulePump();
  }

  /** A discovered endpoint leaves; batches it holds finish (or fail over) as usual. */
  removeEndpoint(id: string): void {
    const index = this.endpoints.findIndex((endpoint) => endpoint.id === id);
    if (index >= 0) this.endpoints.splice(index, 1);
  }

  /** True when some endpoint is neither ejected nor reported unhealthy. */
  isServing(now = this.options.scheduler.now()): boolean {
    return this.endpoints.some((endpoint) => endpoint.status(now) === EndpointStatus.ready);
  }

  /** Endpoints that may take client traffic now. */
  servingEndpoints(now = this.options.scheduler.now()): number {
    return this.endpoints.filter((endpoint) => endpoint.status(now) === EndpointStatus.ready).length;
  }

  snapshot(now = this.options.scheduler.now()): TierSnapshot {
    return {
      queuedTexts: this.queue.texts,
      inFlightBatches: this.batchesInFlight,
      endpoints: this.endpoints.map((endpoint) => ({
        id: endpoint.id,
        dialect: endpoint.upstream.dialect,
        warmth: endpoint.warmth(now),
        inFlight: endpoint.inFlight,
      })),
      coldStarts: this.coldStarts.stats(),
      backlogTexts: this.queue.texts + this.textsInFlight,
      servingEndpoints: this.servingEndpoints(now),
      estimatedWaitSeconds: this.queue.texts === 0 ? 0 : secondsOrUndefined(this.estimatedWaitMs(0, now)),
    };
  }

  embed(request: EmbedRequest): Promise<EmbedResult> {
    const { scheduler } = this.options;
    const now = scheduler.now();
    if (!this.isServing(now)) {
      this.events.rejected(this.options.tier, RejectReason.unavailable);
      throw this.unavailableError(now);
    }
    const pending = new PendingRequest(request.texts, request.requestId, request.deadline, now, this.options.tier, () => {
      cancelDeadline();
      request.signal?.removeEventListener('abort', onAbort);
    });
    const tenant = request.tenant ?? ANONYMOUS_TENANT;
    this.admit(tenant, pending.uniqueTexts, request.deadline, now);

    const cancelDeadline = scheduler.setTimer(() => pending.fail(new UpstreamError(UpstreamFailure.timeout,
      'the request deadline passed before the backends answered')), request.deadline - now);
    const onAbort = (): void => pending.fail(new UpstreamError(UpstreamFailure.aborted, 'the client went away'));
    request.signal?.addEventListener('abort', onAbort, { once: true });

    pending.uniqueTexts.forEach((text, index) => {
      this.queue.pushFresh({ request: pending, index, text, tries: 0, avoid: undefined }, tenant);
    });
    this.outstandingPeak.note(this.queue.texts + this.textsInFlight, now);
    this.schedulePump();
    return pending.promise;
  }

  /**
   * Refuses, with a 429, work the queue cannot take or cannot finish in time (see admission.ts).
   * When the queue is full, the newest requests of the tenant holding the most texts give way to a
   * tenant holding fewer, so one client's flood cannot lock the others out.
   */
  private admit(tenant: string, uniqueTexts: readonly string[], deadline: number, now: number): void {
    const { policy, tier } = this.options;
    const texts = uniqueTexts.length;
    const chars = uniqueTexts.reduce((sum, text) => sum + text.length, 0);
    const input = (): AdmissionInput => ({
      tier,
      texts,
      queuedTexts: this.queue.texts,
      queueMaxTexts: policy.queueMaxTexts,
      chars,
      queuedChars: this.queue.chars,
      queueMaxChars: policy.queueMaxChars,
      tenantTexts: this.queue.tenantTexts(tenant),
      tenantMaxTexts: policy.tenantMaxTexts,
      deadline,
      now,
      drainMs: (extra) => this.estimatedWaitMs(extra, now, tenant),
    });
    let refusal = admissionRefusal(input());
    // Only the full queue stands in the way: make room if a tenant holds more than this one would.
    if (refusal?.reason === RejectReason.queueFull &&
        admissionRefusal({ ...input(), queueMaxTexts: Infinity, queueMaxChars: Infinity }) === undefined) {
      const shed = this.queue.shed(tenant, { texts, chars }, { texts: policy.queueMaxTexts, chars: policy.queueMaxChars });
      for (const request of shed) this.giveWay(request, now);
      if (shed.length > 0) refusal = admissionRefusal(input());
    }
    if (refusal === undefined) return;
    this.counters.rejectedOverload++;
    this.events.rejected(tier, refusal.reason);
    throw refusal.error;
  }

  /** Fails a queued request taken back to make room for another tenant's, with a 429. */
  private giveWay(request: PendingRequest, now: number): void {
    const retryAfterSeconds = Math.max(1, Math.ceil((this.estimatedWaitMs(0, now) ?? 1000) / 1000));
    this.counters.rejectedOverload++;
    this.events.rejected(this.options.tier, RejectReason.shed);
    request.fail(new FrontDoorError(429, ErrorCode.overloaded,
      `the ${this.options.tier} tier's queue is full and this client held the most of it: its newest request gave way to ` +
        `other clients' work; retry after ${retryAfterSeconds} s`, { retryAfterSeconds }));
  }

  /**
   * How long the queue (plus `extraTexts`) takes to drain at the endpoints' measured speed; for a
   * `tenant`, only the work the round robin serves before that tenant's last text.
   */
  estimatedWaitMs(extraTexts: number, now = this.options.scheduler.now(), tenant?: string): number | undefined {
    const work = tenant === undefined ? this.queue.texts + extraTexts : this.queue.workBefore(tenant, extraTexts);
    return estimateDrainMs(this.endpoints, work, this.options.policy.batchSize, now);
  }

  /** Runs the pump once per tick, however many requests arrived in it (dataloader's trick). */
  schedulePump(): void {
    if (this.pumpScheduled) return;
    this.pumpScheduled = true;
    queueMicrotask(this.pump);
  }

  private runPump(): void {
    this.pumpScheduled = false;
    const { scheduler, random, policy } = this.options;
    for (;;) {
      this.queue.dropSettled();
      if (this.queue.isEmpty) return;
      const now = scheduler.now();
      if (this.batchesInFlight === 0 && !this.isServing(now)) {
        this.queue.failAll(this.unavailableError(now));
        return;
      }
      const isolated = this.isolationInFlight ? undefined : this.queue.peekIsolated();
      const avoid = isolated === undefined ? this.queue.peekRetry()?.avoid : undefined;
      const endpoint = pickEndpoint(this.endpoints, now, random, avoid, isolated === undefined ? this.ahead : NO_SEND_AHEAD);
      if (endpoint === undefined) {
        // A finishing batch or a probe pumps again; so does the moment a batch may go ahead.
        if (isolated === undefined) this.wakeForAhead(now);
        return;
      }
      const texts = isolated === undefined ? this.batchTexts(endpoint, now) : policy.batchSize;
      if (texts === undefined) return;
      const items = isolated !== undefined
        ? this.queue.takeIsolated()
        : this.queue.takeBatch(endpoint.id, avoid?.has(endpoint.id) === true, texts, policy.batchMaxChars);
      if (items.length === 0) {
        // An isolation batch whose requests all gave up: look again. Otherwise only isolation
        // work waits behind the one isolation batch out, which pumps again when it returns.
        if (isolated !== undefined) continue;
        return;
      }
      void this.send(endpoint, items, isolated !== undefined);
    }
  }

  /**
   * The most texts a batch to `endpoint` takes now, or undefined when a partial batch waits for
   * company, which pays under load (see coalescing.ts).
   */
  private batchTexts(endpoint: Endpoint, now: number): number | undefined {
    const { slots, inFlightTexts } = readySlots(this.endpoints, now);
    const { sendAt, texts } = companyPlan({
      now,
      windowMs: this.options.policy.coalesceWindowMs,
      batchSize: this.options.policy.batchSize,
      fixedCostMs: endpoint.cost.estimate()?.baseMs,
      batchesInFlight: this.batchesInFlight,
      retriesWaiting: this.queue.hasRetries,
      queuedTexts: this.queue.texts,
      inFlightTexts,
      peakOutstanding: this.outstandingPeak.value(now),
      slots,
      oldest: this.queue.oldestFresh()?.request,
      lastFreedAt: this.lastFreedAt,
    });
    if (sendAt === undefined) return texts;
    this.windowTimer?.();
    this.windowTimer = this.options.scheduler.setTimer(() => {
      this.windowTimer = undefined;
      this.schedulePump();
    }, sendAt - now);
    return undefined;
  }

  /** Runs the pump when the first full endpoint may take a batch ahead (see Endpoint.canTakeAhead). */
  private wakeForAhead(now: number): void {
    if (this.ahead.ms <= 0) return;
    let at = Number.POSITIVE_INFINITY;
    for (const endpoint of this.endpoints) at = Math.min(at, endpoint.aheadFrom(now, this.ahead) ?? Number.POSITIVE_INFINITY);
    if (at === Number.POSITIVE_INFINITY || at <= now || this.aheadTimer?.at === at) return;
    this.aheadTimer?.cancel();
    const cancel = this.options.scheduler.setTimer(() => {
      this.aheadTimer = undefined;
      this.schedulePump();
    }, at - now);
    this.aheadTimer = { cancel, at };
  }

  private async send(endpoint: Endpoint, items: WorkItem[], isolation = false): Promise<void> {
    const { scheduler, policy, tier } = this.options;
    const { texts, owners, requests, deadline, firstAttempt, retried } = groupBySlot(items);
    if (firstAttempt) this.budget.deposit();
    for (const request of retried) request.retries++;

    const started = scheduler.now();
    // Counted before the queue-wait event, so a sink sampling the snapshot then sees this batch.
    this.textsInFlight += texts.length;
    for (const request of requests) {
      request.attempts++;
      if (request.firstSentAt !== undefined) continue;
      request.firstSentAt = started;
      this.events.queueWait(tier, started - request.enqueuedAt);
    }
    if (isolation) this.isolationInFlight = true;
    // A batch sent ahead (only ever to an endpoint with a predicted end, see canTakeAhead) starts
    // when the endpoint's earliest one ends, as its cost model predicts.
    const ahead = endpoint.inFlight >= endpoint.capacity(started);
    if (ahead) this.counters.sentAhead++;
    const expectedStart = ahead ? Math.max(started, endpoint.earliestEnd) : started;
    const predictedEnd = expectedStart + (endpoint.cost.predictMs(texts.length) ?? Number.POSITIVE_INFINITY);
    endpoint.begin(texts.length, predictedEnd);
    this.batchesInFlight++;
    this.counters.batches++;
    this.counters.batchedTexts += texts.length;
    let vectors: number[][] | undefined;
    let failure: unknown;
    try {
      vectors = await endpoint.upstream.embed(texts, {
        requestId: items[0]?.request.requestId ?? 'batch',
        timeoutMs: Math.max(1, Math.min(policy.upstreamTimeoutMs, deadline - started)),
      });
    } catch (error) {
      failure = error;
    }
    endpoint.end(texts.length, predictedEnd);
    this.batchesInFlight--;
    this.textsInFlight -= texts.length;
    const finished = scheduler.now();
    this.lastFreedAt = finished;
    if (isolation) this.isolationInFlight = false;
    this.events.batchDone({ tier, endpoint: endpoint.id, texts: texts.length, durationMs: finished - started, ok: vectors !== undefined });
    if (vectors !== undefined) {
      // The cost model and the load signal learn the backend's time, not the moments a batch sent
      // ahead waited, by design, in its queue.
      const servedFrom = Math.min(expectedStart, finished);
      endpoint.recordSuccess(texts.length, finished - servedFrom, finished);
      this.backendLoad.recordSuccess(texts.length, finished - servedFrom, finished);
      owners.forEach((group, slot) => {
        const vector = vectors[slot] as number[];
        for (const item of group) item.request.fill(item.index, vector, finished);
      });
    } else {
      this.handleFailure(endpoint, owners, failure);
    }
    this.schedulePump();
  }

  private handleFailure(endpoint: Endpoint, owners: WorkItem[][], failure: unknown): void {
    const now = this.options.scheduler.now();
    const error = isUpstreamError(failure)
      ? failure
      : new UpstreamError(UpstreamFailure.badResponse, 'the backend client failed unexpectedly', { cause: failure });

    if (isInputRejection(error)) {
      const halves = isolateRejection(owners, error);
      if (halves.length > 0) this.counters.isolations++;
      for (const half of halves) this.queue.pushIsolated(half);
      return;
    }
    if (isCapacityRefusal(error)) this.backendLoad.recordCapacityError(now);
    if (error.reason !== UpstreamFailure.aborted && endpoint.recordFailure(error, now) && this.mayEject(endpoint, now)) {
      const backoffMs = endpoint.eject(now);
      this.counters.ejections++;
      this.events.ejection(this.options.tier, endpoint.id);
      this.options.logger.warn('endpoint_ejected', { tier: this.options.tier, endpoint: endpoint.id, reason: error.reason, backoffMs });
      this.onEjected?.(endpoint);
    }

    const items = owners.flat().filter((item) => !item.request.settled);
    // A bad answer (wrong vectors, or more bytes than the vectors asked for can take) says this
    // endpoint is broken, not the input: another endpoint may answer right. The retry budget
    // bounds how often, and each oversized answer was cut at its cap, so retrying costs no memory.
    const badAnswer = error.reason === UpstreamFailure.badResponse || error.reason === UpstreamFailure.tooLarge;
    const retryable = error.isRetryable || badAnswer;
    const exhausted = items.filter((item) => item.tries >= this.options.policy.maxAttempts);
    const again = items.filter((item) => item.tries < this.options.policy.maxAttempts);
    for (const item of exhausted) item.request.fail(error);
    if (again.length === 0) return;
    if (!retryable || !this.budget.tryWithdraw()) {
      for (const item of again) item.request.fail(error);
      return;
    }
    this.counters.retries++;
    this.events.retry(this.options.tier);
    for (const item of again) {
      (item.avoid ??= new Set()).add(endpoint.id);
      this.queue.pushRetry(item);
    }
  }

  /** Never eject the last serving endpoint: with nowhere else to go, a failing one beats none. */
  private mayEject(endpoint: Endpoint, now: number): boolean {
    return this.endpoints.some((other) => other !== endpoint && other.status(now) === EndpointStatus.ready);
  }

  private unavailableError(now: number): FrontDoorError {
    if (this.endpoints.length === 0 && this.options.discovered === true) {
      return new FrontDoorError(503, ErrorCode.backendUnavailable,
        `discovery has found no ${this.options.tier} endpoint (yet); retry shortly`, { retryAfterSeconds: 1 });
    }
    return unavailableError(this.options.tier, this.endpoints, now);
  }

  /** Fails everything still queued (shutdown). */
  close(): void {
    this.windowTimer?.();
    this.aheadTimer?.cancel();
    this.queue.failAll(new FrontDoorError(503, ErrorCode.backendUnavailable, 'the front door is shutting down'));
  }
}
