/**
 * The one route table against what serves and what deploys: every entry is served by the app (no
 * 404) and answers a wrong method with a 405 in its dialect's shape, and the routes Lambda serves
 * are exactly the embed function's `httpApi` routes in serverless.yml.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, describe, test } from 'node:test';
import { parse } from 'yaml';
import { parseConfig } from '../../shared/config/config';
import { Dialect } from '../../shared/dialects/dialect';
import { createModelNames } from '../../shared/dialects/model-names';
import { createApp } from '../../shared/http/create-app';
import { dialectForPath } from '../../shared/http/error-response';
import { gatewayPath, ROUTE_LABELS, ROUTE_TABLE, routeLabel } from '../../shared/http/routes';
import { silentLogger } from '../../shared/logger';
import { createDependencies } from '../../shared/runtime/create-dependencies';
import { createWarmupRunner } from '../../shared/runtime/warmup-runner';
import { createPrometheusTelemetry } from '../../shared/telemetry/prometheus-telemetry';
import { createUndiciTransport } from '../../shared/upstream/undici-transport';

const SERVERLESS_YML = new URL('../../serverless.yml', import.meta.url);

/** The embed function's `httpApi` routes, the catch-all (`*`) left out. */
function gatewayRoutes(): string[] {
  const document = parse(readFileSync(SERVERLESS_YML, 'utf8')) as { functions: { embed: { events: { httpApi?: unknown }[] } } };
  return document.functions.embed.events
    .map((event) => event.httpApi)
    .filter((route): route is string => typeof route === 'string' && route !== '*');
}

describe('route table', () => {
  test('its Lambda routes are exactly the embed function\'s httpApi routes in serverless.yml', () => {
    const lambda = ROUTE_TABLE.filter((route) => route.onLambda).map(routeLabel);
    const deployed = gatewayRoutes();
    assert.equal(new Set(deployed).size, deployed.length, 'no route twice in serverless.yml');
    assert.deepEqual([...deployed].sort(), [...lambda].sort());
    assert.ok(deployed.includes('POST /predictions/{model}/{version}'), 'Hono\'s :param is API Gateway\'s {param}');
  });

  test('one entry per method and path; labels spell parameters as API Gateway does', () => {
    assert.equal(new Set(ROUTE_LABELS).size, ROUTE_TABLE.length);
    assert.equal(new Set(ROUTE_TABLE.map((route) => route.id)).size, ROUTE_TABLE.length);
    assert.equal(gatewayPath('/models/:model/invoke'), '/models/{model}/invoke');
  });

  describe('served by the app', () => {
    const config = parseConfig({ LOG_LEVEL: 'silent' });
    const deps = createDependencies(config, {
      transport: createUndiciTransport({ connectionsPerOrigin: 1 }),
      runtime: 'node',
      logger: silentLogger,
      telemetry: createPrometheusTelemetry,
    });
    const app = createApp({ ...deps, warmup: createWarmupRunner(deps) });
    const model = createModelNames(config).djlName;
    const concrete = (path: string) => path.replace(':model', model).replace(':version', '1');
    after(() => deps.close());

    test('POST /warmup without a runner: 404 naming the runtime, and where the warm-up runs when the entry point says', async () => {
      const message = async (built: typeof app) => ((await (await built.request('/warmup', { method: 'POST' })).json()) as { error: string }).error;
      assert.equal(await message(createApp({ ...deps, runtime: 'some-runtime' })),
        'no POST /warmup on this runtime (some-runtime): it was started without the warm-up');
      assert.equal(await message(createApp({ ...deps, warmupElsewhere: 'it runs elsewhere' })),
        'no POST /warmup on this runtime (node): it runs elsewhere');
    });

    test('every entry answers at its method and path (no backend: 503, never 404)', async () => {
      for (const route of ROUTE_TABLE) {
        const response = await app.request(concrete(route.path), {
          method: route.method,
          ...(route.method === 'POST' ? { headers: { 'content-type': 'application/json' }, body: JSON.stringify({ inputs: 'x', input: 'x' }) } : {}),
        });
        assert.notEqual(response.status, 404, `${routeLabel(route)}: ${await response.text()}`);
        assert.notEqual(response.status, 405, routeLabel(route));
      }
    });

    test('a wrong method gets a 405 naming the right one, in the path\'s dialect', async () => {
      for (const route of ROUTE_TABLE) {
        const path = concrete(route.path);
        const response = await app.request(path, { method: 'DELETE' });
        assert.equal(response.status, 405, routeLabel(route));
        const body = await response.json() as { error?: string | { code?: string }; error_type?: string; code?: number; type?: string };
        const text = JSON.stringify(body);
        assert.ok(text.includes(`use ${route.method}`), `${routeLabel(route)}: ${text}`);
        switch (dialectForPath(path)) {
          case Dialect.openai:
            assert.equal(typeof body.error === 'object' ? body.error.code : undefined, 'method_not_allowed', text);
            break;
          case Dialect.djl:
            assert.equal(body.code, 405, text);
            assert.equal(typeof body.type, 'string', text);
            break;
          case Dialect.tei:
            assert.equal(typeof body.error, 'string', text);
            assert.equal(typeof body.error_type, 'string', text);
            break;
        }
      }
    });

    test('the 404 message and /info list the table', async () => {
      const missing = await app.request('/nowhere');
      assert.equal(missing.status, 404);
      const message = JSON.stringify(await missing.json());
      for (const label of ROUTE_LABELS) assert.ok(message.includes(label), `404 lists ${label}`);
      const info = await (await app.request('/info')).json() as { endpoints: string[] };
      assert.deepEqual(info.endpoints, ROUTE_LABELS);
    });
  });
});
