/** GET /metrics: the Prometheus text where metrics live in the process, a 404 naming EMF where they do not. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Hono } from 'hono';
import { Dialect } from '../../shared/dialects/dialect';
import { ErrorCode, isFrontDoorError } from '../../shared/errors';
import type { AppEnv } from '../../shared/http/app-env';
import { errorResponse, toFrontDoorError } from '../../shared/http/error-response';
import { METRICS_ROUTE, registerMetricsRoute, type MetricsSource } from '../../shared/http/metrics-route';
import { silentLogger } from '../../shared/logger';
import type { TierSnapshot } from '../../shared/core/dispatch-snapshot';
import { createPrometheusTelemetry } from '../../shared/telemetry/prometheus-telemetry';

const EMPTY_TIER: TierSnapshot = {
  queuedTexts: 0,
  inFlightBatches: 0,
  endpoints: [],
  coldStarts: { count: 0, p50Ms: undefined, p95Ms: undefined },
  backlogTexts: 0,
  servingEndpoints: 0,
  estimatedWaitSeconds: 0,
};

/** An app with the route and the same error mapping create-app.ts installs; `thrown` keeps what the handler threw. */
function appWith(metrics: MetricsSource | undefined) {
  const thrown: unknown[] = [];
  const app = new Hono<AppEnv>();
  registerMetricsRoute(app, metrics);
  app.onError((error) => {
    thrown.push(error);
    return errorResponse(toFrontDoorError(error, silentLogger, undefined), Dialect.tei);
  });
  return { app, thrown };
}

describe('GET /metrics', () => {
  test('the route string is the one the app lists', () => {
    assert.equal(METRICS_ROUTE, 'GET /metrics');
  });

  test('answers the rendered Prometheus text with its content type, fresh on every scrape', async () => {
    const telemetry = createPrometheusTelemetry({ snapshot: () => ({ tiers: { cpu: EMPTY_TIER, gpu: EMPTY_TIER }, overflowActive: false }) });
    const { app, thrown } = appWith(telemetry);
    telemetry.retry('cpu');

    const response = await app.request('/metrics');
    assert.equal(response.status, 200);
    assert.equal(response.headers.get('content-type'), telemetry.contentType);
    assert.match(telemetry.contentType, /^text\/plain; version=0\.0\.4/);
    const body = await response.text();
    assert.match(body, /^# TYPE efd_requests_total counter$/m);
    assert.match(body, /^efd_retries_total\{tier="cpu"\} 1$/m);

    telemetry.retry('cpu');
    assert.match(await (await app.request('/metrics')).text(), /^efd_retries_total\{tier="cpu"\} 2$/m);
    assert.deepEqual(thrown, []);
  });

  test('without a metrics sink (Lambda) answers 404 saying metrics go out as CloudWatch EMF lines', async () => {
    const { app, thrown } = appWith(undefined);
    const response = await app.request('/metrics');
    assert.equal(response.status, 404);
    const body = await response.json() as { error: string };
    assert.match(body.error, /CloudWatch Embedded Metric Format/);

    const [error] = thrown;
    assert.ok(isFrontDoorError(error), 'the handler throws a FrontDoorError');
    assert.equal(error.status, 404);
    assert.equal(error.code, ErrorCode.routeNotFound);
  });
});
