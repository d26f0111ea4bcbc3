/**
 * Builds everything the app needs from a parsed config: transport, upstream clients, the
 * dispatch engine. Entry points call this once at module scope and hand the result to
 * `createApp`.
 */
import { type DiscoveredBackendSpec, isDiscoveredSpec, isLambdaSpec } from '../config/backends';
import { createLazyLambdaUpstream } from '../aws/lazy-lambda-upstream';
import type { Tier } from '../core/tier';
import type { Config } from '../config/config';
import { needsIdToken, withIdToken } from '../gcp/cloud-run-auth';
import type { EndpointSource } from '../discovery/endpoint-source';
import { loadTierDiscovery } from '../discovery/load-tier-discovery';
import { createDispatchEmbedder } from '../dispatch/dispatch-embedder';
import { systemScheduler, type Scheduler } from '../dispatch/scheduler';
import { TierDispatcher } from '../dispatch/tier-dispatcher';
import type { AppDependencies } from '../http/app-env';
import type { MetricsSource } from '../http/metrics-route';
import { createLogger, type Logger } from '../logger';
import { createFrontDoorColdStart } from '../telemetry/front-door-cold-start';
import { noTelemetry, type Telemetry } from '../telemetry/telemetry';
import { createTierUpstreams, createUpstream, type LocalUpstreamFactory } from '../upstream/create-upstreams';
import type { DispatchSnapshot } from '../core/dispatch-snapshot';
import type { HttpTransport } from '../upstream/transport';
import type { Upstream } from '../upstream/upstream';
import { warnIfUnreachableAtStart } from '../upstream/unreachable-at-start';
import type { CacheSnapshot } from '../core/cache-events';
import { createCache } from './create-cache';

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
  /**
   * Time limit of an active /ping (default: the dispatch engine's 2 s). Tests whose backends
   * share the front door's process pass a longer one: on a loaded machine a stalled event loop
   * would otherwise read as every backend down.
   */
  readonly pingTimeoutMs?: number;
  /**
   * Builds the runtime's telemetry sink (Prometheus on a server, EMF on Lambda) once the dispatch
   * engine exists, since gauges read its snapshot. Default: none.
   */
  readonly telemetry?: (source: TelemetrySource) => Telemetry & Partial<MetricsSource>;
  /**
   * Serves `local:` entries with the in-process engine (`createLazyLocalUpstream`). Runtimes that
   * cannot run it (Lambda: no ONNX Runtime in the bundle) leave it out, and a `local:` entry is
   * refused at start-up with a message saying so.
   */
  readonly localEngine?: LocalUpstreamFactory;
  /** Builds discovery sources (tests pass their own); default: the cloud SDKs, loaded lazily. */
  readonly createSource?: (spec: DiscoveredBackendSpec) => Promise<EndpointSource>;
}

/** What a telemetry sink may read when it is built. */
export interface TelemetrySource {
  readonly snapshot: () => DispatchSnapshot;
  /** The embedding cache's state; undefined without a cache. */
  readonly cache: () => CacheSnapshot | undefined;
}

