/**
 * The app's security layer, registered once by createApp: security headers on every answer, CORS
 * only for configured origins, the API-key guard on every route but /ping and /health and, after
 * it, the operator guard on the operator routes (with no keys, the Host guard against DNS
 * rebinding on those same routes).
 */
import type { Hono } from 'hono';
import { cors } from 'hono/cors';
import { secureHeaders } from 'hono/secure-headers';
import { ANY_HOST, createHostCheck, createHostGuard } from '../security/host-guard';
import { createKeyCheck, createKeyGuard, createOperatorGuard, KEY_HEADERS, type KeyCaller } from '../security/key-guard';
import { REQUEST_TIMEOUT_HEADER } from './embed-service';
import { OVERFLOW_HEADER, CACHE_HEADER, TIER_HEADER } from './request-telemetry';
import type { AppContext, AppEnv } from './app-env';
import { AnswerHeaders, hasCompleteHeaders, NO_STORE } from './answer-headers';

/** Routes that always need a key when keys are configured (every path under them). */
export const KEYED_PATHS = ['/v1/*', '/embed', '/predictions/*', '/models/*', '/invocations', '/warmup'] as const;
/** Keyed routes that need an operator's key whatever PROTECT_OPERATOR_ROUTES says: the warm-up scales services. */
export const OPERATOR_ONLY_PATHS = ['/warmup'] as const;
/**
 * Operator routes, needing an operator's key unless PROTECT_OPERATOR_ROUTES=false (then open).
 * Not /status: that page is a shell holding no data, fetching /status.json with the key it is given.
 */
export const OPERATOR_PATHS = ['/info', '/metrics', '/status.json'] as const;

/** Preflight answers are cached by browsers this long. */
const CORS_MAX_AGE_S = 600;

/** What the routes registered after the security layer (and the Node server's fast lane) need of it. */
export interface SecurityLayer {
  /** The embed answers' header builder, which shares the layer's security headers. */
  readonly answerHeaders: AnswerHeaders;
  /** True when CORS is configured (CORS_ORIGINS): answers then carry per-request CORS headers. */
  readonly crossOrigin: boolean;
  /**
   * What the guards do on a keyed path (every embed route), in the same order: the caller of a
   * valid key (charged a request), undefined in open mode; throws the guard's 401, 403 or 429.
   */
  admitKeyed(header: (name: string) => string | undefined): KeyCaller | undefined;
}

/** Registers the security layer; returns what later routes need of it. */
export function applySecurity(app: Hono<AppEnv>, ctx: AppContext): SecurityLayer {
  const { security } = ctx.config;
  const crossOrigin = security.corsOrigins.length > 0;

  // An API answers JSON only: nothing to frame, sniff, cache or run as a page.
  const headers = secureHeaders({
    contentSecurityPolicy: { defaultSrc: ["'none'"], frameAncestors: ["'none'"] },
    crossOriginResourcePolicy: crossOrigin ? 'cross-origin' : 'same-origin',
    referrerPolicy: 'no-referrer',
    // A route that sets its own header keeps it: the status page's CSP allows its inline script by hash.
    overwrite: false,
  });
  // The same headers, read once, go into embed answers whole (answer-headers.ts), which this skips.
  const answerHeaders = new AnswerHeaders(headers);
  app.use(async (c, next) => {
    await next();
    if (hasCompleteHeaders(c.res)) return;
    await headers(c, async () => {});
    c.res.headers.set('cache-control', NO_STORE);
  });

  if (crossOrigin) {
    app.use(cors({
      origin: security.corsOrigins.includes('*') ? '*' : [...security.corsOrigins],
      allowMethods: ['GET', 'POST', 'OPTIONS'],
      allowHeaders: ['content-type', ...KEY_HEADERS, 'x-request-id', REQUEST_TIMEOUT_HEADER, 'cache-control'],
      exposeHeaders: ['x-request-id', 'retry-after', 'www-authenticate', 'server-timing', TIER_HEADER, OVERFLOW_HEADER, CACHE_HEADER],
      maxAge: CORS_MAX_AGE_S,
    }));
  }

  if (security.keys.length === 0) {
    if (ctx.checkHost === true && !security.allowedHosts.includes(ANY_HOST)) {
      // One check behind every guarded path and the fast lane.
      const checkHost = createHostCheck({ allowedHosts: security.allowedHosts, listenHost: ctx.config.host });
      const hostGuard = createHostGuard(checkHost);
      for (const path of [...KEYED_PATHS, ...OPERATOR_PATHS]) app.use(path, hostGuard);
      return {
        answerHeaders,
        crossOrigin,
        admitKeyed: (header) => {
          checkHost(header('host'));
          return undefined;
        },
      };
    }
    return { answerHeaders, crossOrigin, admitKeyed: () => undefined };
  }
  // One check, and one set of token buckets, behind every guarded path and the fast lane.
  const checkKey = createKeyCheck({
    keys: security.keys,
    defaultRps: security.defaultRps,
    defaultTps: security.defaultTps,
    clock: ctx.clock,
  });
  const guard = createKeyGuard<AppEnv>(checkKey);
  const protect = security.protectOperatorRoutes;
  const keyed: readonly string[] = protect ? [...KEYED_PATHS, ...OPERATOR_PATHS] : KEYED_PATHS;
  for (const path of keyed) app.use(path, guard);
  // Registered after the key guard, so a missing or wrong key is still a 401, never a 403.
  const operatorGuard = createOperatorGuard();
  const operator: readonly string[] = protect ? [...OPERATOR_ONLY_PATHS, ...OPERATOR_PATHS] : OPERATOR_ONLY_PATHS;
  for (const path of operator) app.use(path, operatorGuard);
  return { answerHeaders, crossOrigin, admitKeyed: checkKey };
}
