/**
 * An Upstream whose batches the test answers by hand: each call waits until the test resolves
 * or rejects it, so batching, ordering and failure handling can be checked step by step.
 */
import type { Tier } from '../../shared/core/tier';
import { type EndpointHealth, HealthState, type Upstream, type UpstreamCall } from '../../shared/upstream/upstream';
import type { UpstreamError } from '../../shared/upstream/upstream-error';

export interface FakeCall {
  readonly texts: readonly string[];
  readonly call: UpstreamCall;
  resolve(vectors?: number[][]): void;
  reject(error: UpstreamError): void;
}

/** A recognisable vector for a text: its length and first char code. */
export const fakeVector = (text: string): number[] => [text.length, text.charCodeAt(0) || 0];

export class FakeUpstream implements Upstream {
  readonly dialect = 'djl' as const;
  readonly calls: FakeCall[] = [];
  health: EndpointHealth = { state: HealthState.healthy };
  /** When set, every call is answered at once by this function. */
  auto: ((texts: readonly string[]) => number[][] | UpstreamError) | undefined;

  constructor(readonly id: string, readonly tier: Tier = 'cpu') {}

  embed(texts: readonly string[], call: UpstreamCall): Promise<number[][]> {
    return new Promise((resolve, reject) => {
      const answer = this.auto?.(texts);
      if (answer !== undefined) {
        if (Array.isArray(answer)) resolve(answer);
        else reject(answer);
        this.calls.push({ texts, call, resolve: () => {}, reject: () => {} });
        return;
      }
      this.calls.push({
        texts,
        call,
        resolve: (vectors) => resolve(vectors ?? texts.map(fakeVector)),
        reject,
      });
    });
  }

  async ping(): Promise<EndpointHealth> {
    return this.health;
  }
}
