/**
 * One classification of network failures for every HttpTransport (node:http, fetch, undici), so
 * retry policy and the HTTP mapping key on the same four reasons whichever transport a runtime
 * uses. No imports beyond the error class: the Lambda transports must not pull undici in.
 */
import { UpstreamError, UpstreamFailure } from './upstream-error';

const CONNECT_CODES = new Set([
  'ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'EHOSTDOWN', 'UND_ERR_CONNECT_TIMEOUT',
]);
const TIMEOUT_CODES = new Set(['UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT', 'ETIMEDOUT']);

/** How deep to follow `cause` links: fetch wraps undici's error, which wraps the socket's. */
const MAX_CAUSE_DEPTH = 5;

/**
 * Finds the first string `code` along an error's cause chain. fetch rejects with
 * `TypeError('fetch failed')` whose `cause` holds the real error; a connect that tried several
 * addresses (Happy Eyeballs) fails with an AggregateError whose `errors` hold the codes.
 */
function errorCode(error: unknown): string | undefined {
  for (let current = error, depth = 0; current instanceof Error && depth < MAX_CAUSE_DEPTH; current = current.cause, depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    if (current instanceof AggregateError) {
      const inner = current.errors.map(errorCode).find((item) => item !== undefined);
      if (inner !== undefined) return inner;
    }
  }
  return undefined;
}

/**
 * Classifies a failed exchange into the transport's four reasons. The transport's own flags come
 * first: after an abort, the error no longer says whether its timer or the caller pulled it.
 */
export function classifyNetworkError(error: unknown, timedOut: boolean, aborted: boolean): UpstreamError {
  if (error instanceof UpstreamError) return error;
  if (timedOut) return new UpstreamError(UpstreamFailure.timeout, 'the backend did not answer in time', { cause: error });
  if (aborted) return new UpstreamError(UpstreamFailure.aborted, 'the request was cancelled', { cause: error });
  const code = errorCode(error);
  if (code !== undefined && CONNECT_CODES.has(code)) {
    return new UpstreamError(UpstreamFailure.connect, `could not connect to the backend (${code})`, { cause: error });
  }
  if (code !== undefined && TIMEOUT_CODES.has(code)) {
    return new UpstreamError(UpstreamFailure.timeout, `the backend did not answer in time (${code})`, { cause: error });
  }
  return new UpstreamError(UpstreamFailure.reset, `the connection to the backend failed (${code ?? 'unknown'})`, { cause: error });
}
