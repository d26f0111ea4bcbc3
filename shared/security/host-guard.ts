/**
 * The DNS-rebinding guard for open mode (no API keys). A web page can make a browser send
 * requests to a name it controls that resolves to this server; the browser then treats the answers
 * as same-origin and lets the page read them. Such a request carries the attacker's name in
 * `Host`, so with no keys to check, the front door accepts only Host values it can vouch for:
 * loopback names, IP literals (a rebinding needs a DNS name), the configured HOST, and
 * ALLOWED_HOSTS. Keys make it unnecessary: a page cannot know one.
 */
import type { MiddlewareHandler } from 'hono';
import { ErrorCode, FrontDoorError } from '../errors';

/** ALLOWED_HOSTS' entry that turns the guard off. */
export const ANY_HOST = '*';

const IPV4_LITERAL = /^\d{1,3}(\.\d{1,3}){3}$/;
/** Wildcard listen addresses, which name no host. */
const WILDCARD_ADDRESSES: ReadonlySet<string> = new Set(['0.0.0.0', '::', '[::]', '']);
/** RFC 6761: `localhost` and names under it always resolve to loopback. */
const LOOPBACK_NAME = 'localhost';

/** The host name of a Host header, lower-cased, without port or trailing dot; IPv6 keeps its brackets. */
export function hostNameOf(header: string): string {
  const value = header.trim().toLowerCase();
  if (value.startsWith('[')) return value.slice(0, value.indexOf(']') + 1);
  return value.replace(/:\d*$/, '').replace(/\.$/, '');
}

/**
 * Whether a Host header may reach the app in open mode. `allowed` holds exact names and
 * `*.example.com` suffix patterns; the listen host counts when it is a name.
 */
export function isHostAllowed(header: string | undefined, allowed: readonly string[], listenHost: string): boolean {
  // HTTP/1.0 clients may omit Host; browsers never do, so a rebinding always has one.
  if (header === undefined) return true;
  const name = hostNameOf(header);
  if (name.startsWith('[') || IPV4_LITERAL.test(name)) return true;
  if (name === LOOPBACK_NAME || name.endsWith(`.${LOOPBACK_NAME}`)) return true;
  const listen = listenHost.trim().toLowerCase();
  if (!WILDCARD_ADDRESSES.has(listen) && name === listen) return true;
  return allowed.some((entry) => entry === ANY_HOST || entry === name || (entry.startsWith('*.') && name.endsWith(entry.slice(1))));
}

export interface HostGuardOptions {
  /** ALLOWED_HOSTS' entries, lower-cased. */
  readonly allowedHosts: readonly string[];
  /** HOST, the address the server listens on. */
  readonly listenHost: string;
}

/** Throws the 403 `host_not_allowed` for a Host header this server cannot vouch for. */
export type HostCheck = (header: string | undefined) => void;

export function createHostCheck(options: HostGuardOptions): HostCheck {
  const allowed = options.allowedHosts.map((entry) => entry.toLowerCase());
  return (header) => {
    if (!isHostAllowed(header, allowed, options.listenHost)) {
      throw new FrontDoorError(403, ErrorCode.hostNotAllowed,
        'this Host name is not allowed while no API keys are set (a DNS-rebinding guard): add it to ALLOWED_HOSTS, ' +
          'call by IP address or localhost, or set API_KEYS (see docs/security.md)');
    }
  };
}

/** Refuses, with 403 `host_not_allowed`, a request whose Host `check` cannot vouch for. */
export function createHostGuard(check: HostCheck): MiddlewareHandler {
  return async (c, next) => {
    check(c.req.header('host'));
    await next();
  };
}
