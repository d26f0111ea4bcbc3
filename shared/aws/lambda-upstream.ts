/**
 * The embedding Lambda worker (functions/embed-worker) as an Upstream: each batch is one
 * synchronous invoke, or several in turn when its texts would pass Lambda's 6 MB payload limit
 * either way. The answer is distrusted like any backend's: its version, its count, its dimension
 * and every number (finite float32) are checked before a vector reaches a client. A cold answer
 * (the environment's first invoke) reports the invoke's whole time as the endpoint's cold start.
 */
import type { LambdaBackendSpec } from '../config/backends';
import { UpstreamDialect } from '../core/upstream-dialect';
import type { Tier } from '../core/tier';
import { type EndpointHealth, HealthState, type Upstream, type UpstreamCall } from '../upstream/upstream';
import { backendErrorType, tryParseJson } from '../upstream/upstream-http';
import { isUpstreamError, UpstreamError, UpstreamFailure } from '../upstream/upstream-error';
import {
  answerBytes, decodeVectors, LAMBDA_PAYLOAD_LIMIT_BYTES, MAX_WORKER_TEXTS, WORKER_PAYLOAD_VERSION, type WorkerAnswer, WorkerErrorCode,
} from '../worker/worker-payload';
import { functionError, invokeError } from './lambda-invoke-error';
import type { LambdaInvoke } from './lambda-invoker';

export interface LambdaUpstreamOptions {
  readonly id: string;
  readonly tier: Tier;
  readonly spec: LambdaBackendSpec;
  /** The vector size clients expect (MODEL_DIMENSION). */
  readonly dimension: number;
  readonly invoke: LambdaInvoke;
  /** Told the time of each cold invoke (an environment's first), as a cold start of this endpoint. */
  readonly onColdStart: (durationMs: number) => void;
  /** Ms, for timing cold invokes. */
  readonly now: () => number;
}

/** `{"v":1,"texts":[` and `]}`. */
const REQUEST_ENVELOPE_BYTES = 64;
const MAX_FLOAT32 = 3.4028234663852886e38;

/**
 * Splits `texts` into runs whose request (JSON) and answer (base64 vectors) both fit one invoke.
 * A text that alone passes the request limit is refused as too large (413: the dispatcher isolates
 * it and fails only its request).
 */
export function splitForPayload(texts: readonly string[], dimension: number, limit = LAMBDA_PAYLOAD_LIMIT_BYTES): string[][] {
  const maxTexts = Math.max(1, Math.min(MAX_WORKER_TEXTS, Math.floor((limit - answerBytes(0, dimension)) / (answerBytes(1, dimension) - answerBytes(0, dimension)))));
  const runs: string[][] = [];
  let run: string[] = [];
  let bytes = REQUEST_ENVELOPE_BYTES;
  for (const text of texts) {
    const size = Buffer.byteLength(JSON.stringify(text)) + 1;
    if (size + REQUEST_ENVELOPE_BYTES > limit) {
      throw new UpstreamError(UpstreamFailure.status, 'a text is larger than the Lambda worker\'s 6 MB invoke payload', { upstreamStatus: 413 });
    }
    if (run.length > 0 && (bytes + size > limit || run.length >= maxTexts)) {
      runs.push(run);
      run = [];
      bytes = REQUEST_ENVELOPE_BYTES;
    }
    run.push(text);
    bytes += size;
  }
  if (run.length > 0) runs.push(run);
  return runs;
}

const bad = (message: string): UpstreamError => new UpstreamError(UpstreamFailure.badResponse, `the Lambda worker ${message}`);

