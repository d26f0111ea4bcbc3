/**
 * API keys, stored only as SHA-256 digests. An entry is `[name:]sha256hex[:rps=N][:tps=N][:role=R]`:
 *
 * - `sha256hex`: 64 hex digits, the SHA-256 of the key (`npm run key:new` prints both);
 * - `name`: optional, letters, digits, `.`, `_`, `-` (at most 64); it names the key in logs and
 *   limits, and defaults to `key-` and the digest's first 8 digits;
 * - `rps=N`, `tps=N`: optional requests/s and texts/s for this key (`0`: unlimited), overriding
 *   API_KEY_RPS and API_KEY_TPS;
 * - `role=operator` or `role=client` (the default): only an operator key may run POST /warmup or,
 *   with PROTECT_OPERATOR_ROUTES, read /info and /metrics.
 *
 * Several entries may be active at once, which is how keys are rotated. A presented key is hashed
 * and compared with every configured digest by `timingSafeEqual`, with no early exit, so the time
 * taken says nothing about which digest, or which part of one, came close.
 */
/**
 * node:crypto, loaded on first use rather than at import: it costs about 5 ms of a Lambda cold
 * start, and a front door without keys never needs it (see `npm run bench:bundle`).
 */
const nodeCrypto = (): typeof import('node:crypto') => process.getBuiltinModule('node:crypto');

export interface ApiKeyLimits {
  /** Requests per second; undefined: the configured default. 0: unlimited. */
  readonly rps: number | undefined;
  /** Texts per second; undefined: the configured default. 0: unlimited. */
  readonly tps: number | undefined;
}

/** What a key may do: `client` embeds; `operator` also warms up and reads /info and /metrics. */
export const ApiKeyRole = { client: 'client', operator: 'operator' } as const;
export type ApiKeyRole = (typeof ApiKeyRole)[keyof typeof ApiKeyRole];

const ROLES: readonly string[] = Object.values(ApiKeyRole);

export interface ApiKeyEntry extends ApiKeyLimits {
  readonly name: string;
  /** Lower-case hex SHA-256 of the key. */
  readonly sha256: string;
  readonly role: ApiKeyRole;
}

export interface ParsedApiKeys {
  readonly entries: ApiKeyEntry[];
  readonly problems: string[];
}

const DIGEST_PATTERN = /^[0-9a-f]{64}$/i;
const NAME_PATTERN = /^[A-Za-z0-9._-]{1,64}$/;
const LIMIT_PATTERN = /^(rps|tps)=(\d+(?:\.\d+)?)$/;
const ROLE_PATTERN = /^role=(.*)$/;
const ENTRY_FORMAT = '[name:]sha256hex[:rps=N][:tps=N][:role=operator]';
const DEFAULT_NAME_DIGITS = 8;

/** The lower-case hex SHA-256 of a key, as configured in API_KEYS. */
export function hashApiKey(key: string): string {
  return nodeCrypto().createHash('sha256').update(key, 'utf8').digest('hex');
}

/**
 * Parses entries (from API_KEYS or API_KEYS_FILE); `source` names where they came from in the
 * problems. A bad entry is named by its position, never echoed: it may be a key pasted by mistake.
 */
export function parseApiKeyEntries(source: string, lines: readonly string[]): ParsedApiKeys {
  const entries: ApiKeyEntry[] = [];
  const problems: string[] = [];
  lines.forEach((line, index) => {
    const where = `${source} entry ${index + 1}`;
    const parts = line.trim().split(':').map((part) => part.trim());
    const digestAt = parts.findIndex((part) => DIGEST_PATTERN.test(part));
    if (digestAt < 0 || digestAt > 1) {
      problems.push(`${where}: expected ${ENTRY_FORMAT} with the key's 64-digit SHA-256 ` +
        '(npm run key:new prints it); never the key itself');
      return;
    }
    const sha256 = parts[digestAt]!.toLowerCase();
    const name = digestAt === 1 ? parts[0]! : `key-${sha256.slice(0, DEFAULT_NAME_DIGITS)}`;
    if (!NAME_PATTERN.test(name)) {
      problems.push(`${where}: the name must be 1 to 64 letters, digits, ".", "_" or "-"`);
      return;
    }
    const limits: { rps?: number; tps?: number } = {};
    let role: ApiKeyRole = ApiKeyRole.client;
    for (const [offset, option] of parts.slice(digestAt + 1).entries()) {
      const limit = LIMIT_PATTERN.exec(option);
      const asked = ROLE_PATTERN.exec(option)?.[1];
      if (limit !== null) {
        limits[limit[1] as 'rps' | 'tps'] = Number(limit[2]);
      } else if (asked !== undefined && ROLES.includes(asked)) {
        role = asked as ApiKeyRole;
      } else {
        // Named by its position, not echoed: it may be a key pasted after the digest.
        const what = asked === undefined ? 'is not a limit or a role' : 'has an unknown role';
        problems.push(`${where} (${name}): option ${offset + 1} after the digest ${what}; expected rps=N, tps=N, role=client or role=operator`);
        return;
      }
    }
    entries.push({ name, sha256, rps: limits.rps, tps: limits.tps, role });
  });
  return { entries, problems };
}

/** Problems with a whole set of entries: the same digest or name twice. */
export function findDuplicateKeys(entries: readonly ApiKeyEntry[]): string[] {
  const problems: string[] = [];
  const seen = { names: new Set<string>(), digests: new Set<string>() };
  for (const entry of entries) {
    if (seen.digests.has(entry.sha256)) problems.push(`API key ${entry.name}: the same SHA-256 is configured twice`);
    if (seen.names.has(entry.name)) problems.push(`API key name ${entry.name} is used twice: names must be unique`);
    seen.digests.add(entry.sha256);
    seen.names.add(entry.name);
  }
  return problems;
}

/** Looks up presented keys among the configured digests in constant time per configured key. */
export class KeyRing {
  private readonly digests: readonly Buffer[];

  constructor(readonly entries: readonly ApiKeyEntry[]) {
    this.digests = entries.map((entry) => Buffer.from(entry.sha256, 'hex'));
  }

  /** The entry whose digest matches `presented`'s, or undefined. Every digest is compared. */
  find(presented: string): ApiKeyEntry | undefined {
    const { createHash, timingSafeEqual } = nodeCrypto();
    const digest = createHash('sha256').update(presented, 'utf8').digest();
    let found = -1;
    for (let index = 0; index < this.digests.length; index++) {
      // No break on a match: every configured digest costs the same comparison.
      if (timingSafeEqual(digest, this.digests[index]!)) found = index;
    }
    return found < 0 ? undefined : this.entries[found];
  }
}
