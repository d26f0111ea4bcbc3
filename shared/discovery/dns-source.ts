/**
 * Endpoints from DNS: the cheap discovery path for ECS service discovery / Cloud Map, which keep
 * an A record per running task (and SRV records carrying the port). No cloud SDK, no IAM: one UDP
 * question per refresh.
 */
import { promises as dnsPromises } from 'node:dns';
import { isIP } from 'node:net';
import { type DiscoveredEndpoint, DiscoveryError, type EndpointSource } from './endpoint-source';

/** The two lookups this source makes; a `dns.promises.Resolver` has both. */
export type DnsResolver = Pick<dnsPromises.Resolver, 'resolve4' | 'resolveSrv'>;

export interface DnsSourceOptions {
  readonly resolver: DnsResolver;
  /** The name to look up, e.g. `djl.embed.local` (Cloud Map namespace `embed.local`). */
  readonly name: string;
  /** Given: A records, one endpoint per address on this port. Undefined: SRV records carry the ports. */
  readonly port: number | undefined;
  /** The inference path appended to each address, e.g. `/predictions/all_MiniLM_L6_v2`. */
  readonly path: string;
  readonly scheme: 'http' | 'https';
}

/**
 * Answers that mean "the name has no such records": with Cloud Map that is a service with no
 * healthy tasks, a true empty list rather than a failure.
 */
const NO_RECORDS_CODES: ReadonlySet<string> = new Set([dnsPromises.NOTFOUND, dnsPromises.NODATA]);
/** Per-try timeout for the system resolver: a refresh should fail fast and keep the last endpoints. */
const RESOLVER_TIMEOUT_MS = 2_000;
/** Tries per server (c-ares defaults to 4, i.e. 20 s of waiting on a dead server). */
const RESOLVER_TRIES = 2;

/**
 * A DNS endpoint source. With `port`, each A record of `name` is one endpoint
 * (`scheme://ip:port/path`, key `ip:port`); without, each SRV record is one endpoint on its own
 * port, its target resolved through A records unless it is already an IP. NXDOMAIN and NODATA
 * resolve to an empty list (no tasks); timeouts, refusals and SERVFAIL reject with a DiscoveryError.
 */
export function createDnsSource(options: DnsSourceOptions): EndpointSource {
  const { resolver, name, port, scheme } = options;
  const path = options.path.startsWith('/') ? options.path : `/${options.path}`;
  const description = port === undefined ? `dns://${name}` : `dns://${name}:${port}`;

  const toEndpoint = (address: string, endpointPort: number): DiscoveredEndpoint => {
    const host = isIP(address) === 6 ? `[${address}]` : address;
    return { key: `${host}:${endpointPort}`, url: `${scheme}://${host}:${endpointPort}${path}` };
  };

  const lookup = async <T>(what: string, query: () => Promise<T[]>): Promise<T[]> => {
    try {
      return await query();
    } catch (error) {
      if (NO_RECORDS_CODES.has(errorCode(error))) return [];
      throw new DiscoveryError(`${description}: ${what} failed (${errorCode(error) || String(error)})`, false, {
        cause: error,
      });
    }
  };

  const discoverByAddress = async (addressPort: number): Promise<DiscoveredEndpoint[]> => {
    const addresses = await lookup(`A lookup of ${name}`, () => resolver.resolve4(name));
    return addresses.map((address) => toEndpoint(address, addressPort));
  };

  const discoverBySrv = async (): Promise<DiscoveredEndpoint[]> => {
    const records = await lookup(`SRV lookup of ${name}`, () => resolver.resolveSrv(name));
    const hostnames = [...new Set(records.map((record) => record.name).filter((target) => isIP(target) === 0))];
    // A target whose A records are gone is a task that stopped between the two lookups: skip it.
    const resolved = await Promise.all(
      hostnames.map(async (target) => [target, await lookup(`A lookup of ${target}`, () => resolver.resolve4(target))] as const),
    );
    const addressesOf = new Map(resolved);
    return records.flatMap((record) =>
      (addressesOf.get(record.name) ?? [record.name]).map((address) => toEndpoint(address, record.port)),
    );
  };

  return {
    description,
    async discover() {
      const found = port === undefined ? await discoverBySrv() : await discoverByAddress(port);
      // Two SRV targets can share an address; the key is the identity, so keep one of each.
      return [...new Map(found.map((endpoint) => [endpoint.key, endpoint])).values()];
    },
  };
}

/**
 * A resolver using the system's DNS servers, with a short timeout so a dead server fails a
 * refresh quickly. Tests point it elsewhere with `setServers(['127.0.0.1:PORT'])`.
 */
export function createSystemResolver(): dnsPromises.Resolver {
  return new dnsPromises.Resolver({ timeout: RESOLVER_TIMEOUT_MS, tries: RESOLVER_TRIES });
}

function errorCode(error: unknown): string {
  if (typeof error === 'object' && error !== null && 'code' in error && typeof error.code === 'string') return error.code;
  return '';
}
