/** The one argument parser of every tool: help, problems all at once, and the exit codes. */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { describe, test } from 'node:test';
import { promisify } from 'node:util';
import { parseCommandLine } from '../../tools/cli/command-line';

const run = promisify(execFile);
const SPEC = { flags: { url: { type: 'string', multiple: true }, batch: { type: 'string' }, progress: { type: 'boolean' } } } as const;
const parse = (...argv: string[]) => parseCommandLine(SPEC, argv, (flags) => ({
  urls: flags.strings('url'),
  batch: flags.number('batch', { integer: true, min: 1 }),
  progress: flags.flag('progress'),
}));
const problemsOf = (...argv: string[]): readonly string[] => {
  const parsed = parse(...argv);
  assert.equal(parsed.kind, 'invalid', JSON.stringify(parsed));
  return parsed.kind === 'invalid' ? parsed.problems : [];
};

describe('parseCommandLine', () => {
  test('reads typed values', () => {
    assert.deepEqual(parse('--url', 'a', '--url=b', '--batch', '3', '--progress'), {
      kind: 'run', options: { urls: ['a', 'b'], batch: 3, progress: true },
    });
  });

  test('--help or -h anywhere asks for the usage, and is never taken as a value', () => {
    assert.deepEqual(parse('--url', '--help'), { kind: 'help' });
    assert.deepEqual(parse('--bogus', '-h'), { kind: 'help' });
  });

  test('every problem at once: unknown flags, missing values, bad values, stray arguments', () => {
    const found = problemsOf('--bogus', 'stray', '--batch', '0', '--progress=yes', '--url');
    assert.deepEqual(new Set(found), new Set([
      '--bogus: not a flag (see --help)',
      'unexpected argument(s) "stray": every value follows a flag',
      '--batch: expected a whole number >= 1, got "0"',
      '--progress: takes no value',
      '--url: needs a value',
    ]));
  });

  test('a flag followed by another flag has no value (the other flag is not swallowed as one)', () => {
    assert.deepEqual(problemsOf('--batch', '--progress'), ['--batch: needs a value']);
  });
});

describe('a tool on the command line', () => {
  test('--help prints the usage and exits 0; a bad flag prints the problem and the usage, and exits 2', async () => {
    const help = await run(process.execPath, ['--import', 'tsx', 'tools/key-new/main.ts', '--help']);
    assert.match(help.stdout, /^Usage: npm run key:new/);
    const bad = await run(process.execPath, ['--import', 'tsx', 'tools/key-new/main.ts', '--bogus'])
      .then(() => assert.fail('a bad flag must fail'), (error: { code?: number; stderr?: string }) => error);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr ?? '', /--bogus: not a flag[\s\S]*Usage: npm run key:new/);
  });
});
