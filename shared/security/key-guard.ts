/**
 * The API-key guard: a check (and a Hono middleware running it) that finds the caller's key, refuses a missing or unknown
 * one with 401 (one message for both, so a caller learns nothing about what was close), and
 * charges the key's requests/s bucket; the operator guard after it refuses a client key with 403. Texts are charged later, once the body is parsed, through
 * the `caller` it leaves on the context. Buckets exist per configured key, built once here, so
 * memory stays bounded whatever callers send. Limits are per process (per Lambda environment).
 */
import type { MiddlewareHandler } from 'hono';
import type { Clock } from '../clock';
import { ErrorCode, FrontDoorError } from '../errors';
import { type ApiKeyEntry, ApiKeyRole, KeyRing } from './api-keys';
import { TokenBucket } from './token-bucket';

/** What a guarded route knows about its caller. */
export interface KeyCaller {
  /** The key's configured name (never the key). */
  readonly name: string;
  readonly role: ApiKeyRole;
  /** Charges `count` texts to the key; throws a 429 FrontDoorError when it is over its texts/s. */
  chargeTexts(count: number): void;
}

export interface KeyGuardEnv {
  Variables: { caller: KeyCaller | undefined };
}

export interface KeyGuardOptions {
  readonly keys: readonly ApiKeyEntry[];
  /** Requests/s and texts/s of a key whose entry sets none; 0: unlimited. */
  readonly defaultRps: number;
  readonly defaultTps: number;
  readonly clock: Clock;
}

/** The headers a key is read from, in order: OpenAI clients, then Azure-style clients. */
export const KEY_HEADERS = ['authorization', 'api-key', 'x-api-key'] as const;

const UNAUTHORIZED_MESSAGE = 'a valid API key is required: send it as "Authorization: Bearer <key>" ' +
  '(or in an "api-key" or "x-api-key" header)';
const BEARER = /^bearer[ \t]+(\S.*)$/i;

/** The key a request presents, or undefined. */
export function presentedKey(header: (name: string) => string | undefined): string | undefined {
  const authorization = header('authorization');
  if (authorization !== undefined) {
    const bearer = BEARER.exec(authorization.trim())?.[1]?.trim();
    if (bearer !== undefined && bearer !== '') return bearer;
  }
  for (const name of KEY_HEADERS.slice(1)) {
    const value = header(name)?.trim();
    if (value !== undefined && value !== '') return value;
  }
  return undefined;
}

const bucketFor = (rate: number, clock: Clock): TokenBucket | undefined =>
  rate > 0 ? new TokenBucket({ ratePerS: rate }, clock) : undefined;

function rateLimited(name: string, what: string, rate: number, retryAfterSeconds: number): FrontDoorError {
  return new FrontDoorError(429, ErrorCode.rateLimited,
    `API key ${name} is over its limit of ${rate} ${what} per second: retry after the Retry-After seconds`,
    { retryAfterSeconds });
}

/**
 * Finds a request's caller from its headers and charges the key's requests/s bucket; throws the
 * 401 or 429 FrontDoorError. What the key guard middleware runs, and the Node server's fast lane.
 */
export type KeyCheck = (header: (name: string) => string | undefined) => KeyCaller;

export function createKeyCheck(options: KeyGuardOptions): KeyCheck {
  const ring = new KeyRing(options.keys);
  const callers = new Map<ApiKeyEntry, { requests: TokenBucket | undefined; caller: KeyCaller }>();
  for (const entry of options.keys) {
    const rps = entry.rps ?? options.defaultRps;
    const tps = entry.tps ?? options.defaultTps;
    const texts = bucketFor(tps, options.clock);
    callers.set(entry, {
      requests: bucketFor(rps, options.clock),
      caller: {
        name: entry.name,
        role: entry.role,
        chargeTexts: (count) => {
          const taken = texts?.take(count) ?? { ok: true };
          if (!taken.ok) throw rateLimited(entry.name, 'texts', tps, taken.retryAfterSeconds);
        },
      },
    });
  }

  return (header) => {
    const key = presentedKey(header);
    const entry = key === undefined ? undefined : ring.find(key);
    const known = entry === undefined ? undefined : callers.get(entry);
    if (entry === undefined || known === undefined) throw new FrontDoorError(401, ErrorCode.unauthorized, UNAUTHORIZED_MESSAGE);
    const taken = known.requests?.take() ?? { ok: true };
    if (!taken.ok) throw rateLimited(entry.name, 'requests', entry.rps ?? options.defaultRps, taken.retryAfterSeconds);
    return known.caller;
  };
}

/** The key guard as a Hono middleware over `check` (one check, and its buckets, for every path it guards). */
export function createKeyGuard<E extends KeyGuardEnv = KeyGuardEnv>(check: KeyCheck): MiddlewareHandler<E> {
  return async (c, next) => {
    c.set('caller', check((name) => c.req.header(name)));
    await next();
  };
}

/**
 * Refuses a caller whose key is not an operator's with 403; runs after the key guard, which has
 * already refused a missing or unknown key with 401 (so no caller at all cannot happen here, and
 * is refused the same way if a route is ever registered without the key guard).
 */
export function createOperatorGuard(): MiddlewareHandler<KeyGuardEnv> {
  return async (c, next) => {
    const caller = c.get('caller');
    if (caller === undefined) throw new FrontDoorError(401, ErrorCode.unauthorized, UNAUTHORIZED_MESSAGE);
    if (caller.role !== ApiKeyRole.operator) {
      throw new FrontDoorError(403, ErrorCode.operatorKeyRequired,
        `this route needs an operator key: API key ${caller.name} is a ${caller.role} key; use a key whose API_KEYS entry ends in ` +
        ':role=operator (npm run key:new -- --role operator makes one)');
    }
    await next();
  };
}
