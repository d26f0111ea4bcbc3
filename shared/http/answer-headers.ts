/**
 * Embed answers carry their headers as one plain object, written once: the request id, the
 * security headers, `cache-control`, the content type and the tier and timing headers. Built the
 * usual way (Hono's `c.header()`, then secureHeaders and `cache-control` set on the finished
 * response) each answer got a web Headers object and about thirty validated set/has calls, which
 * @hono/node-server then copied back into a plain object for `writeHead`; a plain object goes to
 * `writeHead` as it is. The security headers are read once, from the same secureHeaders
 * middleware every other route goes through, so both paths send the same values.
 */
import type { Context, MiddlewareHandler } from 'hono';
import type { EmbedResult } from '../embed/embedder';
import type { AppEnv } from './app-env';
import { CACHE_HEADER, OVERFLOW_HEADER, serverTimingValue, TIER_HEADER } from './request-telemetry';

/** The request id header, as hono/request-id names it. */
export const REQUEST_ID_HEADER = 'x-request-id';
/** Every route's answers are uncacheable: they are per-client computations. */
export const NO_STORE = 'no-store';

/** The answers built here, whose headers are complete: later middleware leaves them alone. */
const complete = new WeakSet<Response>();

/** True for an answer built by {@link AnswerHeaders.answer}, whose headers are final. */
export const hasCompleteHeaders = (response: Response): boolean => complete.has(response);

/**
 * Runs a header-setting middleware (secureHeaders) once on a throwaway response and returns what
 * it set, lower-cased as Headers spells them. The response's headers are a Map standing in for
 * Headers: the first use of Node's web classes costs about 20 ms, which Lambda's import must not
 * pay (decision 0005).
 */
async function headersSetBy(middleware: MiddlewareHandler<AppEnv>): Promise<Readonly<Record<string, string>>> {
  const set = new Map<string, string>();
  const headers = {
    has: (name: string): boolean => set.has(name.toLowerCase()),
    get: (name: string): string | null => set.get(name.toLowerCase()) ?? null,
    set: (name: string, value: string): void => void set.set(name.toLowerCase(), value),
    delete: (name: string): void => void set.delete(name.toLowerCase()),
  };
  const probe = { res: { headers }, req: { header: () => undefined }, get: () => undefined, set: () => undefined };
  await middleware(probe as unknown as Parameters<MiddlewareHandler<AppEnv>>[0], async () => {});
  return Object.freeze(Object.fromEntries(set));
}

export class AnswerHeaders {
  /** The security headers, once read (a microtask after start-up, before any request can arrive). */
  private security: Readonly<Record<string, string>> | undefined;

  constructor(securityHeaders: MiddlewareHandler<AppEnv>) {
    void headersSetBy(securityHeaders).then((headers) => {
      this.security = headers;
    });
  }

  /**
   * Every header of a 200 JSON answer, as one plain object; undefined until the security headers
   * are known (a microtask after start-up). `startedAt` and `now` are monotonic milliseconds.
   */
  headers(requestId: string, result: EmbedResult, startedAt: number | undefined, now: number): Record<string, string> | undefined {
    const security = this.security;
    if (security === undefined) return undefined;
    return this.build(security, requestId, result, startedAt, now);
  }

  /** A 200 JSON answer with every header it will carry; Hono's own path until the security headers are known. */
  answer(c: Context<AppEnv>, body: string, result: EmbedResult, now: number): Response {
    const security = this.security;
    const headers = this.build(security, c.get('requestId'), result, c.get('startedAt'), now);
    if (security === undefined) return c.body(body, 200, headers);
    const response = new Response(body, { status: 200, headers });
    complete.add(response);
    return response;
  }

  private build(
    security: Readonly<Record<string, string>> | undefined, requestId: string, result: EmbedResult, startedAt: number | undefined, now: number,
  ): Record<string, string> {
    const headers: Record<string, string> = {
      ...security,
      'cache-control': NO_STORE,
      'content-type': 'application/json',
      [REQUEST_ID_HEADER]: requestId,
      'server-timing': serverTimingValue(startedAt, result, now),
    };
    if (result.tier !== undefined) headers[TIER_HEADER] = result.tier;
    if (result.cache !== undefined) headers[CACHE_HEADER] = result.cache;
    if (result.overflowReason !== undefined) headers[OVERFLOW_HEADER] = result.overflowReason;
    return headers;
  }

  /** The security headers every other answer gets (secureHeaders' own), once known. */
  get securityHeaders(): Readonly<Record<string, string>> | undefined {
    return this.security;
  }
}

/** Matches hono/request-id: an id a client may choose (word characters, `-` and `=`). */
const SAFE_REQUEST_ID = /[^\w\-=]/;

/** hono/request-id's choice: the client's id when safe and short enough, else a random UUID. */
export function chooseRequestId(given: string | undefined, maxLength: number): string {
  return given === undefined || given === '' || given.length > maxLength || SAFE_REQUEST_ID.test(given) ? crypto.randomUUID() : given;
}

/**
 * hono/request-id's behaviour, with the header added after the route rather than through Hono's
 * prepared Headers, so an answer with complete headers needs none.
 */
export function requestIdMiddleware(maxLength: number): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const id = chooseRequestId(c.req.header(REQUEST_ID_HEADER), maxLength);
    c.set('requestId', id);
    await next();
    if (!hasCompleteHeaders(c.res)) c.res.headers.set(REQUEST_ID_HEADER, id);
  };
}
