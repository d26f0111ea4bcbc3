/**
 * The Node server's fast lane for embed requests: the common embed request (POST to
 * /v1/embeddings, /embed or /predictions/{model}, a small body of known length, no CORS) is served
 * straight from Node's request and response, without Hono's web Request, middleware chain and
 * Response. It runs the same steps as the Hono routes, in the same order and from the same code:
 * the Host or API-key guard, the body's type and size checks, the body and answer budgets, the
 * embed service, the answer's headers, the error bodies, the metrics and the access log. Anything
 * else (another route or method, a chunked or large body, CORS) is left to the app untouched: the
 * lane decides from the request line and headers alone, before reading a byte of the body.
 *
 * Measured by `npm run bench -- --cpu-prof` (docs/benchmarks.md): the framework's share of the
 * front door's CPU per one-text request was its largest after the socket writes.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Dialect } from '../dialects/dialect';
import type { CancelSignal, EmbedResult } from '../embed/embedder';
import type { KeyCaller } from '../security/key-guard';
import type { BodyLease } from '../security/body-budget';
import type { Logger } from '../logger';
import { BodyKind, checkBodyHeaders } from './accept-body';
import { chooseRequestId, NO_STORE, REQUEST_ID_HEADER } from './answer-headers';
import type { SecurityLayer } from './apply-security';
import type { EmbedAnswer, EmbedCall, EmbedService } from './embed-service';
import { errorResponse, toFrontDoorError } from './error-response';
import { clientGone, ONE_STEP_BODY_BYTES } from './read-body';
import { reportRequest, type RequestTelemetryOptions } from './request-telemetry';

/** What the lane needs of the Node server about one connection. */
export interface LaneConnection {
  /** True once Node cut the client off for not sending its request within CLIENT_BODY_TIMEOUT_MS. */
  clientTimedOut(): boolean;
  /** Aborted when the client leaves before its answer. */
  clientSignal(): CancelSignal;
}

export interface EmbedFastLane {
  /**
   * Serves `req` when it is an embed request the lane takes, resolving once answered (never
   * rejecting); undefined, having read and written nothing, when the app must serve it.
   */
  serve(req: IncomingMessage, res: ServerResponse, connection: LaneConnection): Promise<void> | undefined;
}

export interface FastLaneParts {
  readonly service: EmbedService;
  readonly security: SecurityLayer;
  readonly telemetry: RequestTelemetryOptions;
  readonly logger: Logger;
  readonly maxRequestIdLength: number;
}

interface LaneRoute {
  /** The route pattern, as metrics and the access log name it. */
  readonly pattern: string;
  readonly dialect: Dialect;
  readonly kind: BodyKind;
}

const OPENAI: LaneRoute = { pattern: '/v1/embeddings', dialect: Dialect.openai, kind: BodyKind.json };
const TEI: LaneRoute = { pattern: '/embed', dialect: Dialect.tei, kind: BodyKind.json };
const DJL: LaneRoute = { pattern: '/predictions/:model', dialect: Dialect.djl, kind: BodyKind.jsonOrText };
const PREDICTIONS = '/predictions/';
/**
 * A model name the lane reads as Hono would: one path segment needing no decoding and no
 * normalising (no `%`, and not `.` or `..`). Any other is left to the app.
 */
const PLAIN_MODEL = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,255}$/;

function routeOf(url: string): { route: LaneRoute; model: string | undefined } | undefined {
  if (url === OPENAI.pattern) return { route: OPENAI, model: undefined };
  if (url === TEI.pattern) return { route: TEI, model: undefined };
  if (url.startsWith(PREDICTIONS)) {
    const model = url.slice(PREDICTIONS.length);
    if (PLAIN_MODEL.test(model)) return { route: DJL, model };
  }
  return undefined;
}

const isHttpWhitespace = (code: number): boolean => code === 9 || code === 10 || code === 13 || code === 32;

function trimHttpWhitespace(value: string): string {
  let start = 0;
  let end = value.length;
  while (start < end && isHttpWhitespace(value.charCodeAt(start))) start++;
  while (end > start && isHttpWhitespace(value.charCodeAt(end - 1))) end--;
  return start === 0 && end === value.length ? value : value.slice(start, end);
}

/**
 * A header as the web Headers API reads it (what the Hono routes see): every field of that name,
 * trimmed, joined with ", ". Node's own `req.headers` keeps only the first of some repeated fields
 * (Authorization, Content-Type, Host), so it is read from the raw list.
 */
function headerOf(rawHeaders: readonly string[], name: string): string | undefined {
  let value: string | undefined;
  for (let index = 0; index < rawHeaders.length; index += 2) {
    const rawName = rawHeaders[index] as string;
    if (rawName.length !== name.length || rawName.toLowerCase() !== name) continue;
    const field = trimHttpWhitespace(rawHeaders[index + 1] as string);
    value = value === undefined ? field : `${value}, ${field}`;
  }
  return value;
}

/**
 * Bodies are decoded as `Request.text()` does: UTF-8, a leading BOM dropped, bad bytes replaced.
 * Made at the first body, so the Lambda import (which builds the app, lane included) does not pay.
 */
let utf8: InstanceType<typeof TextDecoder> | undefined;

/** Reads a small body of known length; rejects when the client leaves (or is cut off) before its end. */
function readSmallBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer): void => {
      chunks.push(chunk);
      size += chunk.length;
    };
    const onEnd = (): void => {
      done();
      resolve((utf8 ??= new TextDecoder()).decode(chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, size)));
    };
    const onGone = (error?: Error): void => {
      done();
      reject(error ?? Object.assign(new Error('aborted'), { code: 'ECONNRESET' }));
    };
    const onClose = (): void => {
      if (!req.complete) onGone();
    };
    const done = (): void => {
      req.off('data', onData).off('end', onEnd).off('error', onGone).off('close', onClose);
    };
    req.on('data', onData).once('end', onEnd).once('error', onGone).once('close', onClose);
  });
}

