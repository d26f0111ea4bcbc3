/**
 * Settings of endpoint discovery (`ecs://`, `cloudrun://`, `dns://` backends). Region and
 * credentials for AWS come from the SDK's own environment (`AWS_REGION`, the credential chain,
 * `AWS_ENDPOINT_URL_ECS`); for Google Cloud from Application Default Credentials.
 */
import type { EnvReader } from './env-reader';

export interface DiscoveryConfig {
  /** Time between refreshes of each source (±20% jitter). */
  readonly intervalMs: number;
  /** Longest wait between refreshes while a source keeps failing or is throttled. */
  readonly maxBackoffMs: number;
  /** Cloud Run Admin API endpoint override (`http://127.0.0.1:9090` in tests, a private endpoint). */
  readonly cloudRunApiEndpoint: string | undefined;
}

export const DISCOVERY_DEFAULTS = {
  // An ECS task takes 30-60 s to load its model, so 15 s finds a new one well before it is warm,
  // and hundreds of Lambda environments at one ListTasks + DescribeTasks each per 15 s stay far
  // below the ECS API's rate limits.
  intervalMs: 15_000,
  maxBackoffMs: 300_000,
} as const;

const ONE_HOUR_MS = 3_600_000;

export function readDiscoveryConfig(read: EnvReader): DiscoveryConfig {
  const endpoint = read.raw('CLOUD_RUN_API_ENDPOINT');
  if (endpoint !== undefined && !/^https?:\/\/[^/\s]+\/?$/.test(endpoint)) {
    read.problem(`CLOUD_RUN_API_ENDPOINT=${JSON.stringify(endpoint)}: expected a base URL such as https://run.googleapis.com or http://127.0.0.1:9090`);
  }
  return {
    intervalMs: read.int('DISCOVERY_INTERVAL_MS', DISCOVERY_DEFAULTS.intervalMs, { min: 100, max: ONE_HOUR_MS }),
    maxBackoffMs: read.int('DISCOVERY_MAX_BACKOFF_MS', DISCOVERY_DEFAULTS.maxBackoffMs, { min: 100, max: ONE_HOUR_MS }),
    cloudRunApiEndpoint: endpoint,
  };
}
