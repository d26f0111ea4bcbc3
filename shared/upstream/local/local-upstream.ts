/**
 * The in-process engine behind the same Upstream interface as DJL, TEI and OpenAI-compatible
 * servers, so the embedder batches, balances and fails over to it like to any backend. This
 * module imports nothing heavy: ONNX Runtime and the tokenizer load inside the worker threads.
 */
import { UpstreamDialect } from '../../core/upstream-dialect';
import type { Tier } from '../../core/tier';
import { type Logger, silentLogger } from '../../logger';
import { type EndpointHealth, HealthState, type Upstream, type UpstreamCall } from '../upstream';
import { isUpstreamError, UpstreamError, UpstreamFailure } from '../upstream-error';
import { createEnginePool, type EnginePool, PoolState } from './engine-pool';

export interface LocalUpstreamOptions {
  readonly id: string;
  readonly tier: Tier;
  /** The vector size clients expect (MODEL_DIMENSION); a model answering another is an error. */
  readonly dimension: number;
  readonly modelDir: string;
  readonly workers: number;
  readonly maxTokens: number;
  /** Texts per inference call; longer lists are split. */
  readonly batchSize: number;
  /** Says once whether the model loaded, and why not: the only place an operator sees the reason. */
  readonly logger?: Logger;
  /** Injectable for tests. */
  readonly pool?: EnginePool;
}

export interface LocalUpstream extends Upstream {
  /** Starts the workers and waits for the model (the benchmark's warm-up); rejects with LocalModelError. */
  ready(): Promise<void>;
  close(): Promise<void>;
}

/**
 * Orders texts longest first, so each batch pads to a length close to its own texts' (the
 * padding of a batch is computed, then thrown away).
 */
function byLengthDescending(texts: readonly string[]): number[] {
  return texts.map((_, index) => index).sort((a, b) => texts[b]!.length - texts[a]!.length);
}

/** The in-process engine as an Upstream; nothing starts until the first request or health probe. */
export function createLocalUpstream(options: LocalUpstreamOptions): LocalUpstream {
  const pool = options.pool ?? createEnginePool({ modelDir: options.modelDir, workers: options.workers, maxTokens: options.maxTokens });
  const logger = options.logger ?? silentLogger;
  let loading: Promise<unknown> | undefined;

  /** Starts the workers on first use (a request or a health probe) and logs the outcome once. */
  function start(): Promise<unknown> {
    if (loading === undefined) {
      const startedAt = performance.now();
      loading = pool.ready().then(
        ({ dimension }) => logger.info('local_engine_ready', {
          upstream: options.id, workers: options.workers, dimension, loadMs: Math.round(performance.now() - startedAt),
        }),
        (error: unknown) => logger.error('local_engine_failed', {
          upstream: options.id, modelDir: options.modelDir, message: error instanceof Error ? error.message : String(error),
        }),
      );
    }
    return loading;
  }

  async function embed(texts: readonly string[], call: UpstreamCall): Promise<number[][]> {
    const timeout = AbortSignal.timeout(call.timeoutMs);
    const signal = call.signal ? AbortSignal.any([call.signal, timeout]) : timeout;
    void start();
    const order = byLengthDescending(texts);
    const batches: number[][] = [];
    for (let from = 0; from < order.length; from += options.batchSize) batches.push(order.slice(from, from + options.batchSize));
    const vectors = new Array<number[]>(texts.length);
    try {
      await Promise.all(batches.map(async (indices) => {
        const result = await pool.run(indices.map((index) => texts[index]!), signal);
        if (result.dimension !== options.dimension) {
          throw new UpstreamError(UpstreamFailure.badResponse,
            `the in-process model gives ${result.dimension}-dimension vectors, expected ${options.dimension} (check MODEL_DIMENSION and the model)`);
        }
        indices.forEach((index, row) => {
          vectors[index] = Array.from(result.vectors.subarray(row * result.dimension, (row + 1) * result.dimension));
        });
      }));
    } catch (error) {
      if (timeout.aborted && !call.signal?.aborted) {
        throw new UpstreamError(UpstreamFailure.timeout, 'the in-process engine did not finish in time', { cause: error });
      }
      if (isUpstreamError(error)) throw error;
      throw new UpstreamError(UpstreamFailure.status, 'the in-process engine failed', { cause: error });
    }
    return vectors;
  }

  async function ping(call: Omit<UpstreamCall, 'requestId'>): Promise<EndpointHealth> {
    let timer: NodeJS.Timeout | undefined;
    const waited = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, call.timeoutMs);
    });
    await Promise.race([start(), waited]);
    clearTimeout(timer);
    const status = pool.status();
    switch (status.state) {
      case PoolState.ready:
        return { state: HealthState.healthy, detail: `${options.workers} worker(s), ${status.dimension ?? '?'} dimensions` };
      case PoolState.failed:
        return { state: HealthState.failed, detail: status.detail ?? 'the model could not be loaded' };
      case PoolState.closed:
        return { state: HealthState.down, detail: 'closed' };
      default:
        return { state: HealthState.pending, detail: 'loading the model' };
    }
  }

  return {
    id: options.id,
    tier: options.tier,
    dialect: UpstreamDialect.local,
    embed,
    ping,
    ready: async () => {
      await start();
      await pool.ready();
    },
    close: () => pool.close(),
  };
}
