/**
 * One backend endpoint as the dispatcher sees it: how much work it holds, whether it is ejected
 * or reported unhealthy, how fast it has been, how far it has ramped up since it recovered, and
 * its cold starts. Pure bookkeeping: the dispatcher and the health checker feed it events with times.
 */
import { Warmth } from '../core/warmth';
import type { Upstream } from '../upstream/upstream';
import { HealthState } from '../upstream/upstream';
import { UpstreamFailure, type UpstreamError } from '../upstream/upstream-error';
import { CostModelEstimator } from './cost-model';

export interface EndpointPolicy {
  /** Batches an endpoint may hold at once (its DJL worker count is the natural value). */
  readonly maxInFlight: number;
  /** Consecutive failures that eject an endpoint (nginx's max_fails). */
  readonly ejectAfterFailures: number;
  /** First ejection's length; doubles while the endpoint keeps failing. */
  readonly ejectBaseMs: number;
  readonly ejectMaxMs: number;
  /** How long a recovered endpoint takes to ramp from a trickle to its full share. */
  readonly slowStartMs: number;
}

/** When one batch may go ahead to a full endpoint (see Endpoint.canTakeAhead). */
export interface SendAhead {
  /** How long before the endpoint's earliest batch is predicted to end (0: never). */
  readonly ms: number;
  /** The least measured fixed cost per batch that makes it worth it. */
  readonly minFixedCostMs: number;
}

/** Nothing goes ahead. */
export const NO_SEND_AHEAD: SendAhead = { ms: 0, minFixedCostMs: 0 };

/** Where a slow-starting endpoint begins: a tenth of its share, at least one batch. */
const SLOW_START_FLOOR = 0.1;

export const EndpointStatus = {
  /** Serving, or not yet known to be otherwise. */
  ready: 'ready',
  /** Taken out by passive ejection until `ejectedUntil`. */
  ejected: 'ejected',
  /** Its own health report (DJL /ping) says it cannot serve: cold, loading, failed. */
  unhealthy: 'unhealthy',
} as const;
export type EndpointStatus = (typeof EndpointStatus)[keyof typeof EndpointStatus];

export class Endpoint {
  inFlight = 0;
  /** Texts in the batches it holds: the "outstanding work" balancing compares. */
  outstandingTexts = 0;
  /** When the batches it holds are predicted to end (by its cost model when sent), earliest first. */
  private readonly predictedEnds: number[] = [];
  consecutiveFailures = 0;
  /** Ejections in a row without a success in between; drives the back-off. */
  ejections = 0;
  ejectedUntil = 0;
  /** Health as last reported by an active probe (`undefined`: never probed). */
  probed: HealthState | undefined;
  /** When it last came back (ejection over, or probe healthy again); starts the slow start. */
  recoveredAt = Number.NEGATIVE_INFINITY;
  /** Its measured speed: latency as a function of batch size. */
  readonly cost = new CostModelEstimator();
  succeeded = 0;
  failed = 0;
  /** Since when it has been seen cold (refusing connections, model loading), if it is now. */
  private coldSince: number | undefined;
  private hasAnswered = false;

  /**
   * @param seenAt when the front door first learnt of it (start-up, or discovery); a cold start
   *   seen at the first look is timed from here.
   * @param onColdStartEnd told when it answers for the first time after being cold.
   */
  constructor(
    readonly upstream: Upstream,
    readonly policy: EndpointPolicy,
    private readonly seenAt = 0,
    private readonly onColdStartEnd: (endpoint: Endpoint, durationMs: number) => void = () => {},
  ) {}

  get id(): string {
    return this.upstream.id;
  }

  status(now: number): EndpointStatus {
    if (this.ejectedUntil > now) return EndpointStatus.ejected;
    if (this.probed !== undefined && this.probed !== HealthState.healthy) return EndpointStatus.unhealthy;
    return EndpointStatus.ready;
  }

  /** Share of its full capacity it may take now: ramps linearly after a recovery. */
  rampFraction(now: number): number {
    const policy = this.policy;
    if (policy.slowStartMs <= 0) return 1;
    const progress = (now - this.recoveredAt) / policy.slowStartMs;
    return progress >= 1 ? 1 : Math.max(SLOW_START_FLOOR, progress);
  }

