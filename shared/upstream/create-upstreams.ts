/** Builds one Upstream per configured backend, picking the client by the backend's dialect. */
import type { BackendSpec, Tier } from '../config/backends';
import type { Config } from '../config/config';
import { createDjlUpstream } from './djl-upstream';
import { createOpenAiUpstream } from './openai-upstream';
import { createTeiUpstream } from './tei-upstream';
import type { HttpTransport } from './transport';
import type { Upstream } from './upstream';

export function createUpstream(spec: BackendSpec, id: string, tier: Tier, config: Config, transport: HttpTransport): Upstream {
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

/** The upstreams of one tier, with ids `cpu-0`, `cpu-1`, ... */
export function createTierUpstreams(tier: Tier, config: Config, transport: HttpTransport): Upstream[] {
  return config.tiers[tier].map((spec, index) => createUpstream(spec, `${tier}-${index}`, tier, config, transport));
}
