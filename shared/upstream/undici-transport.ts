/**
 * HttpTransport over an undici Agent: one keep-alive pool per backend origin, for processes that
 * serve many requests (the Node server, Cloud Run, Fargate).
 */
import { EventEmitter } from 'node:events';
import { Agent } from 'undici';
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
    // undici takes an EventEmitter as its abort signal: much cheaper per call than an
    // AbortController (Node 20 makes every AbortSignal transferable), and the budget's own timer
    // is exact where undici's timeouts run on a coarse shared clock.
    const abort = new EventEmitter();
    return withinCallBudget(req, () => void abort.emit('abort'), async () => {
      const response = await agent.request({ origin, path, method: req.method, headers: req.headers, body: req.body, signal: abort });
      const body = new BoundedBody(response.statusCode, req.maxResponseBytes);
      for await (const chunk of response.body) {
        // Leaving the loop destroys the unfinished body, which aborts the request and closes its socket.
        if (!body.add(chunk as Buffer)) break;
      }
      return { status: response.statusCode, headers: flattenHeaders(response.headers), body: body.text() };
    });
  }

  return {
    request,
    // Called once the server has drained: any call still open belongs to no waiting client.
    close: () => agent.destroy(),
  };
}

function flattenHeaders(headers: Record<string, string | string[] | undefined>): Record<string, string | undefined> {
  const flat: Record<string, string | undefined> = {};
  for (const [name, value] of Object.entries(headers)) {
    flat[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : value;
  }
  return flat;
}
