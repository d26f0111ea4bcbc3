/**
 * `GET /status`, the operator's status page, and `GET /status.json`, its data. The page is a
 * shell that holds nothing (served without a key, so a browser can open it); the JSON is protected
 * like /info (apply-security.ts) and the page sends the operator key it is given as a Bearer header
 * (status-page-script.ts). Both modules are loaded with `import()` at the first request, so the
 * embed path never pays for them, nor for cron-parser behind the burst windows.
 */
import type { Hono } from 'hono';
import type { AppContext, AppEnv } from './app-env';
import { addRoute } from './routes';

export function registerStatusPageRoutes(app: Hono<AppEnv>, ctx: AppContext): void {
  addRoute(app, 'status', async (c) => {
    const { STATUS_PAGE_CSP, STATUS_PAGE_HTML } = await import('./status-page');
    // Its own policy, kept by the security headers (which do not overwrite a route's own).
    return c.body(STATUS_PAGE_HTML, 200, { 'content-type': 'text/html; charset=utf-8', 'content-security-policy': STATUS_PAGE_CSP });
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
