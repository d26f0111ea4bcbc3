/** Builds one Upstream per configured backend, picking the client by the backend's dialect. */
import { type BackendSpec, isDiscoveredSpec, type LocalBackendSpec, type StaticBackendSpec, type Tier } from '../config/backends';
import type { Config } from '../config/config';
import { type Logger, silentLogger } from '../logger';
import { createDjlUpstream } from './djl-upstream';
import { createLazyLocalUpstream } from './local/lazy-local-upstream';
import { createOpenAiUpstream } from './openai-upstream';
import { createTeiUpstream } from './tei-upstream';
import type { HttpTransport } from './transport';
import type { Upstream } from './upstream';

export function createUpstream(spec: StaticBackendSpec | LocalBackendSpec, id: string, tier: Tier, config: Config, transport: HttpTransport, logger: Logger = silentLogger): Upstream {
  // The engine's module (and ONNX Runtime in its worker threads) loads on first use, never here.
  if (spec.source === 'local') return createLazyLocalUpstream(spec, id, tier, config, logger);
  const common = { id, tier, url: spec.url, dimension: config.model.dimension, transport };
  switch (spec.dialect) {
    case 'djl':
      return createDjlUpstream({ ...common, modelName: spec.modelName });
    case 'tei':
      return createTeiUpstream({ ...common, apiKey: config.upstream.apiKey });
    case 'openai':
      return createOpenAiUpstream({ ...common, apiKey: config.upstream.apiKey, model: config.model.upstreamName });
  }
}

/** The fixed upstreams of one tier (static URLs, `local:`), with ids `cpu-0`, `cpu-1`, ... */
export function createTierUpstreams(tier: Tier, config: Config, transport: HttpTransport, logger: Logger = silentLogger): Upstream[] {
  const fixed = config.tiers[tier].filter((spec: BackendSpec): spec is StaticBackendSpec | LocalBackendSpec => !isDiscoveredSpec(spec));
  return fixed.map((spec, index) => createUpstream(spec, `${tier}-${index}`, tier, config, transport, logger));
}
