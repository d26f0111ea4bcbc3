/**
 * Where a tier's endpoints come from when they are not a fixed list: ECS tasks, Cloud Run
 * services, DNS records. Every source implements only `discover`; caching, refresh, back-off and
 * keeping the last known endpoints on errors live in one place (discovery-refresher.ts), the
 * Powertools way (a provider base owns caching, each provider only makes its call).
 */

/** One endpoint a source found. */
export interface DiscoveredEndpoint {
  /** Stable identity across refreshes (a task ARN, a service name, an address): the same key is the same endpoint. */
  readonly key: string;
  /** The full inference URL to post to (`http://10.0.1.7:8080/predictions/all_MiniLM_L6_v2`). */
  readonly url: string;
  /**
   * When the endpoint started to exist (an ECS task's `createdAt`), epoch ms: its cold start is
   * timed from here rather than from when the front door first saw it. Undefined when unknown.
   */
  readonly startedAt?: number;
  /**
   * Batches it may hold at once, when the source knows better than the tier's `*_MAX_INFLIGHT`:
   * a Cloud Run service is one endpoint for all its instances (max instances x concurrency).
   */
  readonly capacity?: number;
}

export interface EndpointSource {
  /** For logs and errors, e.g. `ecs://cluster/service`; never credentials. */
  readonly description: string;
  /**
   * The endpoints now. Rejects with a DiscoveryError when the API fails (the refresher keeps the
   * last known endpoints); resolves with an empty list only when there really are none.
   */
  discover(): Promise<DiscoveredEndpoint[]>;
}

/** A discovery call failed. `throttled` asks the refresher to back off harder. */
export class DiscoveryError extends Error {
  override readonly name = 'DiscoveryError';

  constructor(message: string, readonly throttled = false, options?: { cause?: unknown }) {
    super(message, options);
  }
}
