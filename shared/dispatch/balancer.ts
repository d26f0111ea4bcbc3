/**
 * Least outstanding work with the power of two choices: sample two endpoints that can take a
 * batch, send to the less loaded. Near-optimal balance without scanning, and without the herd
 * that "always the least loaded" causes when several dispatchers share stale views.
 */
import { type Endpoint, EndpointStatus, NO_SEND_AHEAD, type SendAhead } from './endpoint';

/**
 * Picks an endpoint that can take a batch now. A retried batch avoids the endpoints in `avoid`
 * (where it already failed) while any other endpoint is serving, even if that means waiting for
 * one to free up. When none has a free slot, a full one whose earliest batch is predicted to end
 * soon takes one batch ahead (see Endpoint.canTakeAhead), the soonest to end first.
 * Returns undefined when none can take it now.
 */
export function pickEndpoint(
  endpoints: readonly Endpoint[],
  now: number,
  random: () => number,
  avoid?: ReadonlySet<string>,
  ahead: SendAhead = NO_SEND_AHEAD,
): Endpoint | undefined {
  let pool = endpoints;
  if (avoid !== undefined && avoid.size > 0) {
    const fresh = endpoints.filter((endpoint) => !avoid.has(endpoint.id) && endpoint.status(now) === EndpointStatus.ready);
    if (fresh.length > 0) pool = fresh;
  }
  let candidates = pool.filter((endpoint) => endpoint.canTake(now));
  if (candidates.length === 0) return soonestAhead(pool, now, ahead);
  // Endpoints paid per call (lambda://) take only what the always-on ones of the tier cannot.
  if (candidates.length > 1 && candidates.some((endpoint) => endpoint.upstream.payPerCall === true)) {
    const alwaysOn = candidates.filter((endpoint) => endpoint.upstream.payPerCall !== true);
    if (alwaysOn.length > 0) candidates = alwaysOn;
  }
  if (candidates.length <= 1) return candidates[0];
  const first = Math.floor(random() * candidates.length);
  // A second, distinct index.
  const second = (first + 1 + Math.floor(random() * (candidates.length - 1))) % candidates.length;
  const a = candidates[first] as Endpoint;
  const b = candidates[second] as Endpoint;
  return b.load(now) < a.load(now) ? b : a;
}

function soonestAhead(pool: readonly Endpoint[], now: number, ahead: SendAhead): Endpoint | undefined {
  if (ahead.ms <= 0) return undefined;
  let soonest: Endpoint | undefined;
  for (const endpoint of pool) {
    if (endpoint.canTakeAhead(now, ahead) && (soonest === undefined || endpoint.earliestEnd < soonest.earliestEnd)) soonest = endpoint;
  }
  return soonest;
}
