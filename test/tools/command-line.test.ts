/** The one argument parser of every command: help, and every problem at once (tools on the command line: commands.test.ts). */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseCommandLine } from '../../shared/cli/command-line';

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
