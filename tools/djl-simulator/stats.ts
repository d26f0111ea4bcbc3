/**
 * Counters the simulator keeps for tests and benchmarks.
 */

/** Count of occurrences by a numeric key (a status code, a batch size). */
export type Histogram = Readonly<Record<number, number>>;

/** A snapshot of what one simulator saw since start or `resetStats()`. */
export interface DjlSimulatorStats {
  /** TCP connections accepted (fewer than requests when the client keeps connections alive). */
  readonly connections: number;
  /** Requests on prediction routes (`/predictions`, `/invocations`, `/models/{m}/invoke`). */
  readonly requests: number;
  /** `GET /ping` requests. */
  readonly pings: number;
  /** Jobs the workers ran (a server-side batch is one job). */
  readonly jobs: number;
  /** Texts embedded by jobs that succeeded. */
  readonly texts: number;
  /** Responses with status >= 400, by status, on every route. */
  readonly errorsByStatus: Histogram;
  /** Prediction requests left unanswered on purpose (hangRate). */
  readonly hung: number;
  /** Deepest the job queue got. */
  readonly maxQueueDepth: number;
  /** Most prediction requests open at once. */
  readonly maxInFlight: number;
  /** Prediction requests received and not yet answered (hung ones included) right now. */
  readonly inFlight: number;
  /** Requests waiting in the job queue right now. */
  readonly queued: number;
  /** Workers running a job right now. */
  readonly busyWorkers: number;
  /** Texts per well-formed prediction request, counted as received. */
  readonly requestBatchSizes: Histogram;
  /** Texts per job the workers ran. */
  readonly jobBatchSizes: Histogram;
}

/** The live gauges the recorder asks for when a snapshot is taken. */
export interface LiveGauges {
  readonly queued: number;
  readonly busyWorkers: number;
}

function bump(histogram: Record<number, number>, key: number, by = 1): void {
  histogram[key] = (histogram[key] ?? 0) + by;
}

/** Mutable counters behind `sim.stats`. */
export class StatsRecorder {
  connections = 0;
  requests = 0;
  pings = 0;
  jobs = 0;
  texts = 0;
  hung = 0;
  maxQueueDepth = 0;
  maxInFlight = 0;
  /** Not reset by `reset()`: it is a gauge of requests that are still open. */
  inFlight = 0;
  private errorsByStatus: Record<number, number> = {};
  private requestBatchSizes: Record<number, number> = {};
  private jobBatchSizes: Record<number, number> = {};

  recordError(status: number): void {
    bump(this.errorsByStatus, status);
  }

  recordRequestSize(texts: number): void {
    bump(this.requestBatchSizes, texts);
  }

  recordJob(texts: number, succeeded: boolean): void {
    this.jobs++;
    bump(this.jobBatchSizes, texts);
    if (succeeded) this.texts += texts;
  }

  recordQueueDepth(depth: number): void {
    if (depth > this.maxQueueDepth) this.maxQueueDepth = depth;
  }

  openRequest(): void {
    this.inFlight++;
    if (this.inFlight > this.maxInFlight) this.maxInFlight = this.inFlight;
  }

  closeRequest(): void {
    this.inFlight--;
  }

  reset(): void {
    this.connections = 0;
    this.requests = 0;
    this.pings = 0;
    this.jobs = 0;
    this.texts = 0;
    this.hung = 0;
    this.maxQueueDepth = 0;
    this.maxInFlight = this.inFlight;
    this.errorsByStatus = {};
    this.requestBatchSizes = {};
    this.jobBatchSizes = {};
  }

  snapshot(live: LiveGauges): DjlSimulatorStats {
    return Object.freeze({
      connections: this.connections,
      requests: this.requests,
      pings: this.pings,
      jobs: this.jobs,
      texts: this.texts,
      errorsByStatus: Object.freeze({ ...this.errorsByStatus }),
      hung: this.hung,
      maxQueueDepth: this.maxQueueDepth,
      maxInFlight: this.maxInFlight,
      inFlight: this.inFlight,
      queued: live.queued,
      busyWorkers: live.busyWorkers,
      requestBatchSizes: Object.freeze({ ...this.requestBatchSizes }),
      jobBatchSizes: Object.freeze({ ...this.jobBatchSizes }),
    });
  }
}
