/**
 * Builds the source for a discovered backend entry. Each cloud SDK is loaded with `import()` only
 * when an entry of its kind is configured, so the embed function's cold start does not pay for
 * SDKs it does not use (and its bundle can leave them in separate chunks).
 */
import type { DiscoveredBackendSpec } from '../config/backends';
import type { DiscoveryConfig } from '../config/discovery-config';
import type { EndpointSource } from './endpoint-source';

export async function createEndpointSource(spec: DiscoveredBackendSpec, settings: DiscoveryConfig): Promise<EndpointSource> {
  switch (spec.source) {
    case 'ecs': {
      const { createEcsClient, createEcsSource } = await import('../aws/ecs-source');
      // Region, credentials and AWS_ENDPOINT_URL_ECS come from the SDK's own environment.
      return createEcsSource({
        client: createEcsClient({}),
        cluster: spec.cluster,
        service: spec.service,
        port: spec.port,
        path: spec.path,
        scheme: spec.scheme,
      });
    }
    case 'cloudrun': {
      const { createCloudRunClient, createCloudRunSource } = await import('../gcp/cloud-run-source');
      const client = await createCloudRunClient(settings.cloudRunApiEndpoint === undefined ? {} : { apiEndpoint: settings.cloudRunApiEndpoint });
      return createCloudRunSource({ client, name: spec.name, path: spec.path });
    }
    case 'dns': {
      const { createDnsSource, createSystemResolver } = await import('./dns-source');
      return createDnsSource({ resolver: createSystemResolver(), name: spec.name, port: spec.port, path: spec.path, scheme: spec.scheme });
    }
  }
}
