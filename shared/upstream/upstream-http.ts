/**
 * Helpers every HTTP upstream client shares: error-status classification and the check that a
 * backend answered with exactly the vectors asked for.
 */
import { PROBE_ANSWER_MAX_BYTES } from './answer-limit';
import type { HttpTransport, TransportResponse } from './transport';
import { type EndpointHealth, HealthState, type UpstreamCall } from './upstream';
import { isUpstreamError, UpstreamError, UpstreamFailure } from './upstream-error';

/**
 * POSTs a JSON payload for one embed call. Resolves with the 200 answer's parsed body; any other
 * status becomes an UpstreamError carrying the type `errorType` reads from the error body. The
 * answer is read up to `call.maxResponseBytes` (embedAnswerLimit of what was asked) and no further.
 */
export async function postEmbedJson(
  transport: HttpTransport,
  url: string,
  payload: unknown,
  call: UpstreamCall & { readonly maxResponseBytes: number },
  extraHeaders: Readonly<Record<string, string>>,
  errorType: (body: unknown) => unknown,
): Promise<unknown> {
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
    const type = errorType(tryParseJson(response.body));
    throw errorFromResponse(response, typeof type === 'string' ? type : undefined);
  }
  return parseJsonBody(response);
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

/** Statuses that mean "busy or not ready, try elsewhere" rather than "this input is bad". */
const OVERLOAD_STATUSES = new Set([429, 503]);

/** Turns a non-2xx answer into an UpstreamError, keeping the backend's own error type. */
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
 * Checks that `value` is `count` vectors of `dimension` finite numbers. A backend serving another
 * model, or dropping an item, must not reach clients as if it were right.
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
    for (const x of vector) {
      if (typeof x !== 'number') {
        throw new UpstreamError(UpstreamFailure.badResponse, 'the backend answered a vector holding a non-number');
      }
    }
  }
}
