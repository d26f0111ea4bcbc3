/**
 * The warm-up over a process's dependencies: the scalers of its configured services (built once,
 * on first use, loading the cloud SDKs only then), its tiers' endpoints and measured cold starts.
 * The scheduled function, `npm run warmup` and `POST /warmup` all run it.
 */
import type { Tier } from '../core/tier';
import { createScalers, type TierScaler } from '../warmup/create-scalers';
import { runWarmup, type WarmupRunner } from '../warmup/run-warmup';
import type { Dependencies } from './create-dependencies';

/**
 * Warming may take this long in all: a Lambda warm-up function's timeout should exceed it (see
 * serverless.yml), and newly raised tasks load their model in 30-60 s.
 */
export const WARM_BUDGET_MS = 90_000;

export function createWarmupRunner(deps: Dependencies): WarmupRunner {
  let scalers: Promise<TierScaler[]> | undefined;
  return async (request) => {
    // A failure to build the clients is retried by the next run, not cached.
    scalers ??= createScalers(deps.config).catch((error: unknown) => {
      scalers = undefined;
      throw error;
    });
    await deps.ready();
    return runWarmup({
      config: deps.config.warmup,
      scalers: await scalers,
      upstreams: (tier: Tier) => deps.tiers[tier].endpoints.map((endpoint) => endpoint.upstream),
      coldStartP95Ms: (tier: Tier) => deps.tiers[tier].coldStarts.stats().p95Ms,
      scheduler: deps.scheduler,
      dryRun: request.dryRun,
      ...(request.at === undefined ? {} : { at: request.at }),
      warmBudgetMs: WARM_BUDGET_MS,
      write: request.write,
      ...(deps.telemetry === undefined ? {} : { events: deps.telemetry }),
    });
  };
}
