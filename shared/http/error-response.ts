/**
 * The one place errors become HTTP responses, each in its route's dialect. A FrontDoorError keeps
 * its status and message; anything else is a bug, logged with its stack and answered with a
 * generic 500 that never leaks internals.
 */
import { HTTPException } from 'hono/http-exception';
import { Dialect } from '../dialects/dialect';
import { djlErrorBody } from '../dialects/djl';
import { openAiErrorBody } from '../dialects/openai';
import { teiErrorBody, teiStatus } from '../dialects/tei';
import { ErrorCode, FrontDoorError, isFrontDoorError } from '../errors';
import type { Logger } from '../logger';

const ERROR_BODIES = {
  [Dialect.openai]: openAiErrorBody,
  [Dialect.tei]: teiErrorBody,
  [Dialect.djl]: djlErrorBody,
} as const satisfies Record<Dialect, (error: FrontDoorError) => unknown>;

/** The challenge a 401 carries (RFC 6750). */
export const WWW_AUTHENTICATE = 'Bearer realm="embed-front-door"';

/** Picks the dialect of a path, for errors raised before or outside a route (404, 405, 413). */
export function dialectForPath(path: string): Dialect {
  if (path.startsWith('/v1/')) return Dialect.openai;
  if (/^\/(predictions|invocations|models|ping)(\/|$)/.test(path)) return Dialect.djl;
  return Dialect.tei;
}

/** Normalises anything thrown into a FrontDoorError. */
export function toFrontDoorError(error: unknown, logger: Logger, requestId: string | undefined): FrontDoorError {
  if (isFrontDoorError(error)) return error;
  if (error instanceof HTTPException && error.status < 500) {
    return new FrontDoorError(error.status, ErrorCode.invalidRequest, error.message || 'bad request');
  }
  logger.error('unexpected_error', {
    requestId,
    error: error instanceof Error ? { name: error.name, message: error.message, stack: error.stack } : String(error),
  });
  return new FrontDoorError(500, ErrorCode.internal, 'internal error; the request id in x-request-id identifies it in the logs');
}

export function errorResponse(error: FrontDoorError, dialect: Dialect, headers: Record<string, string> = {}): Response {
  const status = dialect === Dialect.tei ? teiStatus(error) : error.status;
  const responseHeaders: Record<string, string> = { 'content-type': 'application/json', ...headers };
  if (error.retryAfterSeconds !== undefined) responseHeaders['retry-after'] = String(Math.max(1, Math.ceil(error.retryAfterSeconds)));
  // RFC 6750: a 401 names the scheme the client should use (the key may also come in api-key).
  if (error.code === ErrorCode.unauthorized) responseHeaders['www-authenticate'] = WWW_AUTHENTICATE;
  return new Response(JSON.stringify(ERROR_BODIES[dialect](error)), { status, headers: responseHeaders });
}
