/**
 * One tier of backend instances behind the front door's queue, at the level of requests and
 * batches: a request's texts queue in arrival order; whenever a warm instance has a free worker it
 * takes the next batch of up to `batchSize` texts (from one request or several, like the
 * production WorkQueue), served in `baseMs + perTextMs * n`. Instances start cold, become warm
 * after their cold start, and are billed from launch until they stop.
 */
import type { InstanceModel } from './defaults';

export const InstanceState = { starting: 'starting', warm: 'warm', draining: 'draining' } as const;
export type InstanceState = (typeof InstanceState)[keyof typeof InstanceState];

export interface Instance {
  readonly id: number;
  state: InstanceState;
  busyWorkers: number;
}

/** A batch in flight: the requests it serves and how many texts of each. */
export interface Batch {
  readonly instance: Instance;
  readonly requests: number[];
  readonly counts: number[];
  readonly texts: number;
  /** From taken to done: the service time (and, on Lambda, a new environment's init). */
  readonly durationMs: number;
}

export class TierSim {
  readonly instances: Instance[] = [];
  queuedTexts = 0;
  /** Texts in batches being served: with the queued ones, the front door's backlog (efd_backlog_texts). */
  inFlightTexts = 0;
  /** Time integrals in worker-ms and instance-ms, for utilization and instance-hours. */
  busyWorkerMs = 0;
  warmWorkerMs = 0;
  instanceMs = 0;
  private lastAdvance = 0;
  private busyWorkers = 0;
  protected warmWorkers = 0;
  private readonly queue: number[] = [];
  private queueHead = 0;
  /** Texts of the head request already handed to batches. */
  private headTaken = 0;
  private nextId = 0;

  constructor(readonly model: InstanceModel, private readonly requestTexts: Int32Array) {}

  /** Brings the time integrals up to `now`; call before any change of state. */
  advance(now: number): void {
    const elapsed = now - this.lastAdvance;
    if (elapsed <= 0) return;
    this.busyWorkerMs += this.busyWorkers * elapsed;
    this.warmWorkerMs += this.warmWorkers * elapsed;
    this.instanceMs += this.instances.length * elapsed;
    this.lastAdvance = now;
  }

  count(state: InstanceState): number {
    let total = 0;
    for (const instance of this.instances) if (instance.state === state) total++;
    return total;
  }

  /** Instances that are or will be serving: what the autoscaler calls the current capacity. */
  get active(): number {
    return this.instances.length - this.count(InstanceState.draining);
  }

  launch(now: number, warm: boolean): Instance {
    this.advance(now);
    const instance: Instance = { id: this.nextId++, state: InstanceState.starting, busyWorkers: 0 };
    this.instances.push(instance);
    if (warm) this.markWarm(now, instance.id);
    return instance;
  }

  /** The cold start is over; false if the instance was stopped meanwhile. */
  markWarm(now: number, id: number): boolean {
    const instance = this.instances.find((item) => item.id === id);
    if (instance === undefined || instance.state !== InstanceState.starting) return false;
    this.advance(now);
    instance.state = InstanceState.warm;
    this.warmWorkers += this.model.workers;
    return true;
  }

  /**
   * Stops `count` instances: starting ones first (newest first: they are furthest from serving),
   * then idle warm ones, then busy ones, which drain their batches before they stop.
   */
  scaleIn(now: number, count: number): void {
    this.advance(now);
    for (let left = count; left > 0; left--) {
      const starting = this.findLast(InstanceState.starting, false);
      const idle = starting ?? this.findLast(InstanceState.warm, true);
      const victim = idle ?? this.findLast(InstanceState.warm, false);
      if (victim === undefined) return;
      if (victim.state === InstanceState.warm) this.warmWorkers -= this.model.workers;
      if (victim.busyWorkers === 0) this.instances.splice(this.instances.indexOf(victim), 1);
      else victim.state = InstanceState.draining;
    }
  }

  enqueue(request: number): void {
    this.queue.push(request);
    this.queuedTexts += this.requestTexts[request] ?? 0;
  }

  /** Arrival index of the oldest queued request, or undefined. */
  oldestQueued(): number | undefined {
    return this.queue[this.queueHead];
  }

  /**
   * Queued work plus `extra` texts over the warm workers' speed at the batch size that queue
   * forms: the same estimate as the production `estimateDrainMs`, from the known cost model
   * instead of a measured one. Undefined without a warm instance.
   */
  drainMs(extra: number): number | undefined {
    const slots = this.slots();
    if (slots === 0) return undefined;
    const work = this.queuedTexts + extra;
    const batchTexts = Math.min(this.model.batchSize, Math.max(1, Math.ceil(work / slots)));
    const perSlotRate = batchTexts / (this.model.baseMs + this.model.perTextMs * batchTexts);
    return work / (slots * perSlotRate);
  }

  /** Batches the tier could run at once: what the front door counts as its slots. */
  protected slots(): number {
    return this.warmWorkers;
  }

  /** The warm instance with a free worker that takes the next batch (the least busy one), or undefined. */
  protected pickInstance(_now: number): Instance | undefined {
    let instance: Instance | undefined;
    for (const candidate of this.instances) {
      if (candidate.state !== InstanceState.warm || candidate.busyWorkers >= this.model.workers) continue;
      if (instance === undefined || candidate.busyWorkers < instance.busyWorkers) instance = candidate;
    }
    return instance;
  }

  /** The next batch for a free worker, or undefined. */
  takeBatch(now: number): Batch | undefined {
    if (this.queuedTexts === 0) return undefined;
    const instance = this.pickInstance(now);
    if (instance === undefined) return undefined;
    this.advance(now);
    const requests: number[] = [];
    const counts: number[] = [];
    let texts = 0;
    while (texts < this.model.batchSize && this.queueHead < this.queue.length) {
      const request = this.queue[this.queueHead] as number;
      const left = (this.requestTexts[request] ?? 0) - this.headTaken;
      const take = Math.min(left, this.model.batchSize - texts);
      requests.push(request);
      counts.push(take);
      texts += take;
      if (take === left) {
        this.queueHead++;
        this.headTaken = 0;
      } else {
        this.headTaken += take;
      }
    }
    if (this.queueHead > 1024 && this.queueHead * 2 > this.queue.length) {
      this.queue.splice(0, this.queueHead);
      this.queueHead = 0;
    }
    this.queuedTexts -= texts;
    this.inFlightTexts += texts;
    instance.busyWorkers++;
    this.busyWorkers++;
    return { instance, requests, counts, texts, durationMs: this.serviceMs(texts) };
  }

  serviceMs(texts: number): number {
    return this.model.baseMs + this.model.perTextMs * texts;
  }

  /** Frees the batch's worker; a draining instance stops with its last batch. */
  finishBatch(now: number, batch: Batch): void {
    this.advance(now);
    batch.instance.busyWorkers--;
    this.busyWorkers--;
    this.inFlightTexts -= batch.texts;
    if (batch.instance.state === InstanceState.draining && batch.instance.busyWorkers === 0) {
      this.instances.splice(this.instances.indexOf(batch.instance), 1);
    }
  }

  protected findLast(state: InstanceState, idleOnly: boolean): Instance | undefined {
    for (let index = this.instances.length - 1; index >= 0; index--) {
      const instance = this.instances[index] as Instance;
      if (instance.state === state && (!idleOnly || instance.busyWorkers === 0)) return instance;
    }
    return undefined;
  }
}
