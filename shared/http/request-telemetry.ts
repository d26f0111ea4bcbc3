/**
 * Per-request reporting: tells the client which tier served it and where its time went
 * (`x-embed-tier`, `Server-Timing`), writes one structured access-log line, and reports the
 * request to the telemetry sink. Never texts, never keys; the route is its pattern, not the path.
 */
import type { Context, MiddlewareHandler } from 'hono';
import type { EmbedResult } from '../embed/embedder';
import { matchedRoutes } from 'hono/route';
import type { Logger } from '../logger';
import type { Telemetry } from '../telemetry/telemetry';
import type { AppEnv } from './app-env';
import { ROUTE_TABLE } from './routes';

export const TIER_HEADER = 'x-embed-tier';
/** How the embedding cache served the request: hit, partial, miss or bypass (absent without a cache). */
export const CACHE_HEADER = 'x-embed-cache';
/** Present when the GPU tier served instead of the CPU tier: why (see OverflowReason). */
export const OVERFLOW_HEADER = 'x-embed-overflow';
/** Route label for requests no route matched (keeps label cardinality bounded). */
const UNMATCHED_ROUTE = 'unmatched';
const ROUTE_PATHS: ReadonlySet<string> = new Set(ROUTE_TABLE.map((route) => route.path));

/**
 * The route pattern the request asked for (`/predictions/:model`), or `unmatched`. Read from every
 * pattern the router matched, not from the handler that answered: a request refused by a guard
 * (a wildcard middleware such as `/v1/*`) never reaches its route's handler, yet asked for it.
 */
function requestedRoute(c: Context<AppEnv>): string {
  for (const { path } of matchedRoutes(c)) if (ROUTE_PATHS.has(path)) return path;
  return UNMATCHED_ROUTE;
}

const roundMs = (ms: number): number => Math.round(ms * 10) / 10;

export interface RequestTelemetryOptions {
  readonly telemetry: Telemetry;
  readonly logger: Logger;
  /** Write the one-line-per-request access log. */
  readonly accessLog: boolean;
  readonly coldStart?: { onRequest(): void };
  /** Monotonic milliseconds, for durations. */
  readonly now: () => number;
}

/**
 * The Server-Timing value of an embed answer: queue, upstream and total milliseconds, the total
 * counted from `startedAt` (monotonic ms; undefined: now). The answer is built with all its headers
 * at once (answer-headers.ts): `c.header()` on a finished response makes Hono copy the whole Response.
 */
export function serverTimingValue(startedAt: number | undefined, result: EmbedResult, now: number): string {
  const totalMs = now - (startedAt ?? now);
  return `queue;dur=${roundMs(result.queueMs)}, upstream;dur=${roundMs(result.upstreamMs)}, total;dur=${roundMs(totalMs)}`;
}

/** One finished request, as the metrics and the access log see it. */
export interface RequestOutcome {
  readonly requestId: string | undefined;
  readonly method: string;
  /** The route pattern asked for, or `unmatched`. */
  readonly route: string;
  readonly status: number;
  readonly result: EmbedResult | undefined;
  readonly items: number;
  readonly durationMs: number;
}

/** Reports a finished request to the telemetry sink and, when on, the access log. */
export function reportRequest(options: RequestTelemetryOptions, outcome: RequestOutcome): void {
  const { route, method, status, result, items, durationMs } = outcome;
  options.telemetry.requestDone({ route, method, status, tier: result?.tier, durationMs, items, ...(result?.cache === undefined ? {} : { cache: result.cache }) });
  if (!options.accessLog) return;
  options.logger.info('request', {
    requestId: outcome.requestId,
    method,
    route,
    status,
    tier: result?.tier,
    overflow: result?.overflowReason,
    cache: result?.cache,
    items,
    upstreamCalls: result?.attempts,
    retries: result?.retries,
    queueMs: result === undefined ? undefined : roundMs(result.queueMs),
    upstreamMs: result === undefined ? undefined : roundMs(result.upstreamMs),
    latencyMs: roundMs(durationMs),
  });
}

export function requestTelemetry(options: RequestTelemetryOptions): MiddlewareHandler<AppEnv> {
  const { now } = options;
  return async (c, next) => {
    options.coldStart?.onRequest();
    const started = now();
    c.set('startedAt', started);
    await next();
    reportRequest(options, {
      requestId: c.get('requestId'),
      method: c.req.method,
      route: requestedRoute(c),
      status: c.res.status,
      result: c.get('embedResult'),
      items: c.get('items') ?? 0,
      durationMs: now() - started,
    });
  };
}
