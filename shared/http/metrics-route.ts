/**
 * `GET /metrics` in the Prometheus text format, where a long-lived process keeps its counters.
 * On Lambda each execution environment counts alone and is never scraped, so metrics leave as
 * CloudWatch EMF log lines instead and this route answers 404 saying so.
 */
import type { Hono } from 'hono';
import { ErrorCode, FrontDoorError } from '../errors';
import type { AppEnv } from './app-env';
import { addRoute, routeById, routeLabel } from './routes';

/** The route, as /info lists it. */
export const METRICS_ROUTE = routeLabel(routeById('metrics'));

/** Renders the exposition text (a `PrometheusTelemetry` is one). */
export interface MetricsSource {
  readonly contentType: string;
  render(): Promise<string>;
}

/** Registers `GET /metrics`: the rendered metrics, or a 404 explaining where they go when `metrics` is undefined. */
export function registerMetricsRoute(app: Hono<AppEnv>, metrics: MetricsSource | undefined): void {
  if (metrics === undefined) {
    addRoute(app, 'metrics', () => {
      throw new FrontDoorError(404, ErrorCode.routeNotFound,
        'no /metrics on this runtime: metrics are published as CloudWatch Embedded Metric Format (EMF) log lines');
    });
    return;
  }
  addRoute(app, 'metrics', async (c) => c.body(await metrics.render(), 200, { 'content-type': metrics.contentType }));
}