export interface Dependencies extends AppDependencies {
  /** The tiers' dispatchers (their endpoints and measured cold starts), for the warm-up. */
  readonly tiers: Readonly<Record<Tier, TierDispatcher>>;
  /** Resolves once discovery's first round is done (at once without discovered backends). */
  ready(): Promise<void>;
  /** Time and timers (the warm-up's retries). */
  readonly scheduler: Scheduler;
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
    cpu: createTierUpstreams('cpu', config, options.transport, logger, options.localEngine, options.runtime),
    gpu: createTierUpstreams('gpu', config, options.transport, logger, options.localEngine, options.runtime),
  };
  // The sink's gauges read the engine's snapshot, at scrape time only, after the engine exists.
  const sink = options.telemetry?.({ snapshot: () => embedder.snapshot(), cache: () => cache?.cacheSnapshot() });
  const events = sink ?? noTelemetry;
  const random = options.random ?? Math.random;
  const tier = (name: Tier): TierDispatcher => new TierDispatcher({
    tier: name,
    upstreams: upstreams[name],
    policy: {
      ...dispatch.tiers[name],
      batchMaxChars: dispatch.batchMaxChars,
      coalesceWindowMs: concurrent ? dispatch.coalesceWindowMs : 0,
      sendAheadMs: dispatch.sendAheadMs,
      queueMaxTexts: dispatch.queueMaxTexts,
      queueMaxChars: dispatch.queueMaxChars,
      tenantMaxTexts: dispatch.queueMaxTextsPerKey,
      upstreamTimeoutMs: Math.min(dispatch.tiers[name].upstreamTimeoutMs || config.timeouts.upstreamMs, config.timeouts.requestMs),
      maxAttempts: dispatch.maxAttempts,
      retryBudgetRatio: dispatch.retryBudgetRatio,
      retryMinPerSecond: dispatch.retryMinPerSecond,
      ejectAfterFailures: dispatch.ejectAfterFailures,
      ejectBaseMs: dispatch.ejectBaseMs,
      ejectMaxMs: dispatch.ejectMaxMs,
      slowStartMs: dispatch.slowStartMs,
      loadWindowMs: dispatch.overflow.holdMs,
    },
    scheduler,
    random,
    logger,
    events,
    discovered: config.tiers[name].some(isDiscoveredSpec),
  });

  const tiers = { cpu: tier('cpu'), gpu: tier('gpu') };
  // lambda:// entries join with their own slots (the entry's concurrency), before the engine's
  // health checkers are built; a cold invoke counts as the endpoint's cold start.
  for (const name of ['cpu', 'gpu'] as const) {
    tiers[name].addEndpoints(config.tiers[name].filter(isLambdaSpec).map((spec, index) => {
      const id = `${name}-lambda-${index}`;
      const onColdStart = (durationMs: number): void => {
        tiers[name].coldStarts.add(durationMs, id, scheduler.now());
        events.backendColdStart(name, id, durationMs);
        logger.info('backend_cold_start', { tier: name, endpoint: id, durationMs: Math.round(durationMs) });
      };
      const upstream = createLazyLambdaUpstream({ id, tier: name, spec, dimension: config.model.dimension, onColdStart });
      return { upstream, startedAt: undefined, capacity: spec.concurrency };
    }));
  }
  const discovered = (['cpu', 'gpu'] as const).flatMap((tierName) => config.tiers[tierName].filter(isDiscoveredSpec).map((spec) => ({ tier: tierName, spec })));
  const discovery = discovered.length === 0 ? undefined : loadTierDiscovery(({ createTierDiscovery, createEndpointSource }) => createTierDiscovery({
    entries: discovered,
    fixedCounts: { cpu: upstreams.cpu.length, gpu: upstreams.gpu.length },
    settings: config.discovery,
    targets: tiers,
    // A private Cloud Run service (https) wants a Google ID token on every call.
    createUpstream: (spec, url, id, tierName): Upstream => {
      const upstream = createUpstream(
        { source: 'static', dialect: spec.dialect, url, ...(spec.modelName === undefined ? {} : { modelName: spec.modelName }) },
        id, tierName, config, spec.source === 'cloudrun' && needsIdToken(url) ? withIdToken(options.transport, new URL(url).origin) : options.transport);
      // The first round's endpoints are the start's; later ones are new tasks, cold by nature.
      return discovery?.isReady === true ? upstream : warnIfUnreachableAtStart(upstream, url, logger);
    },
    createSource: options.createSource ?? ((spec) => createEndpointSource(spec, config.discovery)),
    scheduler,
    random,
    background: concurrent,
    logger,
    events,
  }), logger);
  // Started now: on Lambda the first discovery overlaps the init phase.
  void discovery?.ready();
  const engine = createDispatchEmbedder({
    ...tiers,
    scheduler,
    healthIntervalMs: concurrent ? dispatch.healthIntervalMs : 0,
    coldProbeIntervalMs: dispatch.coldProbeIntervalMs,
    ...(options.pingTimeoutMs === undefined ? {} : { pingTimeoutMs: options.pingTimeoutMs }),
    overflow: dispatch.overflow,
    events,
  });
  // Only the first request waits for discovery; later ones are served from what is known while
  // a stale source refreshes in the background.
  const embedder: typeof engine = discovery === undefined ? engine : {
    ...engine,
    embed: async (request) => {
      if (!discovery.isReady) await discovery.ready();
      discovery.refreshIfStale();
      return engine.embed(request);
    },
    close: async () => {
      discovery.stop();
      await engine.close();
    },
  };
  const cache = createCache(config, embedder, { scheduler, events, logger, concurrent });
  // Dependencies are built at module scope, so their end is the end of the runtime's init.
  const coldStart = createFrontDoorColdStart({
    processStartMs: performance.timeOrigin,
    initDoneMs: performance.timeOrigin + performance.now(),
    initializationType: config.runtime.initializationType,
    now: () => performance.timeOrigin + performance.now(),
    report: (figures) => {
      events.frontDoorColdStart(figures);
      logger.info('front_door_cold_start', { ...figures });
    },
  });
  return {
    config,
    embedder: cache ?? embedder,
    coldStart,
    clock: scheduler,
    logger,
    telemetry: events,
    tiers,
    scheduler,
    ready: async () => {
      await discovery?.ready();
    },
    ...(sink?.render !== undefined && sink.contentType !== undefined ? { metrics: sink as MetricsSource } : {}),
    runtime: options.runtime,
    close: async () => {
      await (cache ?? embedder).close();
      await Promise.all([...upstreams.cpu, ...upstreams.gpu].map(async (upstream) => upstream.close?.()));
      await options.transport.close();
    },
  };
}

