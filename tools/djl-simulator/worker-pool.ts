/**
 * DJL's work-load manager in miniature: a bounded job queue, a fixed number of workers, and the
 * server-side batch aggregator (`batch_size`, `max_batch_delay`). Pure: time comes from a
 * {@link Scheduler}, and what a job does is the caller's {@link WorkerPoolHooks}.
 */

/** Time source and timers, injectable so tests control time. */
export interface Scheduler {
  /** Milliseconds, monotonic, fractional allowed. */
  now(): number;
  /** Runs `run` after `delayMs` (as soon as possible when <= 0); returns a cancel function. */
  schedule(delayMs: number, run: () => void): () => void;
}

/** Real timers; a zero delay uses setImmediate because setTimeout(0) waits about 1 ms. */
export const REAL_SCHEDULER: Scheduler = {
  now: () => performance.now(),
  schedule(delayMs, run) {
    if (delayMs <= 0) {
      const handle = setImmediate(run);
      return () => clearImmediate(handle);
    }
    const handle = setTimeout(run, delayMs);
    return () => clearTimeout(handle);
  },
};

/** Sizes of the pool, as DJL names them. */
export interface WorkerPoolConfig {
  readonly workers: number;
  /** `job_queue_size`: requests that may wait for a worker. */
  readonly queueCapacity: number;
  /** `batch_size`: requests one worker may gather into a job. */
  readonly batchSize: number;
  /** `max_batch_delay`: how long a worker gathers before it runs a partial batch. */
  readonly maxBatchDelayMs: number;
}

/** What a job is, supplied by the simulator. */
export interface WorkerPoolHooks<T> {
  /**
   * Called when a worker starts a job. Do the job's real work now (it counts towards the job's
   * time) and say how long the job lasts in all; `finish` runs when that time is up.
   */
  startJob(batch: readonly T[]): { readonly durationMs: number; readonly finish: () => void };
}

interface QueuedItem<T> {
  readonly item: T;
  readonly enqueuedAt: number;
}

interface Worker<T> {
  state: 'idle' | 'gathering' | 'running';
  /** When the worker's last job should have ended; the next job starts no earlier. */
  freeAt: number;
  batch: QueuedItem<T>[];
  gatherDeadline: number;
  cancelTimer: (() => void) | undefined;
}

/** Bounded queue plus workers; `submit` answers false when the queue is full (DJL's 503). */
export class WorkerPool<T> {
  private readonly queue: QueuedItem<T>[] = [];
  private readonly workers: Worker<T>[];
  private stopped = false;

  constructor(
    private readonly config: WorkerPoolConfig,
    private readonly hooks: WorkerPoolHooks<T>,
    private readonly scheduler: Scheduler = REAL_SCHEDULER,
  ) {
    this.workers = Array.from({ length: config.workers }, () => ({
      state: 'idle' as const,
      freeAt: scheduler.now(),
      batch: [],
      gatherDeadline: 0,
      cancelTimer: undefined,
    }));
  }

  /** Requests waiting in the job queue (not those a worker is gathering or running). */
  get queueDepth(): number {
    return this.queue.length;
  }

  /** Workers running a job. */
  get busyWorkers(): number {
    return this.workers.filter((worker) => worker.state === 'running').length;
  }

  /** Offers one request; false when the queue is full or the pool is stopped. */
  submit(item: T): boolean {
    if (this.stopped) return false;
    const entry: QueuedItem<T> = { item, enqueuedAt: this.scheduler.now() };
    // Java wakes the longest-waiting thread: an idle worker before one already gathering.
    const idle = this.workers.find((worker) => worker.state === 'idle');
    if (idle !== undefined) {
      this.take(idle, [entry]);
      return true;
    }
    const gathering = this.workers.find((worker) => worker.state === 'gathering');
    if (gathering !== undefined) {
      this.gather(gathering, entry);
      return true;
    }
    if (this.queue.length >= this.config.queueCapacity) return false;
    this.queue.push(entry);
    return true;
  }

  /** Cancels every timer and drops every request; the pool accepts nothing afterwards. */
  stop(): void {
    this.stopped = true;
    this.queue.length = 0;
    for (const worker of this.workers) {
      worker.cancelTimer?.();
      worker.cancelTimer = undefined;
      worker.batch = [];
    }
  }

  private take(worker: Worker<T>, first: QueuedItem<T>[]): void {
    worker.batch = first;
    const room = this.config.batchSize - first.length;
    if (room > 0) worker.batch.push(...this.queue.splice(0, room));
    const lastArrival = worker.batch.at(-1)?.enqueuedAt ?? this.scheduler.now();
    if (worker.batch.length >= this.config.batchSize) {
      this.run(worker, Math.max(worker.freeAt, lastArrival));
      return;
    }
    worker.state = 'gathering';
    const firstArrival = worker.batch[0]?.enqueuedAt ?? lastArrival;
    worker.gatherDeadline = Math.max(worker.freeAt, firstArrival) + this.config.maxBatchDelayMs;
    const wait = worker.gatherDeadline - this.scheduler.now();
    worker.cancelTimer = this.scheduler.schedule(wait, () => {
      worker.cancelTimer = undefined;
      this.run(worker, Math.min(worker.gatherDeadline, this.scheduler.now()));
    });
  }

  private gather(worker: Worker<T>, entry: QueuedItem<T>): void {
    worker.batch.push(entry);
    if (worker.batch.length < this.config.batchSize) return;
    worker.cancelTimer?.();
    worker.cancelTimer = undefined;
    this.run(worker, entry.enqueuedAt);
  }

  /**
   * Starts the gathered batch. `start` may lie slightly in the past: timers fire late, and
   * counting from when the job should have started keeps sustained throughput on the cost model.
   */
  private run(worker: Worker<T>, start: number): void {
    const batch = worker.batch.map((entry) => entry.item);
    worker.batch = [];
    worker.state = 'running';
    const { durationMs, finish } = this.hooks.startJob(batch);
    const end = start + durationMs;
    worker.cancelTimer = this.scheduler.schedule(end - this.scheduler.now(), () => {
      worker.cancelTimer = undefined;
      worker.state = 'idle';
      worker.freeAt = end;
      finish();
      this.next(worker);
    });
  }

  private next(worker: Worker<T>): void {
    if (this.stopped || worker.state !== 'idle') return;
    const first = this.queue.shift();
    if (first !== undefined) this.take(worker, [first]);
  }
}
