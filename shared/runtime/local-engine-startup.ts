/**
 * What a long-running server does for the in-process engine before it listens: with no backend
 * configured, make the engine the CPU tier (`npm start` works out of the box; Lambda never does
 * this), and make sure every `local:` backend's model files are on disk, downloading the pinned
 * model into the cache once. Both happen before the first request, so a missing model is one
 * clear message at start instead of 503s later.
 */
import type { LocalBackendSpec } from '../config/backends';
import type { Config } from '../config/config';
import type { Logger } from '../logger';
import type { DownloadProgress } from '../upstream/local/download-progress';
import { ensureModel } from '../upstream/local/ensure-model';
import { ModelOrigin, modelSourceFor } from '../upstream/local/model-source';

const DEFAULT_LOCAL_SPEC: LocalBackendSpec = Object.freeze({ source: 'local', dialect: 'local' });

/** Whether neither tier has a backend. */
export const hasNoBackends = (config: Config): boolean => config.tiers.cpu.length === 0 && config.tiers.gpu.length === 0;

/** The config with the in-process engine as its CPU tier when no backend is configured; else unchanged. */
export function withLocalEngineDefault(config: Config): Config {
  if (!hasNoBackends(config)) return config;
  return Object.freeze({
    ...config,
    tiers: Object.freeze({ cpu: Object.freeze([DEFAULT_LOCAL_SPEC]), gpu: config.tiers.gpu }),
  });
}

export interface PrepareLocalModelsOptions {
  /** True when the engine is there because nothing else was configured (for the error's wording). */
  readonly defaulted: boolean;
  readonly progress?: DownloadProgress;
  readonly logger: Logger;
  readonly fetch?: typeof fetch;
}

/**
 * Makes every `local:` backend's model present, downloading into the cache when that is where it
 * belongs. Rejects with a LocalModelError whose message is meant for the operator as it is.
 */
export async function prepareLocalModels(config: Config, options: PrepareLocalModelsOptions): Promise<void> {
  const specs = [...config.tiers.cpu, ...config.tiers.gpu].filter((spec): spec is LocalBackendSpec => spec.source === 'local');
  const sources = new Map(specs.map((spec) => modelSourceFor(spec, config.local)).map((source) => [source.dir, source]));
  const purpose = options.defaulted
    ? 'No embedding backend is configured (CPU_BACKENDS and GPU_BACKENDS are unset)'
    : 'A local: backend is configured';
  for (const source of sources.values()) {
    const files = await ensureModel(source, {
      baseUrl: config.local.modelBaseUrl,
      purpose,
      ...(options.progress ? { progress: options.progress } : {}),
      ...(options.fetch ? { fetch: options.fetch } : {}),
    });
    options.logger.info('local_model_found', {
      model: files.model,
      from: source.origin === ModelOrigin.cache ? 'cache' : source.origin === ModelOrigin.env ? 'EMBED_MODEL_DIR' : 'backend entry',
    });
  }
}
