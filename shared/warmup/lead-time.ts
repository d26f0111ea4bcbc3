/** How far ahead of a burst the warm-up raises a service's minimum. */
import type { WarmupConfig } from '../config/warmup-config';

const SECOND_MS = 1_000;

/**
 * How long before a burst its minimum is raised: the configured override, else the measured
 * backend cold-start p95 plus the margin, else the fallback (nothing measured yet).
 */
export function leadTimeMs(
  config: Pick<WarmupConfig, 'leadSeconds' | 'leadMarginSeconds' | 'fallbackLeadSeconds'>,
  measuredP95Ms: number | undefined,
): number {
  if (config.leadSeconds !== undefined) return config.leadSeconds * SECOND_MS;
  // A NaN or negative p95 is a measurement bug, not a cold start: treat it as not measured.
  if (measuredP95Ms !== undefined && Number.isFinite(measuredP95Ms) && measuredP95Ms >= 0) {
    return measuredP95Ms + config.leadMarginSeconds * SECOND_MS;
  }
  return config.fallbackLeadSeconds * SECOND_MS;
}
