/**
 * A Lambda function as the overflow tier (lambda://FUNCTION?concurrency=N): the front door sees one
 * endpoint with N slots and queues texts for it like any tier; each batch it sends is a synchronous
 * invoke. Lambda runs each invoke in an idle environment if one is left, else starts a new one
 * (its init runs before the batch and is billed), up to the reserved concurrency and no faster than
 * the function's scaling rate. Environments are never paid for idle; they are kept for a while
 * after their last invoke, then reclaimed, so the next burst starts cold again.
 */
import { LAMBDA_MAX_VCPUS, LAMBDA_MB_PER_VCPU, type InstanceModel, type LambdaModel } from './defaults';
import { type Rng, uniform } from './rng';
import type { LambdaSpec } from './scenario-types';
import { type Batch, type Instance, InstanceState, TierSim } from './tier-sim';

const SECOND_MS = 1_000;
const MINUTE_MS = 60_000;
const MB_PER_GB = 1_024;
const PER_MILLION = 1e-6;
/** Lambda's scaling rate is stated per 10 s per function. */
const SCALING_WINDOW_MS = 10_000;

/** vCPUs Lambda gives a function of `memoryMb` (in proportion to memory, capped at 6). */
export function lambdaVcpus(memoryMb: number): number {
  return Math.min(LAMBDA_MAX_VCPUS, memoryMb / LAMBDA_MB_PER_VCPU);
}

/** The invoke's cost model as an instance model: one batch per environment, throughput from the vCPUs. */
export function lambdaInstanceModel(model: LambdaModel): InstanceModel {
  return {
    workers: 1,
    batchSize: model.batchSize,
    baseMs: model.invokeOverheadMs + model.handlerOverheadMs,
    perTextMs: SECOND_MS / (model.chunksPerSecondPerVcpu * lambdaVcpus(model.memoryMb)),
    coldStartSeconds: model.initSeconds,
    dollarsPerHour: 0,
  };
}

export class LambdaSim extends TierSim {
  /** Billed duration: every invoke's time, and the init of the environments it started. */
  billedMs = 0;
  invocations = 0;
  coldStarts = 0;
  private readonly lastUsed = new Map<number, number>();
  private readonly fresh = new Set<number>();
  /** When environments were started within the last scaling window. */
  private readonly starts: number[] = [];

  constructor(
    readonly lambda: LambdaModel,
    readonly spec: LambdaSpec,
    requestTexts: Int32Array,
    private readonly initRng: Rng,
  ) {
    super(lambdaInstanceModel(lambda), requestTexts);
  }

  /** Dollars so far: GB-seconds of billed duration and requests. */
  get costDollars(): number {
    const gbSeconds = (this.billedMs / SECOND_MS) * (this.lambda.memoryMb / MB_PER_GB);
    return gbSeconds * this.lambda.dollarsPerGbSecond + this.invocations * this.lambda.dollarsPerMillionRequests * PER_MILLION;
  }

  /** GB-hours billed so far (the table's measure of how much the function ran). */
  get gbHours(): number {
    return (this.billedMs / (60 * MINUTE_MS)) * (this.lambda.memoryMb / MB_PER_GB);
  }

  /** The front door's N slots, whether or not their environments exist yet. */
  protected override slots(): number {
    return this.spec.reservedConcurrency;
  }

  protected override pickInstance(now: number): Instance | undefined {
    const idle = this.findLast(InstanceState.warm, true);
    if (idle !== undefined) return idle;
    if (this.instances.length >= this.spec.reservedConcurrency) return undefined;
    while ((this.starts[0] ?? now) <= now - SCALING_WINDOW_MS) this.starts.shift();
    if (this.starts.length >= this.lambda.scalingPer10Seconds) return undefined;
    this.starts.push(now);
    const started = this.launch(now, true);
    this.fresh.add(started.id);
    return started;
  }

  override takeBatch(now: number): Batch | undefined {
    const batch = super.takeBatch(now);
    if (batch === undefined) return undefined;
    const cold = this.fresh.delete(batch.instance.id);
    if (cold) this.coldStarts++;
    const initMs = cold ? uniform(this.initRng, this.lambda.initSeconds.min, this.lambda.initSeconds.max) * SECOND_MS : 0;
    const durationMs = initMs + batch.durationMs;
    this.billedMs += durationMs - this.lambda.invokeOverheadMs;
    this.invocations++;
    return { ...batch, durationMs };
  }

  override finishBatch(now: number, batch: Batch): void {
    super.finishBatch(now, batch);
    this.lastUsed.set(batch.instance.id, now);
  }

  /** Reclaims the environments idle for longer than Lambda keeps them. */
  reap(now: number): void {
    this.advance(now);
    const before = now - this.lambda.idleMinutes * MINUTE_MS;
    for (let index = this.instances.length - 1; index >= 0; index--) {
      const instance = this.instances[index] as Instance;
      if (instance.busyWorkers > 0 || (this.lastUsed.get(instance.id) ?? now) > before) continue;
      this.instances.splice(index, 1);
      this.lastUsed.delete(instance.id);
      this.warmWorkers -= this.model.workers;
    }
  }
}
