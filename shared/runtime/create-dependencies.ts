/**
 * Builds everything the app needs from a parsed config: transport, upstream clients, the
 * dispatch engine. Entry points call this once at module scope and hand the result to
 * `createApp`.
 */
import type { Tier } from '../config/backends';
import type { Config } from '../config/config';
import { createDispatchEmbedder } from '../dispatch/dispatch-embedder';
import { systemScheduler, type Scheduler } from '../dispatch/scheduler';
import { TierDispatcher } from '../dispatch/tier-dispatcher';
import type { AppDependencies } from '../http/app-env';
import { createLogger, type Logger } from '../logger';
import { createTierUpstreams } from '../upstream/create-upstreams';
import type { HttpTransport } from '../upstream/transport';
import type { Upstream } from '../upstream/upstream';

export interface DependencyOptions {
  readonly transport: HttpTransport;
  readonly runtime: string;
  readonly scheduler?: Scheduler;
  readonly random?: () => number;
  readonly logger?: Logger;
  /**
   * False on runtimes that serve one request per instance (Lambda): no coalescing window, and
   * no background health probes (a frozen environment cannot run them; health is probed on demand).
   */
  readonly concurrentRequests?: boolean;
}

export interface Dependencies extends AppDependencies {
  /** Stops background work and releases pooled connections; call on shutdown. */
  close(): Promise<void>;
}

export function createDependencies(config: Config, options: DependencyOptions): Dependencies {
  const scheduler = options.scheduler ?? systemScheduler;
  const logger = options.logger ?? createLogger(config.logLevel);
  const concurrent = options.concurrentRequests ?? true;
  const dispatch = config.dispatch;

  // Built here, not inside each dispatcher, so shutdown can release what upstreams hold
  // themselves (the in-process engine's worker threads).
  const upstreams: Record<Tier, Upstream[]> = {
    cpu: createTierUpstreams('cpu', config, options.transport, logger),
    gpu: createTierUpstreams('gpu', config, options.transport, logger),
  };
  const tier = (name: Tier): TierDispatcher => new TierDispatcher({
    tier: name,
    upstreams: upstreams[name],
    policy: {
      ...dispatch.tiers[name],
      batchMaxChars: dispatch.batchMaxChars,
      coalesceWindowMs: concurrent ? dispatch.coalesceWindowMs : 0,
      queueMaxTexts: dispatch.queueMaxTexts,
      upstreamTimeoutMs: config.timeouts.upstreamMs,
      maxAttempts: dispatch.maxAttempts,
      retryBudgetRatio: dispatch.retryBudgetRatio,
      retryMinPerSecond: dispatch.retryMinPerSecond,
      ejectAfterFailures: dispatch.ejectAfterFailures,
      ejectBaseMs: dispatch.ejectBaseMs,
      ejectMaxMs: dispatch.ejectMaxMs,
      slowStartMs: dispatch.slowStartMs,
    },
    scheduler,
    random: options.random ?? Math.random,
    logger,
  });

  const embedder = createDispatchEmbedder({
    cpu: tier('cpu'),
    gpu: tier('gpu'),
    scheduler,
    healthIntervalMs: concurrent ? dispatch.healthIntervalMs : 0,
  });
  return {
    config,
    embedder,
    clock: scheduler,
    logger,
    runtime: options.runtime,
    close: async () => {
      await embedder.close();
      await Promise.all([...upstreams.cpu, ...upstreams.gpu].map((upstream) => upstream.close?.()));
      await options.transport.close();
    },
  };
}
