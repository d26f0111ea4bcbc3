/**
 * Reads a request body as text. A body that stops arriving is the client's doing, not a bug:
 * a client cut off by CLIENT_BODY_TIMEOUT_MS is a 408 (the Node server has already written its
 * own 408 and closed the socket), one that closed its connection mid-body a 499. Neither answer
 * reaches anybody; they exist so the access log and the request metrics count a 4xx.
 */
import type { Context } from 'hono';
import { ErrorCode, FrontDoorError, isFrontDoorError } from '../errors';
import type { AppEnv } from './app-env';

/** nginx's "client closed request": the client left before its answer; never a server error. */
export const CLIENT_CLOSED_STATUS = 499;

/**
 * The error for a client that left (or was cut off, `timedOut`) before its request was read or
 * answered.
 */
export function clientGone(timedOut: boolean, cause: unknown, phase: 'body' | 'answer'): FrontDoorError {
  if (phase === 'body' && timedOut) {
    return new FrontDoorError(408, ErrorCode.clientTimeout,
      'the request body did not arrive within CLIENT_BODY_TIMEOUT_MS: send it faster, or in smaller requests', { cause });
  }
  return new FrontDoorError(CLIENT_CLOSED_STATUS, ErrorCode.clientClosed,
    phase === 'body' ? 'the client closed the connection before sending its whole body'
      : 'the client closed the connection before its answer was ready', { cause });
}

/** {@link clientGone} for a Hono request, asking the runtime whether it cut the client off. */
export function clientGoneError(c: Context<AppEnv>, cause: unknown, phase: 'body' | 'answer'): FrontDoorError {
  return clientGone(phase === 'body' && c.env?.clientTimedOut?.() === true, cause, phase);
}

/**
 * Node fails a request's body with `ECONNRESET` ("aborted") when its socket closes early, whether
 * the client left or the server cut it off; anything else thrown while reading is a bug.
 */
const isConnectionLoss = (c: Context<AppEnv>, error: unknown): boolean =>
  c.req.raw.signal.aborted || (error as { code?: unknown } | null)?.code === 'ECONNRESET';

/** What a failed body read means: a body limit's refusal passes through, a client gone mid-body is 408 or 499. */
export function readFailure(c: Context<AppEnv>, error: unknown): unknown {
  if (isFrontDoorError(error) || !isConnectionLoss(c, error)) return error;
  return clientGoneError(c, error, 'body');
}

/**
 * Bodies up to this size are decoded in one step: about 0.1 ms for 64 KiB, far below what would
 * hold other sockets (a 6 MB body took 30-40 ms).
 */
export const ONE_STEP_BODY_BYTES = 64 * 1024;

/**
 * The body decoded chunk by chunk as it arrives, so that a 6 MB body costs the event loop many
 * short steps instead of one 30-40 ms decode (eight of those at once held /ping for 0.4 s in
 * bench:hostile (d)). Decodes exactly as `Request.text()` does: UTF-8, a leading BOM dropped,
 * malformed bytes replaced.
 */
export async function decodeByChunks(request: Request): Promise<string> {
  if (request.body === null) return '';
  const reader = request.body.getReader() as ReadableStreamDefaultReader<Uint8Array>;
  const decoder = new TextDecoder();
  const parts: string[] = [];
  let read = await reader.read();
  while (!read.done) {
    parts.push(decoder.decode(read.value, { stream: true }));
    read = await reader.read();
    // Between chunks already buffered, let timers and other sockets run (a one-chunk body never waits).
    if (!read.done) await new Promise<void>((resolve) => setImmediate(resolve));
  }
  parts.push(decoder.decode());
  return parts.join('');
}

/**
 * The body as text; a body limit's refusal passes through, a client gone mid-body becomes 408 or
 * 499. The body's share of MAX_INFLIGHT_BODY_BYTES is returned once it is read, however that
 * ends: the route parses it in the same turn of the event loop, before another body's bytes can
 * arrive. It is read from the raw request, not Hono's caching `c.req.text()`, so the string is
 * not kept for the whole request once the texts are parsed out of it.
 */
export async function readBodyText(c: Context<AppEnv>): Promise<string> {
  try {
    // A small body of known length decodes in one short step: read it through the runtime's own
    // `text()`, which on the Node server reads the socket directly instead of building a web
    // Request and its stream (about a fifth of the front door's CPU per one-text request).
    const length = c.req.header('content-length');
    if (length !== undefined && Number(length) <= ONE_STEP_BODY_BYTES && c.req.header('transfer-encoding') === undefined) {
      return await c.req.raw.text();
    }
    return await decodeByChunks(c.req.raw);
  } catch (error) {
    throw readFailure(c, error);
  } finally {
    c.get('bodyLease')?.release();
  }
}
