/**
 * What a failed Lambda invoke means to the dispatcher, in the words every backend's failures use
 * (UpstreamFailure), so the Lambda tier retries, ejects and falls back as the DJL tiers do:
 * - throttling (TooManyRequestsException, HTTP 429) is a capacity refusal, like DJL's 429/503:
 *   retried elsewhere, and counted as load by the overflow policy;
 * - the function failing (X-Amz-Function-Error: Unhandled or Handled) is like a 502 from a
 *   gateway: retried elsewhere, the endpoint ejected after repeated failures; a function that ran
 *   out of time (Sandbox.Timedout, "Task timed out") is a timeout;
 * - the Lambda service failing (5xx) is like that status from a backend;
 * - no answer within the call's budget is a timeout, a refused or broken connection as for HTTP.
 * Messages name the error type and status only: AWS messages can echo request details.
 */
import { awsErrorName, awsHttpStatus } from './aws-error';
import { classifyNetworkError } from '../upstream/network-error';
import { backendErrorType } from '../upstream/upstream-http';
import { UpstreamError, UpstreamFailure } from '../upstream/upstream-error';

/** Lambda's throttling errors: the function's (or the account's) concurrency is used up. */
const THROTTLING = new Set(['TooManyRequestsException', 'EC2ThrottledException', 'ThrottlingException']);
/** A status a gateway gives for a failed upstream: the dispatcher retries it elsewhere. */
const FUNCTION_FAILED_STATUS = 502;
/** How Lambda says a function ran out of its configured timeout. */
const FUNCTION_TIMEOUT = /Sandbox\.Timedout|Task timed out/i;

/** Maps an error thrown by the SDK's Invoke. `timedOut`/`aborted`: which signal, if any, fired. */
export function invokeError(error: unknown, timedOut: boolean, aborted: boolean): UpstreamError {
  if (timedOut) return new UpstreamError(UpstreamFailure.timeout, 'the Lambda worker did not answer in time', { cause: error });
  if (aborted) return new UpstreamError(UpstreamFailure.aborted, 'the request was cancelled', { cause: error });
  const status = awsHttpStatus(error);
  const name = awsErrorName(error);
  const details = { upstreamType: backendErrorType(name), cause: error };
  if (THROTTLING.has(name) || status === 429) {
    return new UpstreamError(UpstreamFailure.overloaded, `the Lambda worker is throttled (${name})`, { ...details, upstreamStatus: 429 });
  }
  // No status: AWS never answered (a refused connection, a reset, DNS): the transport's reasons.
  if (status === undefined) return classifyNetworkError(error, false, false);
  return new UpstreamError(UpstreamFailure.status, `the Lambda API refused the invoke: ${name} (HTTP ${status})`, {
    ...details,
    // A 4xx from Lambda is about the function or our rights (missing, not permitted), never
    // about one text: no status, so the batch is not bisected as an input rejection.
    ...(status >= 500 ? { upstreamStatus: status } : {}),
  });
}

/** Maps an invoke that ran but failed (X-Amz-Function-Error), from its error payload. */
export function functionError(kind: string, payload: unknown): UpstreamError {
  const { errorType, errorMessage } = (payload !== null && typeof payload === 'object' ? payload : {}) as { errorType?: unknown; errorMessage?: unknown };
  const type = backendErrorType(errorType) ?? backendErrorType(kind);
  if (FUNCTION_TIMEOUT.test(`${String(errorType)} ${String(errorMessage)}`)) {
    return new UpstreamError(UpstreamFailure.timeout, 'the Lambda worker ran past its function timeout', { ...(type === undefined ? {} : { upstreamType: type }) });
  }
  return new UpstreamError(UpstreamFailure.status, `the Lambda worker failed (${backendErrorType(kind) ?? 'function error'}${type === undefined ? '' : `: ${type}`})`, {
    upstreamStatus: FUNCTION_FAILED_STATUS, ...(type === undefined ? {} : { upstreamType: type }),
  });
}
