/**
 * A `lambda://` entry's upstream, built at start-up without loading anything: its code (and the
 * Lambda SDK, which that code imports on its first invoke) loads on the first call, so runtimes
 * that configure no `lambda://` entry never load either, and those that do pay at first use.
 */
import type { LambdaBackendSpec } from '../config/backends';
import { UpstreamDialect } from '../core/upstream-dialect';
import type { Tier } from '../core/tier';
import type { Upstream } from '../upstream/upstream';

export interface LambdaEntryOptions {
  readonly id: string;
  readonly tier: Tier;
  readonly spec: LambdaBackendSpec;
  readonly dimension: number;
  /** Told of each cold invoke's time; the runtime records it as this endpoint's cold start. */
  readonly onColdStart: (durationMs: number) => void;
}

/** The upstream of one `lambda://` entry; its code loads on first use. */
export function createLazyLambdaUpstream(options: LambdaEntryOptions): Upstream {
  let loaded: Promise<Upstream> | undefined;
  const load = (): Promise<Upstream> => {
    loaded ??= Promise.all([import('./lambda-upstream'), import('./lambda-invoker')]).then(([{ createLambdaUpstream }, { createSdkLambdaInvoke }]) =>
      createLambdaUpstream({ ...options, invoke: createSdkLambdaInvoke(options.spec), now: () => performance.now() }));
    return loaded;
  };
  return {
    id: options.id,
    tier: options.tier,
    dialect: UpstreamDialect.lambda,
    capacity: options.spec.concurrency,
    payPerCall: true,
    embed: async (texts, call) => (await load()).embed(texts, call),
    ping: async (call) => (await load()).ping(call),
  };
}
