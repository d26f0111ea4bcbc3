/**
 * The in-process engine behind a thin Upstream that loads its module on first use. Only `local:`
 * backends need the engine (worker threads, model files); loading it lazily keeps `node:worker_threads`
 * and the engine's code out of the startup of every runtime that does not use it (the Lambda
 * handler: see `npm run bench:bundle`).
 */
import type { LocalBackendSpec } from '../../config/backends';
import { UpstreamDialect } from '../../core/upstream-dialect';
import type { Tier } from '../../core/tier';
import type { Config } from '../../config/config';
import type { Logger } from '../../logger';
import { type EndpointHealth, HealthState, type Upstream } from '../upstream';
import { UpstreamError, UpstreamFailure } from '../upstream-error';

export function createLazyLocalUpstream(spec: LocalBackendSpec, id: string, tier: Tier, config: Config, logger: Logger): Upstream {
  let loading: Promise<Upstream> | undefined;
  const load = (): Promise<Upstream> => {
    loading ??= (async () => {
      const [{ createLocalUpstream }, { modelSourceFor }] = await Promise.all([import('./local-upstream'), import('./model-source')]);
      const { workers, maxTokens, batchSize } = config.local;
      return createLocalUpstream({
        id, tier, dimension: config.model.dimension, workers, maxTokens, batchSize, logger,
        modelDir: modelSourceFor(spec, config.local).dir,
      });
    })();
    return loading;
  };
  return {
    id,
    tier,
    dialect: UpstreamDialect.local,
    embed: async (texts, call) => {
      let upstream: Upstream;
      try {
        upstream = await load();
      } catch (error) {
        throw new UpstreamError(UpstreamFailure.connect, 'the in-process engine could not be loaded', { cause: error });
      }
      return upstream.embed(texts, call);
    },
    ping: async (call): Promise<EndpointHealth> => {
      try {
        return await (await load()).ping(call);
      } catch {
        return { state: HealthState.failed, detail: 'the in-process engine could not be loaded' };
      }
    },
    // Nothing to release if it never loaded.
    close: async () => {
      if (loading !== undefined) await (await loading).close?.();
    },
  };
}