  /** Batches it may hold right now. */
  capacity(now: number): number {
    return Math.max(1, Math.round(this.policy.maxInFlight * this.rampFraction(now)));
  }

  canTake(now: number): boolean {
    return this.status(now) === EndpointStatus.ready && this.inFlight < this.capacity(now);
  }

  /**
   * Lower is better: outstanding texts per batch slot, scaled by how much of its share it may
   * take (a Cloud Run service with 40 slots takes twenty times the work of a 2-slot task).
   */
  load(now: number): number {
    return (this.outstandingTexts + this.inFlight) / (this.rampFraction(now) * this.policy.maxInFlight);
  }

  /** Starts a batch's bookkeeping; `predictedEndAt` is when its cost model expects it back (Infinity: unknown). */
  begin(texts: number, predictedEndAt = Number.POSITIVE_INFINITY): void {
    this.inFlight++;
    this.outstandingTexts += texts;
    const ends = this.predictedEnds;
    let at = ends.length;
    while (at > 0 && (ends[at - 1] as number) > predictedEndAt) at--;
    ends.splice(at, 0, predictedEndAt);
  }

  /** Ends a batch's bookkeeping, whatever its outcome, with the prediction `begin` was given. */
  end(texts: number, predictedEndAt = Number.POSITIVE_INFINITY): void {
    this.inFlight--;
    this.outstandingTexts -= texts;
    const at = this.predictedEnds.indexOf(predictedEndAt);
    if (at >= 0) this.predictedEnds.splice(at, 1);
  }

  /** When the earliest batch it holds is predicted to end (Infinity: none, or unknown). */
  get earliestEnd(): number {
    return this.predictedEnds[0] ?? Number.POSITIVE_INFINITY;
  }

  /**
   * True when it is full but one batch more may go now, to wait in the backend's own queue: its
   * earliest batch is predicted to end within `ahead.ms` (and is not later than that: a backend
   * slower than its model gets nothing ahead). The worker that frees then starts the next batch
   * at once instead of idling for the front door's round trip (the answer's way back, the next
   * batch's way out). Only for a backend whose measured fixed cost per batch is at least
   * `ahead.minFixedCostMs` (where batches are worth sharing, see coalescing.ts), one batch at
   * most, and never to an endpoint paid per call (a Lambda function would start another instance).
   */
  canTakeAhead(now: number, ahead: SendAhead): boolean {
    const from = this.aheadFrom(now, ahead);
    return from !== undefined && from <= now && now <= this.earliestEnd + ahead.ms;
  }

  /** When {@link canTakeAhead} turns true, if it can while nothing changes (a timer's time). */
  aheadFrom(now: number, ahead: SendAhead): number | undefined {
    if (ahead.ms <= 0 || this.upstream.payPerCall === true || this.status(now) !== EndpointStatus.ready) return undefined;
    if (this.inFlight !== this.capacity(now) || this.earliestEnd === Number.POSITIVE_INFINITY) return undefined;
    const fixedCostMs = this.cost.estimate()?.baseMs;
    return fixedCostMs === undefined || fixedCostMs < ahead.minFixedCostMs ? undefined : this.earliestEnd - ahead.ms;
  }

  recordSuccess(texts: number, latencyMs: number, now: number): void {
    this.clearColdVerdict(now);
    this.observeGood(now);
    this.succeeded++;
    this.consecutiveFailures = 0;
    this.ejections = 0;
    this.cost.record(texts, latencyMs);
  }

  /**
   * Counts a failure that says something about the endpoint (not about the input). Returns true
   * when it should now be ejected; the caller decides whether ejecting is allowed.
   */
  recordFailure(error: UpstreamError, now: number): boolean {
    if (isColdSign(error)) this.observeCold(now);
    this.failed++;
    this.consecutiveFailures++;
    // A refused connection is conclusive (nothing listens: a dead or cold container); other
    // failures may be passing, so they need several in a row.
    return error.reason === UpstreamFailure.connect || this.consecutiveFailures >= this.policy.ejectAfterFailures;
  }

