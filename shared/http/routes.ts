/**
 * The front door's routes, in one table: route registration, the 405 answer for a wrong method,
 * the 404 message and /info's route list are all read from it, and a test checks it against
 * serverless.yml's HTTP API routes. A small const array, so it costs nothing at cold start.
 * Paths are Hono's (`:model`); `routeLabel` spells them as API Gateway and /info do (`{model}`).
 */
import type { Hono } from 'hono';
import type { H } from 'hono/types';
import type { AppEnv } from './app-env';

export interface RouteSpec {
  /** How registration code names the route. */
  readonly id: string;
  readonly method: 'GET' | 'POST';
  /** Hono's form: `/predictions/:model`. */
  readonly path: string;
  /** What it is, in a few words. */
  readonly about: string;
  /**
   * True when API Gateway routes it to the Lambda function by name (an `httpApi` event in
   * serverless.yml). False for the routes Lambda answers through its catch-all with a 404 saying
   * where the feature lives there (metrics as EMF log lines, the warm-up as its own function).
   */
  readonly onLambda: boolean;
}

export const ROUTE_TABLE = [
  { id: 'openaiEmbeddings', method: 'POST', path: '/v1/embeddings', about: 'embeddings, OpenAI dialect', onLambda: true },
  { id: 'teiEmbed', method: 'POST', path: '/embed', about: 'embeddings, TEI dialect', onLambda: true },
  { id: 'djlPredictions', method: 'POST', path: '/predictions/:model', about: 'embeddings, DJL dialect', onLambda: true },
  { id: 'djlPredictionsVersion', method: 'POST', path: '/predictions/:model/:version', about: 'embeddings, DJL dialect, a model version', onLambda: true },
  { id: 'djlInvoke', method: 'POST', path: '/models/:model/invoke', about: 'embeddings, DJL dialect (invoke)', onLambda: true },
  { id: 'djlInvocations', method: 'POST', path: '/invocations', about: 'embeddings, DJL dialect (model_name in the query)', onLambda: true },
  { id: 'ping', method: 'GET', path: '/ping', about: 'liveness, DJL style', onLambda: true },
  { id: 'health', method: 'GET', path: '/health', about: 'readiness, TEI style', onLambda: true },
  { id: 'info', method: 'GET', path: '/info', about: 'model, limits, tiers and routes', onLambda: true },
  { id: 'status', method: 'GET', path: '/status', about: 'status page for operators (HTML; its data from /status.json)', onLambda: true },
  { id: 'statusJson', method: 'GET', path: '/status.json', about: 'the status page\'s data: tiers, queue, overflow, cold starts, bursts', onLambda: true },
  { id: 'models', method: 'GET', path: '/v1/models', about: 'the served model, OpenAI style', onLambda: true },
  { id: 'metrics', method: 'GET', path: '/metrics', about: 'Prometheus metrics (Lambda: EMF log lines)', onLambda: false },
  { id: 'warmup', method: 'POST', path: '/warmup', about: 'scheduled warm-up (Lambda: its own function)', onLambda: false },
] as const satisfies readonly RouteSpec[];

export type RouteId = (typeof ROUTE_TABLE)[number]['id'];

/** `/predictions/:model` as API Gateway writes it: `/predictions/{model}`. */
export const gatewayPath = (path: string): string => path.replace(/:(\w+)/g, '{$1}');

/** `POST /predictions/{model}`: a route as /info, the 404 message and serverless.yml spell it. */
export const routeLabel = (route: Pick<RouteSpec, 'method' | 'path'>): string => `${route.method} ${gatewayPath(route.path)}`;

/** Every route's label, in table order. */
export const ROUTE_LABELS: readonly string[] = ROUTE_TABLE.map(routeLabel);

export function routeById(id: RouteId): RouteSpec {
  return ROUTE_TABLE.find((route) => route.id === id) as RouteSpec;
}

/** Registers a table route's handlers at its method and path. */
export function addRoute(app: Hono<AppEnv>, id: RouteId, ...handlers: H<AppEnv>[]): void {
  const { method, path } = routeById(id);
  app.on(method, [path], ...handlers);
}

/** Each path's allowed methods, for the 405 answer. */
export function allowedMethods(): ReadonlyMap<string, readonly string[]> {
  const allowed = new Map<string, string[]>();
  for (const { method, path } of ROUTE_TABLE) allowed.set(path, [...(allowed.get(path) ?? []), method]);
  return allowed;
}
