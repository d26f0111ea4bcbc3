/**
 * Helpers every HTTP upstream client shares: error-status classification and the check that a
 * backend answered with exactly the vectors asked for. Backends are not trusted: what they say
 * reaches clients and logs only as a short identifier or as numbers we checked.
 */
import { PROBE_ANSWER_MAX_BYTES } from './answer-limit';
import type { HttpTransport, TransportResponse } from './transport';
import { type EndpointHealth, HealthState, type UpstreamCall } from './upstream';
import { isUpstreamError, UpstreamError, UpstreamFailure } from './upstream-error';

/**
 * POSTs a JSON payload for one embed call. Resolves with the 200 answer's parsed body and its text
 * (for attachVectorJson once the vectors are checked); any other status becomes an UpstreamError
 * carrying the type `errorType` reads from the error body. The answer is read up to
 * `call.maxResponseBytes` (embedAnswerLimit of what was asked) and no further.
 */
export async function postEmbedAnswer(
  transport: HttpTransport,
  url: string,
  payload: unknown,
  call: UpstreamCall & { readonly maxResponseBytes: number },
  extraHeaders: Readonly<Record<string, string>>,
  errorType: (body: unknown) => unknown,
): Promise<{ readonly json: unknown; readonly text: string }> {
  const response = await transport.request({
    url,
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json', 'x-request-id': call.requestId, ...extraHeaders },
    body: JSON.stringify(payload),
    timeoutMs: call.timeoutMs,
    maxResponseBytes: call.maxResponseBytes,
    ...(call.signal ? { signal: call.signal } : {}),
  });
  if (response.status !== 200) {
    throw errorFromResponse(response, backendErrorType(errorType(tryParseJson(response.body))));
  }
  return { json: parseJsonBody(response), text: response.body };
}

/** A health probe that only asks for a 200 (TEI's /health, an OpenAI-compatible /models). */
export async function probeForOk(
  transport: HttpTransport,
  url: string,
  headers: Readonly<Record<string, string>>,
  call: Omit<UpstreamCall, 'requestId'>,
): Promise<EndpointHealth> {
  const route = new URL(url).pathname;
  try {
    const response = await transport.request({ url, method: 'GET', headers, maxResponseBytes: PROBE_ANSWER_MAX_BYTES, ...call });
    return response.status === 200
      ? { state: HealthState.healthy }
      : { state: HealthState.unhealthy, detail: `${route} answered ${response.status}` };
  } catch (error) {
    return { state: HealthState.down, detail: `${route} failed: ${isUpstreamError(error) ? error.reason : UpstreamFailure.reset}` };
  }
}

/**
 * What a backend's error type may look like to be repeated: `WlmCapacityException`, `Validation`,
 * `invalid_request_error`. Anything else (free text, an address, a client's text, 50 KB) is
 * dropped, since it would reach clients' error messages and our logs.
 */
const BACKEND_ERROR_TYPE = /^[A-Za-z0-9_.]{1,64}$/;

/** The first candidate that is a short identifier, or undefined: never a backend's free text. */
export function backendErrorType(...candidates: readonly unknown[]): string | undefined {
  for (const candidate of candidates) {
    if (typeof candidate === 'string' && BACKEND_ERROR_TYPE.test(candidate)) return candidate;
  }
  return undefined;
}

/** Statuses that mean "busy or not ready, try elsewhere" rather than "this input is bad". */
const OVERLOAD_STATUSES = new Set([429, 503]);

/**
 * Turns a non-2xx answer into an UpstreamError, keeping the backend's own error type (which the
 * caller has passed through backendErrorType).
 */
export function errorFromResponse(response: TransportResponse, upstreamType: string | undefined): UpstreamError {
  const reason = OVERLOAD_STATUSES.has(response.status) ? UpstreamFailure.overloaded : UpstreamFailure.status;
  const what = upstreamType === undefined ? `${response.status}` : `${response.status} ${upstreamType}`;
  return new UpstreamError(reason, `the backend answered ${what}`, {
    upstreamStatus: response.status,
    ...(upstreamType === undefined ? {} : { upstreamType }),
  });
}

export function parseJsonBody(response: TransportResponse): unknown {
  try {
    return JSON.parse(response.body);
  } catch (error) {
    throw new UpstreamError(UpstreamFailure.badResponse, 'the backend answered with a body that is not JSON', {
      upstreamStatus: response.status,
      cause: error,
    });
  }
}

/** Parses a body as JSON, or undefined when it is not JSON (error bodies are best effort). */
export function tryParseJson(body: string): unknown {
  try {
    return JSON.parse(body);
  } catch {
    return undefined;
  }
}

/**
 * The largest float32 (2^128 - 2^104). A larger number, or Infinity (JSON's `1e999`), would reach
 * clients as `null` in JSON or as Infinity in base64.
 */
const MAX_FLOAT32 = 3.4028234663852886e38;

/**
 * Checks that `value` is `count` vectors of `dimension` finite numbers that fit float32. A backend
 * serving another model, dropping an item or answering broken numbers must not reach clients as
 * if it were right. Runs on every number of every answer: one comparison pair per number.
 */
export function assertVectors(value: unknown, count: number, dimension: number): asserts value is number[][] {
  if (!Array.isArray(value) || value.length !== count) {
    const got = Array.isArray(value) ? `${value.length} vectors` : typeof value;
    throw new UpstreamError(UpstreamFailure.badResponse, `the backend answered ${got} for ${count} texts`);
  }
  for (const vector of value) {
    if (!Array.isArray(vector) || vector.length !== dimension) {
      const got = Array.isArray(vector) ? `${vector.length} dimensions` : typeof vector;
      throw new UpstreamError(UpstreamFailure.badResponse,
        `the backend answered vectors of ${got}, expected ${dimension} (check MODEL_DIMENSION and the backend's model)`);
    }
    for (let index = 0; index < dimension; index++) {
      const x: unknown = vector[index];
      if (typeof x !== 'number') {
        throw new UpstreamError(UpstreamFailure.badResponse, 'the backend answered a vector holding a non-number');
      }
      // Written so NaN fails too.
      if (!(x <= MAX_FLOAT32 && x >= -MAX_FLOAT32)) {
        throw new UpstreamError(UpstreamFailure.badResponse, 'the backend answered a vector holding a number that is not a finite float32');
      }
    }
  }
}
