/**
 * HttpTransport over Node's built-in `fetch`, for runtimes where a bundle's cold start matters and
 * each invocation makes few upstream calls (AWS Lambda). Measured for the deploy issue (esbuild,
 * minified ESM, Node 20): a bare Hono Lambda handler is 25 KB and imports in about 11 ms; with
 * undici's Pool bundled, 560 KB and about 87 ms. The built-in fetch ships inside Node itself.
 * `npm run bench:bundle` measures this project's handlers both ways.
 *
 * Connections: the global dispatcher (Node's internal undici Agent) keeps keep-alive connections
 * per origin across calls, so a warm execution environment reuses its sockets; there is no pool of
 * ours to close.
 */
import type { HttpTransport, TransportRequest, TransportResponse } from './transport';
import { UpstreamError, UpstreamFailure } from './upstream-error';

/** What {@link createFetchTransport} accepts. */
export interface FetchTransportOptions {
  /** The fetch to call; defaults to the global one. A seam for callers, not a test mock. */
  readonly fetch?: typeof globalThis.fetch;
}

// The same codes undici-transport classifies. Not imported from there: that module imports
// undici, which a bundler would then pull into the Lambda bundle whole.
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
 * Classifies a fetch failure into the transport's four reasons. Our own flags come first: after
 * an abort, fetch rejects with an AbortError that no longer says whether the timer or the caller
 * pulled it.
 */
export function classifyFetchError(error: unknown, timedOut: boolean, aborted: boolean): UpstreamError {
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

/**
 * Creates an HttpTransport over `fetch`. Each call gets its own exact timer covering headers and
 * body; the caller's signal cancels the call too. Resolves for every HTTP status; rejects only
 * with an UpstreamError of reason `connect`, `timeout`, `reset` or `aborted`.
 */
export function createFetchTransport(options: FetchTransportOptions = {}): HttpTransport {
  const fetchImpl = options.fetch ?? globalThis.fetch;

  async function request(req: TransportRequest): Promise<TransportResponse> {
    if (req.signal?.aborted) throw new UpstreamError(UpstreamFailure.aborted, 'the request was cancelled');
    // One controller per call, pulled by our timer or by the caller. fetch needs a real
    // AbortSignal (undici-transport's cheaper EventEmitter is not accepted here), and a timer of
    // our own tells a timeout from a cancellation without inspecting the abort reason.
    const controller = new AbortController();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      controller.abort();
    }, req.timeoutMs);
    const onCallerAbort = (): void => controller.abort();
    req.signal?.addEventListener('abort', onCallerAbort, { once: true });
    try {
      const response = await fetchImpl(req.url, {
        method: req.method,
        ...(req.headers === undefined ? {} : { headers: req.headers }),
        ...(req.body === undefined ? {} : { body: req.body }),
        signal: controller.signal,
      });
      // Read inside the try: the timer's budget covers the body, as the interface promises.
      const body = await response.text();
      return { status: response.status, headers: collectHeaders(response.headers), body };
    } catch (error) {
      throw classifyFetchError(error, timedOut, req.signal?.aborted === true);
    } finally {
      clearTimeout(timer);
      req.signal?.removeEventListener('abort', onCallerAbort);
    }
  }

  return {
    request,
    // Nothing of ours to release: the global dispatcher owns the keep-alive sockets and closes
    // idle ones itself.
    close: async () => {},
  };
}

/** Headers as a plain object; the Headers class already lower-cases names and joins repeats. */
function collectHeaders(headers: Headers): Record<string, string | undefined> {
  const collected: Record<string, string | undefined> = {};
  headers.forEach((value, name) => {
    collected[name] = value;
  });
  return collected;
}
