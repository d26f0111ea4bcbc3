/**
 * A Cloud Run service as an endpoint source. Cloud Run balances across its own instances behind
 * one URL, so a service is one endpoint: the front door balances across services (regions), not
 * across instances. The SDK is only a type here; `createCloudRunClient` loads it lazily, so
 * nothing on the embed path pays for it unless a Cloud Run tier is configured.
 */
import type { protos, ServicesClient } from '@google-cloud/run';
import type { AuthClient } from 'google-auth-library';
import { type DiscoveredEndpoint, DiscoveryError, type EndpointSource } from '../discovery/endpoint-source';
import { describeCloudRunError } from './cloud-run-error';

/** A Cloud Run service as the Admin API v2 returns it. */
export type CloudRunService = protos.google.cloud.run.v2.IService;

/** A Cloud Run service found: the endpoint plus how much it can take at once. */
export interface CloudRunEndpoint extends DiscoveredEndpoint {
  /**
   * maxInstanceCount x maxInstanceRequestConcurrency of the service's revision template: the most
   * requests it serves at once before Cloud Run answers 429. Undefined when either is unset (the
   * platform default applies and the API does not say which). For weighting services against
   * each other; not used by the dispatcher yet.
   */
  readonly capacity: number | undefined;
}

/** An EndpointSource whose endpoints also carry their capacity (still assignable to EndpointSource). */
export interface CloudRunSource extends EndpointSource {
  discover(): Promise<CloudRunEndpoint[]>;
}

export interface CloudRunSourceOptions {
  readonly client: ServicesClient;
  /** `projects/p/locations/l/services/s`. */
  readonly name: string;
  /** The inference path appended to the service URI, e.g. `/predictions/all_MiniLM_L6_v2`. */
  readonly path: string;
}

/**
 * One endpoint per Cloud Run service (key = service name, url = service uri + path), or none while
 * the service has no URI yet (still deploying). API failures reject with a DiscoveryError,
 * `throttled` when the API answered 429 / RESOURCE_EXHAUSTED.
 */
export function createCloudRunSource(options: CloudRunSourceOptions): CloudRunSource {
  const { client, name } = options;
  const path = options.path.startsWith('/') ? options.path : `/${options.path}`;
  const description = `cloudrun://${name}`;
  return {
    description,
    async discover() {
      let service: CloudRunService;
      try {
        [service] = await client.getService({ name });
      } catch (error) {
        const failure = describeCloudRunError(error);
        throw new DiscoveryError(`${description}: getService failed (${failure.summary})`, failure.throttled, {
          cause: error,
        });
      }
      if (!service.uri) return [];
      return [{ key: name, url: `${service.uri.replace(/\/+$/, '')}${path}`, capacity: serviceCapacity(service) }];
    },
  };
}

/**
 * maxInstanceCount x maxInstanceRequestConcurrency of a service's template, or undefined when
 * either is unset. Proto3 decodes an unset number as 0, so 0 also means "unset" here.
 */
export function serviceCapacity(service: CloudRunService): number | undefined {
  const maxInstances = service.template?.scaling?.maxInstanceCount ?? 0;
  const concurrency = service.template?.maxInstanceRequestConcurrency ?? 0;
  return maxInstances > 0 && concurrency > 0 ? maxInstances * concurrency : undefined;
}

export interface CloudRunClientOptions {
  /**
   * Unset: run.googleapis.com over gRPC. A URL (`http://127.0.0.1:8085`, a private endpoint):
   * REST fallback with that URL's protocol and port. A bare host (`europe-west1-run.googleapis.com`):
   * that host over gRPC.
   */
  readonly apiEndpoint?: string;
  /** Credentials to use instead of Application Default Credentials (tests pass a static token). */
  readonly authClient?: AuthClient;
}

const DEFAULT_PORT = { http: 80, https: 443 } as const;

/**
 * Builds a ServicesClient, loading the SDK on first use (lazy `import()`: the SDK and gRPC are
 * heavy and only Cloud Run tiers need them). Build one per process and share it.
 */
export async function createCloudRunClient(options: CloudRunClientOptions = {}): Promise<ServicesClient> {
  const { v2 } = await import('@google-cloud/run');
  const auth = options.authClient === undefined ? {} : { authClient: options.authClient };
  const endpoint = options.apiEndpoint;
  if (endpoint === undefined) return new v2.ServicesClient(auth);
  if (!/^https?:\/\//.test(endpoint)) return new v2.ServicesClient({ ...auth, apiEndpoint: endpoint });
  const url = new URL(endpoint);
  const protocol = url.protocol === 'http:' ? 'http' : 'https';
  // A plain-http endpoint is an emulator or a local test server, never Google's API: real
  // credentials must not travel over plaintext, so it gets a placeholder token unless given one.
  const emulatorAuth = protocol === 'http' && options.authClient === undefined ? { authClient: await placeholderAuth() } : auth;
  return new v2.ServicesClient({
    ...emulatorAuth,
    fallback: true,
    apiEndpoint: url.hostname,
    port: url.port === '' ? DEFAULT_PORT[protocol] : Number(url.port),
    protocol,
  });
}

/** An auth client with a fixed token that never expires and never refreshes. */
async function placeholderAuth(): Promise<AuthClient> {
  const { OAuth2Client } = await import('google-auth-library');
  const client = new OAuth2Client();
  client.setCredentials({ access_token: 'emulator', expiry_date: Number.MAX_SAFE_INTEGER });
  return client;
}
