/**
 * Helpers every HTTP upstream client shares: error-status classification and the check that a
 * backend answered with exactly the vectors asked for.
 */
import type { TransportResponse } from './transport';
import { UpstreamError, UpstreamFailure } from './upstream-error';

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
