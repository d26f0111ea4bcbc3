/**
 * A configured backend that nothing answers at start (a wrong host or port in CPU_BACKENDS, a
 * service not up yet) is worth one warning line naming it: otherwise it shows only as 503s, or not
 * at all while another endpoint serves. Wraps an HTTP upstream so its first health probe logs
 * {@link BACKEND_UNREACHABLE} when it finds the backend down: the start-up round on a server, the
 * first on-demand probe on Lambda (which has no background probes), a discovered endpoint's first
 * probe. Later probes stay quiet: ejections and cold starts have their own lines.
 */
import type { Logger } from '../logger';
import { HealthState, type Upstream } from './upstream';

/** The log event: `{"level":"warn","event":"backend_unreachable","tier":"cpu","endpoint":"cpu-1","address":"10.0.0.5:8080",...}`. */
export const BACKEND_UNREACHABLE = 'backend_unreachable';

const DEFAULT_PORTS: Readonly<Record<string, string>> = { 'http:': '80', 'https:': '443' };

/** `host:port` of a URL, the port spelled out: all a log may name of it (never its path, query or credentials). */
export function hostPort(url: string): string {
  const parsed = new URL(url);
  return `${parsed.hostname}:${parsed.port || (DEFAULT_PORTS[parsed.protocol] ?? '')}`;
}

/** `upstream`, whose first ping logs a warning when the backend at `url` cannot be reached. */
export function warnIfUnreachableAtStart(upstream: Upstream, url: string, logger: Logger): Upstream {
  const address = hostPort(url);
  let probed = false;
  return {
    id: upstream.id,
    tier: upstream.tier,
    dialect: upstream.dialect,
    embed: (texts, call) => upstream.embed(texts, call),
    async ping(call) {
      // Claimed before the await: two probes racing at start still make one line.
      const first = !probed;
      probed = true;
      const health = await upstream.ping(call);
      if (first && health.state === HealthState.down) {
        logger.warn(BACKEND_UNREACHABLE, {
          tier: upstream.tier,
          endpoint: upstream.id,
          address,
          message: 'nothing answered its health check at start: connection refused, unknown host or no answer in time',
        });
      }
      return health;
    },
    ...(upstream.close === undefined ? {} : { close: () => upstream.close?.() ?? Promise.resolve() }),
  };
}