/** Reads a worker's answer into vectors, or throws what is wrong with it. */
export function readWorkerAnswer(answer: unknown, count: number, dimension: number): { vectors: number[][]; cold: boolean } {
  if (answer === null || typeof answer !== 'object') throw bad('answered something that is not a worker answer');
  const value = answer as Partial<Record<keyof WorkerAnswer | 'count' | 'dimension' | 'vectors' | 'code', unknown>>;
  if (value.v !== WORKER_PAYLOAD_VERSION) throw bad(`answered payload version ${backendErrorType(String(value.v)) ?? '?'}, expected ${WORKER_PAYLOAD_VERSION} (deploy the worker and the front door together)`);
  if (value.ok === false) {
    const code = backendErrorType(value.code);
    // A worker without its model is broken there, not for this text: retried elsewhere (502).
    const upstreamStatus = code === WorkerErrorCode.modelUnavailable ? 502 : undefined;
    throw new UpstreamError(UpstreamFailure.status, `the Lambda worker refused the batch (${code ?? 'unknown code'})`, {
      ...(upstreamStatus === undefined ? {} : { upstreamStatus }), ...(code === undefined ? {} : { upstreamType: code }),
    });
  }
  if (value.ok !== true) throw bad('answered without ok');
  if (value.count !== count) throw bad(`answered ${typeof value.count === 'number' ? value.count : '?'} vectors for ${count} texts`);
  if (value.dimension !== dimension) {
    throw bad(`answered vectors of ${typeof value.dimension === 'number' ? value.dimension : '?'} dimensions, expected ${dimension} (check MODEL_DIMENSION and the worker's model)`);
  }
  const floats = typeof value.vectors === 'string' ? decodeVectors(value.vectors, count, dimension) : undefined;
  if (floats === undefined) throw bad('answered vectors that are not count x dimension float32 numbers in base64');
  const vectors = new Array<number[]>(count);
  for (let row = 0; row < count; row++) {
    const vector = new Array<number>(dimension);
    for (let index = 0; index < dimension; index++) {
      const x = floats[row * dimension + index]!;
      // Written so NaN fails too.
      if (!(x <= MAX_FLOAT32 && x >= -MAX_FLOAT32)) throw bad('answered a vector holding a number that is not a finite float32');
      vector[index] = x;
    }
    vectors[row] = vector;
  }
  return { vectors, cold: value.cold === true };
}

/** The worker behind one `lambda://` entry, with the entry's concurrency as its batch slots. */
export function createLambdaUpstream(options: LambdaUpstreamOptions): Upstream {
  const { dimension } = options;
  /** Since the last failed invoke, until one succeeds: only then does a probe cost an invoke. */
  let failing = false;

  async function invokeOnce(texts: readonly string[], timeoutMs: number, callSignal: AbortSignal | undefined): Promise<number[][]> {
    const timeout = AbortSignal.timeout(timeoutMs);
    const signal = callSignal === undefined ? timeout : AbortSignal.any([callSignal, timeout]);
    const startedAt = options.now();
    let result;
    try {
      result = await options.invoke(JSON.stringify({ v: WORKER_PAYLOAD_VERSION, texts }), signal);
    } catch (error) {
      throw invokeError(error, timeout.aborted && callSignal?.aborted !== true, callSignal?.aborted === true);
    }
    const body = result.payload === undefined ? undefined : tryParseJson(Buffer.from(result.payload).toString('utf8'));
    if (result.functionError !== undefined && result.functionError !== '') throw functionError(result.functionError, body);
    if (result.statusCode !== undefined && result.statusCode !== 200) {
      throw new UpstreamError(UpstreamFailure.status, `the Lambda API answered the invoke with HTTP ${result.statusCode}`, { upstreamStatus: 502 });
    }
    const { vectors, cold } = readWorkerAnswer(body, texts.length, dimension);
    if (cold) options.onColdStart(options.now() - startedAt);
    return vectors;
  }

  async function embed(texts: readonly string[], call: UpstreamCall): Promise<number[][]> {
    const runs = splitForPayload(texts, dimension);
    const vectors: number[][] = [];
    try {
      // In turn, not at once: the batch holds one of the entry's slots, so one invoke at a time.
      for (const run of runs) vectors.push(...await invokeOnce(run, call.timeoutMs, call.signal));
    } catch (error) {
      failing = true;
      throw error;
    }
    failing = false;
    return vectors;
  }

  /**
   * Healthy without a call while invokes succeed: Lambda starts environments on demand, and a
   * probe that invoked would cost money and keep an environment busy. After a failure, an empty
   * invoke asks the worker itself (its model loaded, the function there and ours to invoke).
   */
  async function ping(call: Omit<UpstreamCall, 'requestId'>): Promise<EndpointHealth> {
    if (!failing) return { state: HealthState.healthy, detail: `lambda, ${options.spec.concurrency} slots` };
    try {
      await invokeOnce([], call.timeoutMs, call.signal);
      failing = false;
      return { state: HealthState.healthy, detail: 'an empty invoke answered' };
    } catch (error) {
      const reason = isUpstreamError(error) ? error.reason : UpstreamFailure.reset;
      return { state: reason === UpstreamFailure.overloaded ? HealthState.unhealthy : HealthState.down, detail: `empty invoke failed: ${reason}` };
    }
  }

  return {
    id: options.id, tier: options.tier, dialect: UpstreamDialect.lambda, capacity: options.spec.concurrency, payPerCall: true, embed, ping,
  };
}
