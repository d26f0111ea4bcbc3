/**
 * HttpTransport over Node's built-in `fetch`: nothing to bundle, as node-http-transport. The
 * Lambda handlers used it until `npm run bench:bundle` timed the first request too: Node loads
 * its internal undici on the first `fetch` call, about 30 ms of every cold start's first request,
 * and later calls cost 3-4 ms against node:http's 1 ms on loopback. Kept for runtimes that prefer
 * the web API, and as the benchmark's comparison.
 *
 * Connections: the global dispatcher (Node's internal undici Agent) keeps keep-alive connections
 * per origin across calls, so a warm execution environment reuses its sockets; there is no pool of
 * ours to close.
 */
import { BoundedBody } from './bounded-body';
import { withinCallBudget } from './call-budget';
import type { HttpTransport, TransportRequest, TransportResponse } from './transport';

/** What {@link createFetchTransport} accepts. */
export interface FetchTransportOptions {
  /** The fetch to call; defaults to the global one. A seam for callers, not a test mock. */
  readonly fetch?: typeof globalThis.fetch;
}

/**
 * Creates an HttpTransport over `fetch`. Each call gets its own exact timer covering headers and
 * body; the caller's signal cancels the call too. Resolves for every HTTP status; rejects only
 * with an UpstreamError of reason `connect`, `timeout`, `reset`, `aborted` or `too_large`.
 */
export function createFetchTransport(options: FetchTransportOptions = {}): HttpTransport {
  const fetchImpl = options.fetch ?? globalThis.fetch;

  function request(req: TransportRequest): Promise<TransportResponse> {
    // fetch needs a real AbortSignal (undici-transport's handler-level abort has no web equivalent).
    const controller = new AbortController();
    return withinCallBudget(req, () => controller.abort(), async () => {
      const response = await fetchImpl(req.url, {
        method: req.method,
        ...(req.headers === undefined ? {} : { headers: req.headers }),
        ...(req.body === undefined ? {} : { body: req.body }),
        signal: controller.signal,
      });
      // Read within the budget: the timer covers the body, as the interface promises.
      const body = new BoundedBody(response.status, req.maxResponseBytes);
      if (response.body !== null) {
        const reader = response.body.getReader();
        for (let read = await reader.read(); !read.done; read = await reader.read()) {
          if (body.add(read.value as Uint8Array)) continue;
          // Past the cap: cancelling the body closes the connection; nothing more is read.
          await reader.cancel();
          break;
        }
      }
      return { status: response.status, headers: collectHeaders(response.headers), body: body.text() };
    });
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
