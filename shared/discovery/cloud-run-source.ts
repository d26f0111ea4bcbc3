/**
 * A Cloud Run service as an endpoint source. Cloud Run balances across its own instances behind
 * one URL, so a service is one endpoint: the front door balances across services (regions), not
 * across instances. The SDK is only a type here; `createCloudRunClient` loads it lazily, so
 * nothing on the embed path pays for it unless a Cloud Run tier is configured.
 */
import type { protos, ServicesClient } from '@google-cloud/run';
import type { AuthClient } from 'google-auth-library';
import { type DiscoveredEndpoint, DiscoveryError, type EndpointSource } from './endpoint-source';

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

/** HTTP statuses and google.rpc codes (gRPC transport) that the API uses for "slow down". */
const THROTTLED_HTTP_STATUS = 429;
const GRPC_RESOURCE_EXHAUSTED = 8;
const GRPC_NOT_FOUND = 5;
const HTTP_NOT_FOUND = 404;

/** What a failed Cloud Run Admin API call means, for error messages and back-off. */
export interface CloudRunFailure {
  readonly throttled: boolean;
  readonly notFound: boolean;
  /** Short text for logs: the status and the API's message, never credentials. */
  readonly summary: string;
}

/**
 * Classifies a client error. Over gRPC the client throws a GoogleError whose `code` is a
 * google.rpc code (8 = RESOURCE_EXHAUSTED). In REST fallback, google-gax 5 with gaxios 7 lets the
 * GaxiosError through as it is: `code` and `status` are the HTTP status (429) and the Google error
 * body is only in the message (gax-nodejs#1803). Both shapes are handled here.
 */
export function describeCloudRunError(error: unknown): CloudRunFailure {
  const fields = typeof error === 'object' && error !== null ? (error as Record<string, unknown>) : {};
  const code = fields['code'];
  const status = fields['status'];
  const message = error instanceof Error ? error.message : String(error);
  const throttled =
    code === GRPC_RESOURCE_EXHAUSTED ||
    code === THROTTLED_HTTP_STATUS ||
    status === THROTTLED_HTTP_STATUS ||
    message.includes('RESOURCE_EXHAUSTED');
  const notFound = code === GRPC_NOT_FOUND || code === HTTP_NOT_FOUND || status === HTTP_NOT_FOUND;
  const label = typeof code === 'number' || typeof code === 'string' ? `code ${code}: ` : '';
  return { throttled, notFound, summary: `${label}${googleMessage(message)}` };
}

/** The `message` of a Google JSON error body when the text is one, else the text itself. */
function googleMessage(text: string): string {
  try {
    const parsed: unknown = JSON.parse(text);
    const inner = (parsed as { error?: { message?: unknown; status?: unknown } }).error;
    if (typeof inner?.message === 'string') {
      return typeof inner.status === 'string' ? `${inner.status} ${inner.message}` : inner.message;
    }
  } catch {
    // not JSON: the message is already plain text
  }
  return text;
}
