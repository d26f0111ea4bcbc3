/**
 * Turns a source's successive endpoint lists into endpoints joining and leaving a tier. Each
 * endpoint keeps its id while it exists; ids are reused from the lowest free number, so metrics
 * labels stay bounded by the most endpoints a tier ever had at once, not by task churn.
 */
import type { Tier } from '../core/tier';
import type { JoiningEndpoint } from '../dispatch/tier-dispatcher';
import type { Upstream } from '../upstream/upstream';
import type { DiscoveredEndpoint } from './endpoint-source';

/** What membership changes act on: the tier's dispatcher. */
export interface MembershipTarget {
  /** One round's newcomers, as one batch: the target decides once whether they wait for a probe. */
  addEndpoints(joining: readonly JoiningEndpoint[]): void;
  removeEndpoint(id: string): void;
}

/** Hands out `cpu-3`-style ids, reusing freed ones; fixed endpoints hold the first numbers. */
export class EndpointIds {
  private readonly used = new Set<number>();

  constructor(private readonly tier: Tier, fixedCount: number) {
    for (let index = 0; index < fixedCount; index++) this.used.add(index);
  }

  take(): string {
    let index = 0;
    while (this.used.has(index)) index++;
    this.used.add(index);
    return `${this.tier}-${index}`;
  }

  release(id: string): void {
    this.used.delete(Number(id.slice(this.tier.length + 1)));
  }
}

export interface EndpointMembershipOptions {
  readonly ids: EndpointIds;
  readonly target: MembershipTarget;
  /** Builds the client for a discovered endpoint. */
  readonly createUpstream: (url: string, id: string) => Upstream;
}

/** One source's share of a tier's endpoints. */
export class EndpointMembership {
  /** Source key -> endpoint id and the URL it was created for. */
  private readonly members = new Map<string, { id: string; url: string }>();

  constructor(private readonly options: EndpointMembershipOptions) {}

  get size(): number {
    return this.members.size;
  }

  /**
   * Applies a fresh list: new keys join, missing keys leave, a key whose URL changed is replaced.
   * The round's newcomers join in one call, so they are not held back from each other.
   */
  update(endpoints: readonly DiscoveredEndpoint[]): { added: number; removed: number } {
    const { ids, target, createUpstream } = this.options;
    const fresh = new Map(endpoints.map((endpoint) => [endpoint.key, endpoint]));
    let removed = 0;
    for (const [key, member] of this.members) {
      if (fresh.get(key)?.url === member.url) continue;
      target.removeEndpoint(member.id);
      ids.release(member.id);
      this.members.delete(key);
      removed++;
    }
    const joining: JoiningEndpoint[] = [];
    for (const endpoint of fresh.values()) {
      if (this.members.has(endpoint.key)) continue;
      const id = ids.take();
      joining.push({ upstream: createUpstream(endpoint.url, id), startedAt: endpoint.startedAt, capacity: endpoint.capacity });
      this.members.set(endpoint.key, { id, url: endpoint.url });
    }
    target.addEndpoints(joining);
    return { added: joining.length, removed };
  }
}
