/**
 * The in-process engine behind a thin Upstream that loads its module on first use. Only `local:`
 * backends need the engine (worker threads, model files); loading it lazily keeps `node:worker_threads`
 * and the engine's code out of the startup of every runtime that does not use it (the Lambda
 * handler: see `npm run bench:bundle`).
 *
 * A failed load (the engine's code, or its model in the workers) is not kept forever: the first
 * call after a back-off builds a fresh engine (a model volume mounted late, a worker that ran out
 * of memory once), and calls during the back-off fail fast with the same error instead of each
 * paying for a load that is known to fail.
 */
import type { LocalBackendSpec } from '../../config/backends';
import { UpstreamDialect } from '../../core/upstream-dialect';
import type { Tier } from '../../core/tier';
import { type Clock, systemClock } from '../../clock';
import type { Config } from '../../config/config';
import type { Logger } from '../../logger';
import { type EndpointHealth, HealthState, type Upstream } from '../upstream';
import { UpstreamError, UpstreamFailure } from '../upstream-error';
import type { LocalUpstream } from './local-upstream';

/** The wait after a first failed load before a call may try again; doubles with each failure in a row. */
export const ENGINE_RETRY_BASE_MS = 1_000;
/** The longest wait between load attempts: a model that turns up later is picked up within a minute. */
export const ENGINE_RETRY_MAX_MS = 60_000;
const LOAD_FAILED = 'the in-process engine could not be loaded';

export interface LazyLocalUpstreamOptions {
  /** Times the back-off between load attempts (default: the system clock). */
  readonly clock?: Clock;
  /** Builds the engine (default: imports its code); tests pass their own. */
  readonly loadEngine?: () => Promise<LocalUpstream>;
}

/** Imports the engine's code and builds it; its workers load the model once asked to. */
async function loadLocalEngine(spec: LocalBackendSpec, id: string, tier: Tier, config: Config, logger: Logger): Promise<LocalUpstream> {
  const [{ createLocalUpstream }, { modelSourceFor }] = await Promise.all([import('./local-upstream'), import('./model-source')]);
  const { workers, maxTokens, batchSize } = config.local;
  return createLocalUpstream({
    id, tier, dimension: config.model.dimension, workers, maxTokens, batchSize, logger,
    modelDir: modelSourceFor(spec, config.local).dir,
  });
}

export function createLazyLocalUpstream(
  spec: LocalBackendSpec, id: string, tier: Tier, config: Config, logger: Logger, options: LazyLocalUpstreamOptions = {},
): Upstream {
  const clock = options.clock ?? systemClock;
  const loadEngine = options.loadEngine ?? (() => loadLocalEngine(spec, id, tier, config, logger));
  let engine: LocalUpstream | undefined;
  let loading: Promise<LocalUpstream> | undefined;
  let failures = 0;
  let lastFailure: unknown;
  let retryAt = Number.NEGATIVE_INFINITY;
  let closed = false;

  const loadFailed = (): UpstreamError => new UpstreamError(UpstreamFailure.connect, LOAD_FAILED, { cause: lastFailure });

  /** Counts a failed load and starts the back-off before the next attempt. */
  const recordFailure = (error: unknown): void => {
    failures++;
    lastFailure = error;
    const waitMs = Math.min(ENGINE_RETRY_MAX_MS, ENGINE_RETRY_BASE_MS * 2 ** (failures - 1));
    retryAt = clock.now() + waitMs;
    logger.error('local_engine_load_failed', {
      upstream: id, failures, retryInMs: waitMs, message: error instanceof Error ? error.message : String(error),
    });
  };

  const load = (): Promise<LocalUpstream> => {
    if (engine !== undefined) return Promise.resolve(engine);
    if (loading !== undefined) return loading;
    if (closed) return Promise.reject(new UpstreamError(UpstreamFailure.connect, 'the in-process engine is shut down'));
    if (clock.now() < retryAt) return Promise.reject(loadFailed());
    loading = loadEngine().then((loaded) => {
      engine = loaded;
      loading = undefined;
      // The model loads in the workers, started now: an engine whose model fails is dropped
      // (its workers are gone already) and the first call after the back-off builds a new one.
      loaded.ready().then(() => {
        if (engine === loaded) failures = 0;
      }, (error: unknown) => {
        if (closed || engine !== loaded) return;
        engine = undefined;
        recordFailure(error);
        void loaded.close();
      });
      return loaded;
    }, (error: unknown) => {
      loading = undefined;
      recordFailure(error);
      throw loadFailed();
    });
    return loading;
  };

  return {
    id,
    tier,
    dialect: UpstreamDialect.local,
    embed: async (texts, call) => (await load()).embed(texts, call),
    ping: async (call): Promise<EndpointHealth> => {
      let loaded: Upstream;
      try {
        loaded = await load();
      } catch {
        return { state: HealthState.failed, detail: LOAD_FAILED };
      }
      return loaded.ping(call);
    },
    // A load still running is waited for, so its workers are not left behind; a failed one left
    // nothing to release, and must not turn shutdown into a failure.
    close: async () => {
      closed = true;
      await loading?.catch(() => undefined);
      await engine?.close?.();
    },
  };
}