/** One embed request in the lane: the service's view of it, and what the access log reports. */
class LaneCall implements EmbedCall {
  items = 0;
  caller: KeyCaller | undefined;
  readonly answerLease: BodyLease;
  private readonly bodyLease: BodyLease;

  constructor(
    private readonly req: IncomingMessage,
    private readonly connection: LaneConnection,
    readonly requestId: string,
    private readonly service: EmbedService,
  ) {
    this.answerLease = service.answers.lease();
    this.bodyLease = service.bodies.lease();
  }

  header(name: string): string | undefined {
    return headerOf(this.req.rawHeaders, name);
  }

  get signal(): CancelSignal {
    return this.connection.clientSignal();
  }

  /** Reserves the body's length against both limits (413, 429), as the app's body limit does. */
  admitBody(bytes: number): void {
    this.service.admitBody(this.bodyLease, bytes);
  }

  async readBody(): Promise<string> {
    try {
      return await readSmallBody(this.req);
    } catch (error) {
      throw clientGone(this.connection.clientTimedOut(), error, 'body');
    } finally {
      this.bodyLease.release();
    }
  }

  parsed(items: number): void {
    this.items = items;
  }

  /** Returns both leases; safe to call more than once. */
  release(): void {
    this.bodyLease.release();
    this.answerLease.release();
  }
}

/** Builds the lane over the app's own parts (create-app.ts). */
export function createEmbedFastLane(parts: FastLaneParts): EmbedFastLane {
  const { service, security, telemetry, logger } = parts;
  const now = telemetry.now;

  function embed(call: LaneCall, route: LaneRoute, model: string | undefined): Promise<EmbedAnswer> {
    if (route === OPENAI) return service.openai(call);
    if (route === TEI) return service.tei(call);
    return service.djl(call, model);
  }

  /** The error answer the app would give: its dialect's body, then the security layer's headers. */
  async function writeError(res: ServerResponse, error: unknown, call: LaneCall, route: LaneRoute, path: string): Promise<number> {
    const failure = toFrontDoorError(error, logger, call.requestId);
    if (!failure.isClientError) {
      logger.warn('request_failed', { requestId: call.requestId, path, status: failure.status, code: failure.code, message: failure.message });
    }
    const response = errorResponse(failure, route.dialect, { [REQUEST_ID_HEADER]: call.requestId });
    const headers: Record<string, string> = {};
    response.headers.forEach((value, name) => {
      headers[name] = value;
    });
    for (const [name, value] of Object.entries(security.answerHeaders.securityHeaders ?? {})) headers[name] ??= value;
    headers['cache-control'] = NO_STORE;
    const body = await response.text();
    headers['content-length'] = String(Buffer.byteLength(body));
    if (!res.headersSent && !res.destroyed) res.writeHead(response.status, headers).end(body);
    return response.status;
  }

  async function run(req: IncomingMessage, res: ServerResponse, connection: LaneConnection, route: LaneRoute, model: string | undefined,
    bytes: number, path: string): Promise<void> {
    telemetry.coldStart?.onRequest();
    const startedAt = now();
    const call = new LaneCall(req, connection, chooseRequestId(headerOf(req.rawHeaders, REQUEST_ID_HEADER), parts.maxRequestIdLength), service);
    let status = 200;
    let result: EmbedResult | undefined;
    try {
      const header = (name: string): string | undefined => call.header(name);
      call.caller = security.admitKeyed(header);
      checkBodyHeaders(route.kind, header);
      call.admitBody(bytes);
      const answer = await embed(call, route, model);
      result = answer.result;
      const headers = security.answerHeaders.headers(call.requestId, result, startedAt, now()) as Record<string, string>;
      headers['content-length'] = String(Buffer.byteLength(answer.body));
      if (!res.destroyed) res.writeHead(200, headers).end(answer.body);
    } catch (error) {
      status = await writeError(res, error, call, route, path);
    } finally {
      call.release();
    }
    reportRequest(telemetry, { requestId: call.requestId, method: 'POST', route: route.pattern, status, result, items: call.items, durationMs: now() - startedAt });
  }

  return {
    serve(req, res, connection) {
      if (req.method !== 'POST' || security.crossOrigin) return undefined;
      const url = req.url;
      const matched = url === undefined ? undefined : routeOf(url);
      if (matched === undefined || url === undefined) return undefined;
      // A small body of known length only: a chunked or large one is counted and decoded as it
      // streams (limit-body.ts, read-body.ts), which the app does.
      const length = req.headers['content-length'];
      if (length === undefined || req.headers['transfer-encoding'] !== undefined) return undefined;
      const bytes = Number(length);
      if (!(bytes <= ONE_STEP_BODY_BYTES)) return undefined;
      // Known a microtask after start-up; until then the app answers.
      if (security.answerHeaders.securityHeaders === undefined) return undefined;
      return run(req, res, connection, matched.route, matched.model, bytes, url).catch((error: unknown) => {
        // Nothing above throws past its own catch; if it ever does, the socket must not hang.
        logger.error('unexpected_error', {
          error: error instanceof Error ? { name: error.name, message: error.message, stack: error.stack } : String(error),
        });
        if (!res.headersSent) res.writeHead(500).end();
      });
    },
  };
}
