/**
 * `GET /status`, the operator's status page, and `GET /status.json`, its data. The page is a
 * shell that holds nothing; the JSON is protected like /info (apply-security.ts) and the page
 * sends the operator key it is given as a Bearer header (status-page-script.ts). The shell is
 * protected like /info too, in its status code: without an operator key it answers 401 (403 for a
 * client key), yet with the shell as the body, since a browser's navigation cannot send a header
 * and the shell is where the operator pastes the key. Both modules are loaded with `import()` at
 * the first request, so the embed path never pays for them, nor for cron-parser behind the burst
 * windows.
 */
import type { Hono } from 'hono';
import { ApiKeyRole, KeyRing } from '../security/api-keys';
import { presentedKey } from '../security/key-guard';
import type { AppContext, AppEnv } from './app-env';
import { WWW_AUTHENTICATE } from './error-response';
import { addRoute } from './routes';

/** The shell's status for a request: 200 where /info would answer, else /info's 401 or 403. */
function shellStatus(ring: KeyRing | undefined, header: (name: string) => string | undefined): 200 | 401 | 403 {
  if (ring === undefined) return 200;
  const key = presentedKey(header);
  const entry = key === undefined ? undefined : ring.find(key);
  if (entry === undefined) return 401;
  return entry.role === ApiKeyRole.operator ? 200 : 403;
}

export function registerStatusPageRoutes(app: Hono<AppEnv>, ctx: AppContext): void {
  const { security } = ctx.config;
  const ring = security.keys.length > 0 && security.protectOperatorRoutes ? new KeyRing(security.keys) : undefined;

  addRoute(app, 'status', async (c) => {
    const { STATUS_PAGE_CSP, STATUS_PAGE_HTML } = await import('./status-page');
    const status = shellStatus(ring, (name) => c.req.header(name));
    // Its own policy, kept by the security headers (which do not overwrite a route's own).
    const headers: Record<string, string> = { 'content-type': 'text/html; charset=utf-8', 'content-security-policy': STATUS_PAGE_CSP };
    // Bearer, not Basic: a browser shows the body (the sign-in form) instead of its own prompt.
    if (status === 401) headers['www-authenticate'] = WWW_AUTHENTICATE;
    return c.body(STATUS_PAGE_HTML, status, headers);
  });

  addRoute(app, 'statusJson', async (c) => {
    // As /info does: on Lambda this probes the endpoints on demand (at most once a second).
    await ctx.embedder.health();
    const { buildStatusModel } = await import('./status-model');
    return c.json(buildStatusModel({
      snapshot: ctx.embedder.snapshot?.(),
      config: ctx.config,
      runtime: ctx.runtime,
      now: ctx.clock.now(),
      processStartMs: performance.timeOrigin,
      frontDoorColdStart: ctx.coldStart?.figures?.(),
    }));
  });
}
