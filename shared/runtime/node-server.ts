/**
 * Serves the app from a Node HTTP server, with the graceful shutdown Cloud Run and Fargate expect:
 * on SIGTERM stop accepting, let in-flight requests finish within a grace period, then close. Its
 * sockets are bounded: a connection cap (MAX_CONNECTIONS) and an idle keep-alive timeout
 * (CLIENT_IDLE_TIMEOUT_MS), so held connections cannot use up the file descriptors. The common
 * embed requests go through the app's fast lane (shared/http/embed-fast-lane.ts), everything else
 * through Hono's Node adapter.
 */
import type { AddressInfo, Socket } from 'node:net';
import { createServer, type IncomingMessage, type RequestListener, type Server, type ServerOptions } from 'node:http';
import type { Http2ServerRequest } from 'node:http2';
import { type Http2Bindings, type HttpBindings, serve } from '@hono/node-server';
import { SERVER_DEFAULTS } from '../config/server-config';
import { ClientSignal } from './client-signal';
import type { EmbedFastLane } from '../http/embed-fast-lane';
import type { Logger } from '../logger';

export interface NodeServerOptions {
  readonly host: string;
  readonly port: number;
  /** How long shutdown waits for in-flight requests before cutting connections. */
  readonly shutdownGraceMs: number;
  readonly logger: Logger;
  /** Time a client has to send its whole request, headers and body (CLIENT_BODY_TIMEOUT_MS). */
  readonly requestTimeoutMs?: number;
  /** Client connections held at once (MAX_CONNECTIONS); a new one beyond it is closed at once. `0`: no cap. */
  readonly maxConnections?: number;
  /** How long a keep-alive connection may idle between requests (CLIENT_IDLE_TIMEOUT_MS). */
  readonly idleTimeoutMs?: number;
}

export interface RunningServer {
  /** `http://host:port`, with the real port when 0 was asked for. */
  readonly url: string;
  readonly port: number;
  /** Requests being served right now. */
  inFlight(): number;
  /** Stops accepting, drains in-flight requests within the grace period, then closes. Idempotent. */
  shutdown(): Promise<void>;
}

// Slowloris guard: a client has this long to send its headers.
const HEADERS_TIMEOUT_MS = 10_000;
// Node's default (300 s) would let a client trickling its body hold a socket for minutes.
const REQUEST_TIMEOUT_MS = 30_000;
// Node checks those timeouts on this interval (30 s by default), so a cut-off comes this late at most.
const MAX_TIMEOUT_CHECK_INTERVAL_MS = 1_000;
const TIMEOUT_CHECKS_PER_TIMEOUT = 4;
// Under a held-connection attack every refused socket is a drop: one line per interval, with the count.
const REFUSED_LOG_INTERVAL_MS = 10_000;

/**
 * Whether Node cut this request off at `requestTimeout` (CLIENT_BODY_TIMEOUT_MS): it then writes
 * its own 408, closes the socket and leaves the reason on it, while the request's body only
 * reports "aborted", as for a client that left.
 */
function wasCutOff(incoming: IncomingMessage | Http2ServerRequest): boolean {
  const socket: Socket | undefined = incoming.socket;
  return (socket?.errored as NodeJS.ErrnoException | null | undefined)?.code === 'ERR_HTTP_REQUEST_TIMEOUT';
}

/** Logs refused connections at most once per interval, with how many since the last line. */
function logRefusals(server: Server, maxConnections: number, logger: Logger): void {
  let refused = 0;
  let lastLoggedAt = -Infinity;
  server.on('drop', () => {
    refused++;
    const now = Date.now();
    if (now - lastLoggedAt < REFUSED_LOG_INTERVAL_MS) return;
    logger.warn('connections_refused', { refused, maxConnections });
    lastLoggedAt = now;
    refused = 0;
  });
}

/**
 * A request's env: Hono's Node bindings (`incoming`, `outgoing`) and the ConnectionFacts the app
 * (and the embed fast lane) reads, as one object with methods rather than a spread copy and
 * closures per request.
 */
class NodeConnection {
  readonly incoming: HttpBindings['incoming'] | Http2Bindings['incoming'];
  readonly outgoing: HttpBindings['outgoing'] | Http2Bindings['outgoing'];
  private signal: ClientSignal | undefined;

  constructor(env: HttpBindings | Http2Bindings) {
    this.incoming = env.incoming;
    this.outgoing = env.outgoing;
  }

  clientTimedOut(): boolean {
    return wasCutOff(this.incoming);
  }

