/**
 * The request body limit, checked before any byte of the body is read. With a Content-Length (what
 * the openai SDK, curl and DJL clients send) the header decides at once, and the body is then
 * read by the runtime's fast path; only a chunked body of unknown length goes through Hono's
 * bodyLimit, which counts it while it streams. (Hono's middleware alone would build a full web
 * Request for every request on Node, about a tenth of the front door's CPU per request.)
 */
import type { MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';

export function limitBody(maxBytes: number, tooLarge: () => never): MiddlewareHandler {
  const streaming = bodyLimit({ maxSize: maxBytes, onError: tooLarge });
  return async (c, next) => {
    const length = c.req.header('content-length');
    if (length !== undefined && c.req.header('transfer-encoding') === undefined) {
      if (Number(length) > maxBytes) tooLarge();
      await next();
      return;
    }
    return streaming(c, next);
  };
}
