/**
 * HttpTransport over an undici Agent: one keep-alive pool per backend origin, for processes that
 * serve many requests (the Node server, Cloud Run, Fargate).
 *
 * Calls go through `agent.dispatch` with one handler object per call rather than `agent.request`:
 * the answer's chunks go straight into a BoundedBody, with no Readable, async iterator or
 * AsyncResource per call (a CPU profile of the front door under load put undici plus the stream
 * glue at ~17% of busy time).
 */
import { Agent, type Dispatcher } from 'undici';
import { BoundedBody } from './bounded-body';
import { withinCallBudget } from './call-budget';
import type { HttpTransport, TransportRequest, TransportResponse } from './transport';

export interface UndiciTransportOptions {
  /** Connections per backend origin. */
  connectionsPerOrigin: number;
  /** Connect timeout; nginx's proxy_connect_timeout in the seed is 5 s. */
  connectTimeoutMs?: number;
  /** How long an idle keep-alive socket is kept. DJL (Netty) keeps them open indefinitely. */
  keepAliveTimeoutMs?: number;
}

const DEFAULT_CONNECT_TIMEOUT_MS = 5_000;
const DEFAULT_KEEP_ALIVE_MS = 30_000;
/** The first final status; 1xx answers are informational and followed by the real one. */
const FIRST_FINAL_STATUS = 200;
/** Headers until the answer's arrive; shared, since a call only settles after onResponseStart. */
const NO_HEADERS: Readonly<Record<string, string | undefined>> = Object.freeze({});

type Settle = (response: TransportResponse) => void;
type Fail = (error: unknown) => void;

/**
 * One call's undici handler: collects the answer into a BoundedBody and settles the call's promise
 * once. Aborting through undici's controller destroys the socket, so a cancelled or capped call
 * never leaves an unread body on a connection the pool would reuse.
 */
class AnswerCollector implements Dispatcher.DispatchHandler {
  private controller: Dispatcher.DispatchController | undefined;
  /** Why the call was cancelled, kept for a request undici has not started yet. */
  private cancelReason: Error | undefined;
  private settled = false;
  private status = 0;
  private headers = NO_HEADERS;
  private body: BoundedBody | undefined;

  constructor(private readonly maxResponseBytes: number, private readonly resolve: Settle, private readonly reject: Fail) {}

  /** Called by the call budget (timer or caller's signal): fails the call now and aborts its request. */
  cancel(): void {
    if (this.settled) return;
    const reason = new Error('the call was cancelled');
    this.cancelReason = reason;
    this.fail(reason);
    // A request still queued or connecting has no controller yet: onRequestStart aborts it.
    this.controller?.abort(reason);
  }

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.controller = controller;
    if (this.cancelReason !== undefined) controller.abort(this.cancelReason);
  }

  onResponseStart(_controller: Dispatcher.DispatchController, statusCode: number, headers: Record<string, string | string[] | undefined>): void {
    if (statusCode < FIRST_FINAL_STATUS) return;
    this.status = statusCode;
    this.headers = flattenHeaders(headers);
    this.body = new BoundedBody(statusCode, this.maxResponseBytes);
  }

  onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    if (this.body === undefined || this.body.add(chunk)) return;
    // Past the cap: settle with what the cap allows (too_large, or an error body cut short), then
    // abort, which destroys the socket and ends the read. The abort's onResponseError finds the call settled.
    this.finish();
    controller.abort(new Error('the answer passed its cap'));
  }

  onResponseEnd(): void {
    this.finish();
  }

  onResponseError(_controller: Dispatcher.DispatchController | undefined, error: Error): void {
    this.fail(error);
  }

  private finish(): void {
    if (this.settled) return;
    this.settled = true;
    const body = this.body ?? new BoundedBody(this.status, this.maxResponseBytes);
    const failure = body.failure();
    if (failure !== undefined) this.reject(failure);
    else this.resolve({ status: this.status, headers: this.headers, body: body.text() });
  }

  private fail(error: unknown): void {
    if (this.settled) return;
    this.settled = true;
    this.reject(error);
  }
}

/**
 * Creates an HttpTransport over one undici Agent (a keep-alive pool per origin). Each call runs
 * under withinCallBudget; `close()` destroys the agent and whatever calls it still holds.
 */
export function createUndiciTransport(options: UndiciTransportOptions): HttpTransport {
  const agent = new Agent({
    connections: options.connectionsPerOrigin,
    keepAliveTimeout: options.keepAliveTimeoutMs ?? DEFAULT_KEEP_ALIVE_MS,
    connect: { timeout: options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS },
    // Our own per-call timer (below) is the one that counts.
    headersTimeout: 0,
    bodyTimeout: 0,
  });
  // Backend URLs come from configuration, never from clients: a handful, parsed once each.
  const targets = new Map<string, { origin: string; path: string }>();
  const targetOf = (url: string): { origin: string; path: string } => {
    let target = targets.get(url);
    if (target === undefined) {
      const parsed = new URL(url);
      target = { origin: parsed.origin, path: `${parsed.pathname}${parsed.search}` };
      targets.set(url, target);
    }
    return target;
  };

  function request(req: TransportRequest): Promise<TransportResponse> {
    const { origin, path } = targetOf(req.url);
    // No AbortController per call (Node 20 makes every AbortSignal transferable, which is costly):
    // the handler's own controller cancels, and the budget's timer is exact where undici's
    // timeouts run on a coarse shared clock.
    let collector: AnswerCollector | undefined;
    return withinCallBudget(req, () => collector?.cancel(), () => new Promise<TransportResponse>((resolve, reject) => {
      collector = new AnswerCollector(req.maxResponseBytes, resolve, reject);
      // false only says the pool is busy; the call is queued all the same.
      agent.dispatch({ origin, path, method: req.method, headers: req.headers, body: req.body }, collector);
    }));
  }

  return {
    request,
    // Called once the server has drained: any call still open belongs to no waiting client.
    close: () => agent.destroy(),
  };
}

/**
 * Joins repeated headers (`set-cookie`) as fetch joins them. undici has already lower-cased the
 * names, and built this object for this call alone, so it is flattened in place.
 */
function flattenHeaders(headers: Record<string, string | string[] | undefined>): Record<string, string | undefined> {
  for (const name in headers) {
    const value = headers[name];
    if (Array.isArray(value)) headers[name] = value.join(', ');
  }
  return headers as Record<string, string | undefined>;
}