  clientSignal(): ClientSignal {
    return (this.signal ??= new ClientSignal(this.outgoing));
  }
}

/** What the server needs of the app: Hono's fetch, with the Node request/response as its env. */
export interface FetchApp {
  fetch(request: Request, env: unknown): Response | Promise<Response>;
  /** Serves the common embed requests from Node's request and response directly (createApp's). */
  readonly embedFastLane?: EmbedFastLane;
}


export async function startNodeServer(app: FetchApp, options: NodeServerOptions): Promise<RunningServer> {
  let inFlight = 0;
  let draining = false;
  let shutdownPromise: Promise<void> | undefined;

  // Count requests, and ask clients to close their connection once we are draining.
  const fetch = async (request: Request, env: HttpBindings | Http2Bindings): Promise<Response> => {
    inFlight++;
    try {
      const response = await app.fetch(request, new NodeConnection(env));
      if (draining) response.headers.set('connection', 'close');
      return response;
    } finally {
      inFlight--;
    }
  };

  // The fast lane takes the embed requests it can; every other request goes to Hono's listener.
  const lane = app.embedFastLane;
  const createLaneServer = (serverOptions: ServerOptions, appListener: RequestListener): Server =>
    createServer(serverOptions, (incoming, outgoing) => {
      if (lane !== undefined) {
        if (draining) outgoing.setHeader('connection', 'close');
        const served = lane.serve(incoming, outgoing, new NodeConnection({ incoming, outgoing }));
        if (served !== undefined) {
          inFlight++;
          void served.finally(() => inFlight--);
          return;
        }
      }
      void appListener(incoming, outgoing);
    });

  const requestTimeout = options.requestTimeoutMs ?? REQUEST_TIMEOUT_MS;
  // Node refuses a headers timeout longer than the whole request's.
  const headersTimeout = Math.min(HEADERS_TIMEOUT_MS, requestTimeout);
  const serverOptions = {
    requestTimeout,
    headersTimeout,
    connectionsCheckingInterval: Math.min(MAX_TIMEOUT_CHECK_INTERVAL_MS, Math.ceil(requestTimeout / TIMEOUT_CHECKS_PER_TIMEOUT)),
  };
  const server = await new Promise<Server>((resolve, reject) => {
    const created = serve({ fetch, hostname: options.host, port: options.port, serverOptions, createServer: createLaneServer as typeof createServer }, () => resolve(created)) as Server;
    created.once('error', reject);
  });
  server.headersTimeout = headersTimeout;
  // Counts from the end of a response to the next request's first byte (Node closes 1 s after it,
  // past the `Keep-Alive: timeout` it advertises, so polite clients leave first). A request once
  // started is bounded by headersTimeout and requestTimeout instead, and a new connection that
  // sends nothing by headersTimeout, so every socket has exactly one clock running.
  server.keepAliveTimeout = options.idleTimeoutMs ?? SERVER_DEFAULTS.clientIdleTimeoutMs;
  const maxConnections = options.maxConnections ?? SERVER_DEFAULTS.maxConnections;
  // Node closes a connection beyond the cap as soon as it is accepted, before any parser or
  // buffer exists for it, so a refusal is cheap and quick; established connections are untouched.
  if (maxConnections > 0) {
    server.maxConnections = maxConnections;
    logRefusals(server, maxConnections, options.logger);
  }

  const address = server.address() as AddressInfo;
  const displayHost = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  const url = `http://${displayHost === '0.0.0.0' ? '127.0.0.1' : displayHost}:${address.port}`;

  function shutdown(): Promise<void> {
    shutdownPromise ??= new Promise<void>((resolve) => {
      draining = true;
      options.logger.info('shutdown_started', { inFlight, graceMs: options.shutdownGraceMs });
      const closed = new Promise<void>((done) => server.close(() => done()));
      server.closeIdleConnections();
      // Keep-alive sockets that finish a request while we drain become idle: close them too.
      const sweep = setInterval(() => server.closeIdleConnections(), 100);
      const grace = setTimeout(() => {
        options.logger.warn('shutdown_grace_expired', { inFlight });
        server.closeAllConnections();
      }, options.shutdownGraceMs);
      void closed.then(() => {
        clearInterval(sweep);
        clearTimeout(grace);
        options.logger.info('shutdown_complete', {});
        resolve();
      });
    });
    return shutdownPromise;
  }

  return { url, port: address.port, inFlight: () => inFlight, shutdown };
}
