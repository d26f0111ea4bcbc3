/**
 * Builds everything the app needs from a parsed config: transport, upstream clients, embedder.
 * Entry points call this once at module scope and hand the result to `createApp`.
 */
import { systemClock, type Clock } from '../clock';
import type { Config } from '../config/config';
import { createFailoverEmbedder } from '../embed/failover-embedder';
import type { AppDependencies } from '../http/app-env';
import { createLogger, type Logger } from '../logger';
import { createTierUpstreams } from '../upstream/create-upstreams';
import type { HttpTransport } from '../upstream/transport';

export interface DependencyOptions {
  readonly transport: HttpTransport;
  readonly runtime: string;
  readonly clock?: Clock;
  readonly logger?: Logger;
}

export interface Dependencies extends AppDependencies {
  /** Releases pooled connections; call on shutdown. */
  close(): Promise<void>;
}

export function createDependencies(config: Config, options: DependencyOptions): Dependencies {
  const clock = options.clock ?? systemClock;
  const logger = options.logger ?? createLogger(config.logLevel);
  const embedder = createFailoverEmbedder({
    tiers: {
      cpu: createTierUpstreams('cpu', config, options.transport),
      gpu: createTierUpstreams('gpu', config, options.transport),
    },
    clock,
    upstreamTimeoutMs: config.timeouts.upstreamMs,
  });
  return {
    config,
    embedder,
    clock,
    logger,
    runtime: options.runtime,
    close: async () => {
      await embedder.close();
      await options.transport.close();
    },
  };
}
