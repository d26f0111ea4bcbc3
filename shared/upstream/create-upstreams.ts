/** Builds one Upstream per configured backend, picking the client by the backend's dialect. */
import { type BackendSpec, isDiscoveredSpec, type LocalBackendSpec, type StaticBackendSpec } from '../config/backends';
import type { Tier } from '../core/tier';
import type { Config } from '../config/config';
import { type Logger, silentLogger } from '../logger';
import { createDjlUpstream } from './djl-upstream';
import { createOpenAiUpstream } from './openai-upstream';
import { createTeiUpstream } from './tei-upstream';
import type { HttpTransport } from './transport';
import type { Upstream } from './upstream';
import { warnIfUnreachableAtStart } from './unreachable-at-start';

/**
 * Builds the in-process engine's upstream for a `local:` entry (`createLazyLocalUpstream`).
 * Passed in by the runtimes that can run the engine; the Lambda handler passes none, so the
 * engine's code is not even in its bundle.
 */
export type LocalUpstreamFactory = (spec: LocalBackendSpec, id: string, tier: Tier, config: Config, logger: Logger) => Upstream;

/** An HTTP backend's client, by its dialect. */
export function createUpstream(spec: StaticBackendSpec, id: string, tier: Tier, config: Config, transport: HttpTransport): Upstream {
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

/**
 * The fixed upstreams of one tier (static URLs, `local:`), with ids `cpu-0`, `cpu-1`, ... A
 * `local:` entry without a `localEngine` (a runtime that has no engine) is refused here, at start-up.
 * A URL nothing answers at its first probe is logged once (`backend_unreachable`).
 */
export function createTierUpstreams(
  tier: Tier, config: Config, transport: HttpTransport, logger: Logger = silentLogger, localEngine?: LocalUpstreamFactory, runtime = 'this runtime',
): Upstream[] {
  // lambda:// entries are built by the runtime (createLambdaUpstreams), with their own slots.
  const fixed = config.tiers[tier].filter((spec: BackendSpec): spec is StaticBackendSpec | LocalBackendSpec =>
    !isDiscoveredSpec(spec) && spec.source !== 'lambda');
  return fixed.map((spec, index) => {
    const id = `${tier}-${index}`;
    if (spec.source !== 'local') return warnIfUnreachableAtStart(createUpstream(spec, id, tier, config, transport), spec.url, logger);
    if (localEngine === undefined) {
      throw new Error(`${tier === 'cpu' ? 'CPU' : 'GPU'}_BACKENDS: "local:" needs the in-process engine, which ${runtime} does not include; `
        + 'point it at DJL services instead (http(s)://, ecs://, cloudrun:// or dns:// entries)');
    }
    // The engine's module (and ONNX Runtime in its worker threads) loads on first use, never here.
    return localEngine(spec, id, tier, config, logger);
  });
}
