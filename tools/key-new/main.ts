/**
 * `npm run key:new -- [--name NAME]`: prints a new API key and the API_KEYS entry that accepts it.
 * The key is shown once, here; the front door only ever stores its SHA-256.
 */
import { randomBytes } from 'node:crypto';
import { hashApiKey } from '../../shared/security/api-keys';
import { exitUnlessRun, parseCommandLine } from '../../shared/cli/command-line';

/** 32 random bytes: 256 bits, beyond any guessing; base64url keeps it header- and shell-safe. */
const KEY_BYTES = 32;
/** Makes a leaked key recognisable to secret scanners and to people. */
const KEY_PREFIX = 'efd_';
const NAME_PATTERN = /^[A-Za-z0-9._-]{1,64}$/;

const USAGE = `Usage: npm run key:new -- [--name NAME]

Prints a new API key and the API_KEYS entry that accepts it (the front door stores only its SHA-256).

  --name NAME   what the key is for: 1 to 64 letters, digits, ".", "_" or "-" (default key-<today>);
                a bare NAME, as in earlier versions, is read the same way
  --help        this text`;

// The bare NAME is kept so that scripts written for the first version still work.
const name = exitUnlessRun(parseCommandLine({ flags: { name: { type: 'string' } }, maxPositionals: 1 }, process.argv.slice(2), (flags, [bare]) => {
  const named = flags.string('name');
  if (named !== undefined && bare !== undefined) flags.problems.push(`--name ${JSON.stringify(named)} and NAME ${JSON.stringify(bare)}: give the name once`);
  const chosen = named ?? bare ?? `key-${new Date().toISOString().slice(0, 10)}`;
  if (!NAME_PATTERN.test(chosen)) flags.problems.push(`--name: expected 1 to 64 letters, digits, ".", "_" or "-", got ${JSON.stringify(chosen)}`);
  return chosen;
}), USAGE);
const key = `${KEY_PREFIX}${randomBytes(KEY_BYTES).toString('base64url')}`;
process.stdout.write([
  `key (give it to the client; it is not stored anywhere): ${key}`,
  `API_KEYS entry (add it, comma-separated, or as a line of API_KEYS_FILE): ${name}:${hashApiKey(key)}`,
  '',
].join('\n'));
