/**
 * Liveness and description routes: `/ping` the DJL way, `/health` the TEI way (200 or 503) with a
 * small body counting each tier's ready endpoints, `/info` in the spirit of TEI's, describing the
 * model, the limits and the tiers (never backend addresses).
 */
import type { Hono } from 'hono';
import type { EndpointReport } from '../embed/embedder';
import { HealthState } from '../upstream/upstream';
import type { AppContext, AppEnv } from './app-env';
import { addRoute, ROUTE_LABELS } from './routes';
import type { CacheSnapshot } from '../core/cache-events';

/** The `created` time reported for the model by /v1/models (fixed: the model does not change). */
const MODEL_CREATED_EPOCH_S = 0;

/** /health's `status`: `ok` with a 200 while some endpoint can serve, else `unavailable` with a 503. */
export const HealthStatus = { ok: 'ok', unavailable: 'unavailable' } as const;

/** One tier in /health: endpoints that can take requests now, of those known (0 of 0: not configured, or none discovered yet). */
export interface TierReadiness {
  readonly ready: number;
  readonly endpoints: number;
}

function tierReadiness(endpoints: readonly EndpointReport[]): TierReadiness {
  let ready = 0;
  for (const endpoint of endpoints) if (endpoint.state === HealthState.healthy) ready++;
  return { ready, endpoints: endpoints.length };
}

/** /info's hit ratio keeps four decimals. */
const HIT_RATIO_DIGITS = 10_000;

export function registerStatusRoutes(app: Hono<AppEnv>, ctx: AppContext): void {
  const { config, embedder, models } = ctx;

  // DJL answers /ping with 200 even when the model is Unhealthy; the body carries the state.
  addRoute(app, 'ping', async (c) => {
    const report = await embedder.health();
    const body = { [models.djlName]: { status: report.ready ? 'Healthy' : 'Unhealthy' } };
    return c.body(JSON.stringify(body, null, 2), 200, { 'content-type': 'application/json' });
  });

  // Probed often (load balancers, Kubernetes): counts only, one small object, never an address.
  addRoute(app, 'health', async (c) => {
    const report = await embedder.health();
    const tiers = { cpu: tierReadiness(report.tiers.cpu), gpu: tierReadiness(report.tiers.gpu) };
    if (report.ready) return c.json({ status: HealthStatus.ok, tiers }, 200);
    // TEI's error fields stay, for clients that read them.
    return c.json({ status: HealthStatus.unavailable, tiers, error: 'no backend can serve requests right now', error_type: 'Unhealthy' }, 503);
  });

  // OpenAI clients list models (`client.models.list()`), and OpenAI-compatible upstreams are
  // probed this way; answer with the served model and its accepted names.
  addRoute(app, 'models', (c) => c.json({
    object: 'list',
    data: models.accepted.map((id) => ({ id, object: 'model', created: MODEL_CREATED_EPOCH_S, owned_by: 'embed-front-door' })),
  }));

  addRoute(app, 'info', async (c) => {
    const report = await embedder.health();
    const snapshot = embedder.snapshot?.();
    const tier = (name: 'cpu' | 'gpu') => {
      const coldStarts = snapshot?.tiers[name].coldStarts;
      return {
        endpoints: report.tiers[name].length,
        healthy: report.tiers[name].filter((endpoint) => endpoint.state === 'healthy').length,
        backends: report.tiers[name].map(({ id, dialect, state, detail }) => ({ id, dialect, state, ...(detail ? { warmth: detail } : {}) })),
        ...(report.activity ? { activity: report.activity[name] } : {}),
        // Backend cold starts (first seen cold to first good answer): the warm-up planner's lead time.
        ...(coldStarts ? { cold_starts: { count: coldStarts.count, p50_ms: coldStarts.p50Ms ?? null, p95_ms: coldStarts.p95Ms ?? null } } : {}),
      };
    };
    return c.json({
      model_id: models.id,
      model_names: models.accepted,
      dimension: config.model.dimension,
      strict_model_names: config.model.strictNames,
      runtime: ctx.runtime,
      limits: {
        max_items_per_request: config.limits.maxItems,
        max_chars_per_item: config.limits.maxCharsPerItem,
        max_body_bytes: config.limits.maxBodyBytes,
        request_timeout_ms: config.timeouts.requestMs,
        upstream_timeout_ms: config.timeouts.upstreamMs,
      },
      tiers: { cpu: tier('cpu'), gpu: tier('gpu') },
      ...(snapshot ? { overflow_active: snapshot.overflowActive } : {}),
      ...cacheInfo(embedder.cacheSnapshot?.()),
      endpoints: ROUTE_LABELS,
    });
  });
}

/** /info's cache section: texts answered over texts looked up since start, and what is held. */
function cacheInfo(cache: CacheSnapshot | undefined): Record<string, unknown> {
  if (cache === undefined) return {};
  return {
    cache: {
      lookups: cache.lookups,
      hits: cache.hits,
      hit_ratio: cache.lookups === 0 ? null : Math.round((cache.hits / cache.lookups) * HIT_RATIO_DIGITS) / HIT_RATIO_DIGITS,
      memory_bytes: cache.memoryBytes,
      memory_entries: cache.memoryEntries,
      shared: !cache.shared ? 'none' : !cache.sharedStarted ? 'connecting' : cache.sharedOpen ? 'skipped' : 'in_use',
    },
  };
}

