/**
 * The front door's HTTP app, built once from its dependencies. Every runtime (Node server,
 * Lambda, Cloud Functions) serves this same app; entry points only translate.
 */
import { Hono } from 'hono';
import { echoText } from '../dialects/client-echo';
import { createModelNames } from '../dialects/model-names';
import { ErrorCode, FrontDoorError } from '../errors';
import { noTelemetry } from '../telemetry/telemetry';
import type { AppContext, AppDependencies, AppEnv } from './app-env';
import { applySecurity } from './apply-security';
import { requestIdMiddleware } from './answer-headers';
import { registerEmbedRoutes } from './embed-routes';
import { createEmbedFastLane, type EmbedFastLane } from './embed-fast-lane';
import { EmbedService } from './embed-service';
import { registerMetricsRoute } from './metrics-route';
import { requestTelemetry } from './request-telemetry';
import { registerWarmupRoute } from './warmup-route';
import { dialectForPath, errorResponse, toFrontDoorError } from './error-response';
import { allowedMethods, ROUTE_LABELS } from './routes';
import { registerStatusPageRoutes } from './status-page-routes';
import { registerStatusRoutes } from './status-routes';

/** Accepted client request ids: short, and safe to put in logs and headers. */
const MAX_REQUEST_ID_LENGTH = 128;

/** The app, and the Node server's fast lane for embed requests, which shares its parts. */
export interface FrontDoorApp extends Hono<AppEnv> {
  readonly embedFastLane: EmbedFastLane;
}

export function createApp(deps: AppDependencies): FrontDoorApp {
  const ctx: AppContext = { ...deps, models: createModelNames(deps.config) };
  const app = new Hono<AppEnv>();
  const telemetry = {
    telemetry: deps.telemetry ?? noTelemetry,
    logger: deps.logger,
    accessLog: deps.config.accessLog,
    ...(deps.coldStart ? { coldStart: deps.coldStart } : {}),
    now: () => performance.now(),
  };

  app.use(requestIdMiddleware(MAX_REQUEST_ID_LENGTH));
  app.use(requestTelemetry(telemetry));
  app.use(async (c, next) => {
    c.set('dialect', dialectForPath(c.req.path));
    await next();
  });
  const security = applySecurity(app, ctx);
  const service = new EmbedService(ctx);

  registerEmbedRoutes(app, service, security.answerHeaders);
  registerStatusRoutes(app, ctx);
  registerStatusPageRoutes(app, ctx);
  registerMetricsRoute(app, deps.metrics);
  registerWarmupRoute(app, ctx, deps.warmup);

  // A known path with the wrong method: 405 naming the right one.
  for (const [path, methods] of allowedMethods()) {
    app.all(path, (c) => {
      throw new FrontDoorError(405, ErrorCode.methodNotAllowed,
        `${c.req.method} is not allowed on ${echoText(c.req.path)}: use ${methods.join(' or ')}`);
    });
  }

  app.notFound((c) => errorResponse(
    new FrontDoorError(404, ErrorCode.routeNotFound,
      `no route for ${c.req.method} ${echoText(c.req.path)}; routes: ${ROUTE_LABELS.join(', ')}`),
    dialectForPath(c.req.path),
    { 'x-request-id': c.get('requestId') },
  ));

  app.onError((error, c) => {
    const requestIdValue = c.get('requestId');
    const failure = toFrontDoorError(error, deps.logger, requestIdValue);
    // 4xx, the client's own 408 and 499 included, leave only the access log's `request` line (info).
    if (!failure.isClientError) {
      deps.logger.warn('request_failed', { requestId: requestIdValue, path: c.req.path, status: failure.status, code: failure.code, message: failure.message });
    }
    return errorResponse(failure, c.get('dialect') ?? dialectForPath(c.req.path), { 'x-request-id': requestIdValue });
  });

  const embedFastLane = createEmbedFastLane({ service, security, telemetry, logger: deps.logger, maxRequestIdLength: MAX_REQUEST_ID_LENGTH });
  return Object.assign(app, { embedFastLane });
}
