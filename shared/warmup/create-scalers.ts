/**
 * The scalers behind a config's backends: one per `ecs://` or `cloudrun://` entry (static URLs and
 * DNS names have nothing to scale). SDKs load lazily, as for discovery, and one client per cloud
 * is shared by every entry (a deliberate per-call cache, built once per warm-up run or process).
 */
import { type DiscoveredBackendSpec, isDiscoveredSpec } from '../config/backends';
import { Tier } from '../core/tier';
import type { Config } from '../config/config';
import type { Scaler } from '../scaling/scaler';

export interface TierScaler {
  readonly tier: Tier;
  readonly scaler: Scaler;
}

export async function createScalers(config: Config): Promise<TierScaler[]> {
  const entries = [Tier.cpu, Tier.gpu].flatMap((tier) =>
    config.tiers[tier].filter(isDiscoveredSpec).map((spec) => ({ tier, spec })));
  let aws: Promise<(spec: Extract<DiscoveredBackendSpec, { source: 'ecs' }>) => Scaler> | undefined;
  let cloudRun: Promise<(spec: Extract<DiscoveredBackendSpec, { source: 'cloudrun' }>) => Scaler> | undefined;
  const scalers: TierScaler[] = [];
  for (const { tier, spec } of entries) {
    if (spec.source === 'ecs') {
      aws ??= (async () => {
        const [{ createEcsClient }, { createAutoScalingClient, createEcsScaler }] = await Promise.all([
          import('../aws/ecs-source'),
          import('../aws/ecs-scaler'),
        ]);
        // Region, credentials and AWS_ENDPOINT_URL_ECS / _APPLICATION_AUTO_SCALING come from the SDK's environment.
        const ecs = createEcsClient({});
        const autoScaling = createAutoScalingClient({});
        return (ecsSpec) => createEcsScaler({ ecs, autoScaling, cluster: ecsSpec.cluster, service: ecsSpec.service });
      })();
      scalers.push({ tier, scaler: (await aws)(spec) });
    } else if (spec.source === 'cloudrun') {
      cloudRun ??= (async () => {
        const [{ createCloudRunClient }, { createCloudRunScaler }] = await Promise.all([
          import('../gcp/cloud-run-source'),
          import('../gcp/cloud-run-scaler'),
        ]);
        const endpoint = config.discovery.cloudRunApiEndpoint;
        const client = await createCloudRunClient(endpoint === undefined ? {} : { apiEndpoint: endpoint });
        return (runSpec) => createCloudRunScaler({ client, name: runSpec.name });
      })();
      scalers.push({ tier, scaler: (await cloudRun)(spec) });
    }
  }
  return scalers;
}