  eject(now: number): number {
    const backoff = Math.min(this.policy.ejectMaxMs, this.policy.ejectBaseMs * 2 ** this.ejections);
    this.ejections++;
    this.ejectedUntil = now + backoff;
    this.recoveredAt = this.ejectedUntil;
    this.consecutiveFailures = 0;
    return backoff;
  }

  /** Applies an active probe's verdict. */
  recordProbe(state: HealthState, now: number): void {
    const wasServing = this.status(now) === EndpointStatus.ready;
    this.probed = state;
    if (state === HealthState.healthy) this.observeGood(now);
    else if (COLD_STATES.has(state)) this.observeCold(now);
    if (state === HealthState.healthy && !wasServing) {
      // Back from ejection or from being cold: serve again at once, but ramp up.
      this.ejectedUntil = 0;
      this.recoveredAt = now;
    }
  }

  /** How ready it is for client traffic, for metrics and /info. */
  warmth(now: number): Warmth {
    const status = this.status(now);
    if (status === EndpointStatus.ejected) return Warmth.ejected;
    if (status === EndpointStatus.unhealthy) return COLD_STATES.has(this.probed as HealthState) ? Warmth.cold : Warmth.unhealthy;
    return this.rampFraction(now) < 1 ? Warmth.warming : Warmth.warm;
  }

  /** True while it has been seen cold and has not answered since. */
  get isCold(): boolean {
    return this.coldSince !== undefined;
  }

  /**
   * A batch it has just answered outranks an older probe that found it starting. A batch admitted
   * before the first verdict can outlast a probe that gave up while the model loaded (the
   * in-process engine's /ping answers `pending` at its time limit); without this, the endpoint
   * would stay out until the next probe, and a tier with only this endpoint would answer 503s in
   * between. Only cold verdicts are cleared: a backend reporting itself unhealthy or failed keeps
   * its word until a probe says otherwise.
   */
  private clearColdVerdict(now: number): void {
    if (this.probed === undefined || !COLD_STATES.has(this.probed)) return;
    this.probed = HealthState.healthy;
    // Back from being cold, as when a probe finds it healthy: serve at once, but ramp up.
    if (this.ejectedUntil <= now) this.recoveredAt = now;
  }

  private observeCold(now: number): void {
    // Cold at the first look: it has been starting since before we knew of it, at least since then.
    this.coldSince ??= this.hasAnswered ? now : Math.min(this.seenAt, now);
  }

  private observeGood(now: number): void {
    this.hasAnswered = true;
    if (this.coldSince === undefined) return;
    const durationMs = now - this.coldSince;
    this.coldSince = undefined;
    this.onColdStartEnd(this, durationMs);
  }

  /**
   * Texts per second it serves now when fed batches of `batchTexts`, from its measured cost
   * model (undefined until measured, 0 when it is not serving).
   */
  textsPerSecond(now: number, batchTexts: number): number | undefined {
    if (this.status(now) !== EndpointStatus.ready) return 0;
    const latencyMs = this.cost.predictMs(batchTexts);
    if (latencyMs === undefined) return undefined;
    return (this.capacity(now) * batchTexts * 1000) / Math.max(latencyMs, 0.001);
  }
}

/** Probe answers of an endpoint that is starting: nothing listens yet, or its model is loading. */
const COLD_STATES = new Set<HealthState>([HealthState.down, HealthState.pending]);

/**
 * Failures that say the endpoint is not up yet: a refused connection, or a 503 that is not a
 * capacity refusal (DJL answers 503 while its model loads; a full queue is WlmCapacityException).
 */
function isColdSign(error: UpstreamError): boolean {
  if (error.reason === UpstreamFailure.connect) return true;
  return error.reason === UpstreamFailure.overloaded && error.upstreamStatus === 503 && !isCapacityRefusal(error);
}

/** A backend saying it is full rather than not ready: 429, or DJL's WlmCapacityException. */
export function isCapacityRefusal(error: UpstreamError): boolean {
  return error.reason === UpstreamFailure.overloaded &&
    (error.upstreamStatus === 429 || /capacity|overloaded/i.test(error.upstreamType ?? ''));
}
