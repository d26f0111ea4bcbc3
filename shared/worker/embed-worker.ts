/**
 * The embedding Lambda worker's logic: one ONNX Runtime session in the invoke's own process (no
 * worker threads: one invoke at a time per execution environment, and ONNX Runtime's intra-op
 * threads use the environment's vCPUs), loaded once at init, then one answer per invoke. Every
 * outcome is an answer (`ok: false` with a code for a bad payload or a missing model), never a
 * thrown error: a thrown error would reach the front door as an opaque Unhandled FunctionError.
 */
import { WorkerErrorCode, type WorkerAnswer, WORKER_PAYLOAD_VERSION, encodeVectors, parseWorkerRequest } from './worker-payload';
import type { WorkerMetrics } from './worker-metrics';

/** What the worker embeds with: the engine's `embed`, after its model has loaded. */
export interface WorkerEngine {
  readonly dimension: number;
  /** Unit vectors, `[texts.length, dimension]` row-major, in input order. */
  embed(texts: readonly string[]): Promise<Float32Array>;
}

export interface EmbedWorkerOptions {
  /** The engine loading (started at init, so the model loads while Lambda initialises). */
  readonly engine: Promise<WorkerEngine>;
  /** Texts per inference call; an invoke's texts are split into batches of this size. */
  readonly batchSize: number;
  /** Ms since the process started (performance.now): the init time is read from it. */
  readonly now: () => number;
  readonly metrics: WorkerMetrics;
}

/** The invoke handler: event in, answer out. */
export type EmbedWorkerHandler = (event: unknown) => Promise<WorkerAnswer>;

/** Indices of `texts`, longest first, so each batch pads to a length close to its own texts'. */
function byLengthDescending(texts: readonly string[]): number[] {
  return texts.map((_, index) => index).sort((a, b) => texts[b]!.length - texts[a]!.length);
}

/** Builds the handler over an engine that is loading (or failed to). */
export function createEmbedWorker(options: EmbedWorkerOptions): EmbedWorkerHandler {
  let cold = true;
  // Settled once: the init time is the moment the model became ready (or failed).
  const loaded = options.engine.then(
    (engine) => ({ engine, initMs: options.now() }),
    (error: unknown) => ({ error, initMs: options.now() }),
  );

  return async (event: unknown): Promise<WorkerAnswer> => {
    const wasCold = cold;
    cold = false;
    const state = await loaded;
    if (wasCold) options.metrics.init(state.initMs, 'engine' in state);
    if (!('engine' in state)) {
      const reason = state.error instanceof Error ? state.error.message : String(state.error);
      return { v: WORKER_PAYLOAD_VERSION, ok: false, code: WorkerErrorCode.modelUnavailable, message: `the worker's model could not be loaded: ${reason}`, cold: wasCold };
    }
    const parsed = parseWorkerRequest(event);
    if (!parsed.ok) return { v: WORKER_PAYLOAD_VERSION, ok: false, code: WorkerErrorCode.badPayload, message: parsed.message, cold: wasCold };

    const { engine } = state;
    const { texts } = parsed.request;
    const startedAt = options.now();
    const vectors = new Float32Array(texts.length * engine.dimension);
    try {
      const order = byLengthDescending(texts);
      // One batch at a time: the session's intra-op threads already use every vCPU.
      for (let from = 0; from < order.length; from += options.batchSize) {
        const indices = order.slice(from, from + options.batchSize);
        const rows = await engine.embed(indices.map((index) => texts[index]!));
        indices.forEach((index, row) => {
          vectors.set(rows.subarray(row * engine.dimension, (row + 1) * engine.dimension), index * engine.dimension);
        });
      }
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      return { v: WORKER_PAYLOAD_VERSION, ok: false, code: WorkerErrorCode.inferenceFailed, message: `inference failed: ${reason}`, cold: wasCold };
    }
    const computeMs = options.now() - startedAt;
    options.metrics.batch(texts.length, computeMs);
    return {
      v: WORKER_PAYLOAD_VERSION, ok: true, count: texts.length, dimension: engine.dimension,
      vectors: encodeVectors(vectors), cold: wasCold, ...(wasCold ? { initMs: Math.round(state.initMs) } : {}), computeMs: Math.round(computeMs * 10) / 10,
    };
  };
}
