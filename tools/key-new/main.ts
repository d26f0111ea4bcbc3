/**
 * `npm run key:new -- [--name NAME] [--role client|operator]`: prints a new API key and the
 * API_KEYS entry that accepts it.
 * The key is shown once, here; the front door only ever stores its SHA-256.
 */
import { randomBytes } from 'node:crypto';
import { ApiKeyRole, hashApiKey } from '../../shared/security/api-keys';
import { exitUnlessRun, parseCommandLine } from '../../shared/cli/command-line';

/** 32 random bytes: 256 bits, beyond any guessing; base64url keeps it header- and shell-safe. */
const KEY_BYTES = 32;
/** Makes a leaked key recognisable to secret scanners and to people. */
const KEY_PREFIX = 'efd_';
const NAME_PATTERN = /^[A-Za-z0-9._-]{1,64}$/;

const USAGE = `Usage: npm run key:new -- [--name NAME] [--role client|operator]

Prints a new API key and the API_KEYS entry that accepts it (the front door stores only its SHA-256).

  --name NAME   what the key is for: 1 to 64 letters, digits, ".", "_" or "-" (default key-<today>);
                a bare NAME, as in earlier versions, is read the same way
  --role ROLE   client (default): embeds only; operator: also POST /warmup, /info and /metrics
                (the entry then ends in :role=operator)
  --help        this text`;

// The bare NAME is kept so that scripts written for the first version still work.
const options = exitUnlessRun(parseCommandLine({ flags: { name: { type: 'string' }, role: { type: 'string' } }, maxPositionals: 1 }, process.argv.slice(2), (flags, [bare]) => {
  const named = flags.string('name');
  if (named !== undefined && bare !== undefined) flags.problems.push(`--name ${JSON.stringify(named)} and NAME ${JSON.stringify(bare)}: give the name once`);
  const chosen = named ?? bare ?? `key-${new Date().toISOString().slice(0, 10)}`;
  if (!NAME_PATTERN.test(chosen)) flags.problems.push(`--name: expected 1 to 64 letters, digits, ".", "_" or "-", got ${JSON.stringify(chosen)}`);
  const role = flags.choice('role', Object.values(ApiKeyRole)) ?? ApiKeyRole.client;
  return { name: chosen, role };
}), USAGE);
const key = `${KEY_PREFIX}${randomBytes(KEY_BYTES).toString('base64url')}`;
process.stdout.write([
  `key (give it to the client; it is not stored anywhere): ${key}`,
  // A client key's entry stays as before: client is the default role.
  `API_KEYS entry (add it, comma-separated, or as a line of API_KEYS_FILE): ${options.name}:${hashApiKey(key)}${options.role === ApiKeyRole.client ? '' : `:role=${options.role}`}`,
  '',
].join('\n'));
