/**
 * The security section of the configuration: API keys (API_KEYS, API_KEYS_FILE), their default
 * per-key limits, which routes need a key, CORS, the client timeout and, with no keys, the Host
 * names accepted (ALLOWED_HOSTS). Read by parseConfig; each
 * key and default is documented in docs/configuration.md (and docs/security.md).
 */
import { type ApiKeyEntry, findDuplicateKeys, parseApiKeyEntries } from '../security/api-keys';
import { ANY_HOST } from '../security/host-guard';
import type { EnvReader } from './env-reader';

export interface SecurityConfig {
  /** Configured keys (digests only); empty: the front door runs open. */
  readonly keys: readonly ApiKeyEntry[];
  /** Requests/s per key when its entry sets none; 0: unlimited. */
  readonly defaultRps: number;
  /** Texts/s per key when its entry sets none; 0: unlimited. */
  readonly defaultTps: number;
  /** With keys configured, whether /info and /metrics need an operator key (POST /warmup always does). */
  readonly protectOperatorRoutes: boolean;
  /** Origins allowed by CORS; empty: no CORS headers at all. `*` allows any. */
  readonly corsOrigins: readonly string[];
  /** Time a client has to send its whole request, headers and body (slow-client guard). */
  readonly clientBodyTimeoutMs: number;
  /**
   * Open mode only (no keys): Host names accepted besides loopback names, IP literals and HOST
   * (the DNS-rebinding guard; Node server only). `*` turns the guard off; the default on Cloud
   * Run, whose front end routes by Host and never passes a stranger's name through.
   */
  readonly allowedHosts: readonly string[];
}

export const SECURITY_DEFAULTS = {
  defaultRps: 100,
  defaultTps: 10_000,
  protectOperatorRoutes: true,
  // Node's own default is 300 s: far too long a hold on a socket for a 6 MB body.
  clientBodyTimeoutMs: 30_000,
} as const;

/** Below this a timeout would cut off ordinary clients on a busy network. */
const MIN_CLIENT_TIMEOUT_MS = 100;
const ONE_HOUR_MS = 3_600_000;
const MAX_RATE = 1_000_000;
/** An ALLOWED_HOSTS entry: `*`, a DNS name, or `*.` and a DNS name (its subdomains). */
const HOST_ENTRY = /^(\*|(\*\.)?[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*)$/i;
/** Set by Cloud Run (and Cloud Functions), whose front end routes by Host: the Node server runs there too. */
const HOST_ROUTING_PLATFORM_KEY = 'K_SERVICE';

function readAllowedHosts(read: EnvReader): string[] {
  const entries = read.list('ALLOWED_HOSTS');
  if (entries.length === 0) {
    return read.raw(HOST_ROUTING_PLATFORM_KEY) !== undefined ? [ANY_HOST] : [];
  }
  entries.forEach((entry, index) => {
    if (!HOST_ENTRY.test(entry)) {
      read.problem(`ALLOWED_HOSTS: entry ${index + 1} is not a host name: expected names like api.example.com or *.example.com (no port), or * alone to allow any`);
    }
  });
  return entries.map((entry) => entry.toLowerCase());
}

/**
 * Reads API_KEYS_FILE. node:fs comes through getBuiltinModule, not `import`: an ESM import of
 * node:fs builds a facade over all its exports, which loads Node's streams: about 2 ms of every
 * Lambda cold start, for a file most deployments never name (see `npm run bench:bundle`).
 */
function readUtf8File(path: string): string {
  return process.getBuiltinModule('node:fs').readFileSync(path, 'utf8');
}

/** Reads a file of key entries: one per line, blank lines and `#` comments ignored. */
export const readKeyFileLines = (text: string): string[] =>
  text.split(/\r?\n/).map((line) => line.replace(/#.*$/, '').trim()).filter((line) => line !== '');

export function readSecurityConfig(read: EnvReader, readText: (path: string) => string = readUtf8File): SecurityConfig {
  const keys: ApiKeyEntry[] = [];
  const fromEnv = parseApiKeyEntries('API_KEYS', read.list('API_KEYS'));
  keys.push(...fromEnv.entries);
  for (const problem of fromEnv.problems) read.problem(problem);

  const file = read.raw('API_KEYS_FILE');
  if (file !== undefined) {
    let text: string | undefined;
    try {
      text = readText(file);
    } catch (error) {
      read.problem(`API_KEYS_FILE=${JSON.stringify(file)}: cannot be read (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
    }
    if (text !== undefined) {
      const fromFile = parseApiKeyEntries('API_KEYS_FILE', readKeyFileLines(text));
      keys.push(...fromFile.entries);
      for (const problem of fromFile.problems) read.problem(problem);
    }
  }
  for (const problem of findDuplicateKeys(keys)) read.problem(problem);

  return {
    keys,
    defaultRps: read.int('API_KEY_RPS', SECURITY_DEFAULTS.defaultRps, { min: 0, max: MAX_RATE }),
    defaultTps: read.int('API_KEY_TPS', SECURITY_DEFAULTS.defaultTps, { min: 0, max: MAX_RATE }),
    protectOperatorRoutes: read.bool('PROTECT_OPERATOR_ROUTES', SECURITY_DEFAULTS.protectOperatorRoutes),
    corsOrigins: read.list('CORS_ORIGINS'),
    clientBodyTimeoutMs: read.int('CLIENT_BODY_TIMEOUT_MS', SECURITY_DEFAULTS.clientBodyTimeoutMs, { min: MIN_CLIENT_TIMEOUT_MS, max: ONE_HOUR_MS }),
    allowedHosts: readAllowedHosts(read),
  };
}
