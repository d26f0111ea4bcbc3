/** `npm run loadtest` flags: defaults, dialect detection, and every bad flag reported at once. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseLoadtestArgs, type LoadtestOptions } from '../../tools/loadtest/loadtest-options';

const DJL = 'http://127.0.0.1:8080/predictions/all_MiniLM_L6_v2';
const TEI = 'http://10.0.0.7:8080/embed';
const OPENAI = 'https://front-door.example.com/v1/embeddings';

function options(...argv: string[]): LoadtestOptions {
  const parsed = parseLoadtestArgs(argv);
  assert.equal(parsed.kind, 'run', JSON.stringify(parsed));
  return (parsed as { options: LoadtestOptions }).options;
}

function problems(...argv: string[]): readonly string[] {
  const parsed = parseLoadtestArgs(argv);
  assert.equal(parsed.kind, 'invalid', JSON.stringify(parsed));
  return (parsed as { problems: readonly string[] }).problems;
}

describe('loadtest options', () => {
  test('one URL: a closed loop at batch 32, 4 clients, 10 s after a 1 s warm-up, generated 1,000-character chunks', () => {
    const parsed = options('--url', DJL);
    assert.deepEqual(parsed.targets, [{ url: DJL, dialect: 'djl', modelName: 'all_MiniLM_L6_v2' }]);
    assert.equal(parsed.batch, 32);
    assert.equal(parsed.concurrency, 4);
    assert.equal(parsed.durationS, 10);
    assert.equal(parsed.texts, undefined);
    assert.equal(parsed.rate, undefined);
    assert.equal(parsed.warmupS, 1);
    assert.deepEqual(parsed.text, { kind: 'generated', chars: 1_000 });
    assert.equal(parsed.sweep, undefined);
    assert.equal(parsed.dimension, 384);
    assert.equal(parsed.outDir, undefined);
    assert.equal(parsed.progress, false);
    assert.ok(Object.isFrozen(parsed));
  });

  test('each URL path names its dialect, as the front door reads backend URLs', () => {
    const parsed = options('--url', DJL, '--url', TEI, '--url', OPENAI);
    assert.deepEqual(parsed.targets.map((target) => target.dialect), ['djl', 'tei', 'openai']);
  });

  test('--dialect applies to every URL whatever its path', () => {
    const parsed = options('--url', 'http://127.0.0.1:9000/custom/route', '--url', TEI, '--dialect', 'openai');
    assert.deepEqual(parsed.targets.map((target) => target.dialect), ['openai', 'openai']);
  });

  test('a path that names no dialect asks for one', () => {
    const [problem, ...rest] = problems('--url', 'http://127.0.0.1:9000/custom/route');
    assert.equal(rest.length, 0);
    assert.match(problem ?? '', /cannot tell the backend's API.*--dialect/s);
  });

  test('--texts alone bounds the run by count; --rate makes it an open loop; a text file replaces generated texts', () => {
    const parsed = options('--url', DJL, '--texts', '5000', '--rate', '12.5', '--text-file', 'chunks.txt', '--warmup', '0');
    assert.equal(parsed.texts, 5_000);
    assert.equal(parsed.durationS, undefined);
    assert.equal(parsed.rate, 12.5);
    assert.equal(parsed.warmupS, 0);
    assert.deepEqual(parsed.text, { kind: 'file', path: 'chunks.txt' });
  });

  test('--sweep: sorted distinct batch sizes, one request at a time and 5 s steps unless told otherwise', () => {
    const parsed = options('--url', DJL, '--sweep', '32, 1,16,4,4');
    assert.deepEqual(parsed.sweep, [1, 4, 16, 32]);
    assert.equal(parsed.concurrency, 1);
    assert.equal(parsed.durationS, 5);
    assert.equal(options('--url', DJL, '--sweep', '1,8', '--concurrency', '2', '--duration', '3').concurrency, 2);
  });

  test('every bad flag is reported at once, each naming the flag and what it expects', () => {
    const found = problems(
      '--batch', '0', '--concurrency', '2.5', '--duration', '-1', '--rate', 'fast', '--dialect', 'grpc',
      '--sweep', '8', '--timeout-ms', 'soon', '--bogus', 'stray', '--url', 'ftp://host/embed',
    );
    for (const expected of [/^--batch: expected a whole number/, /^--concurrency: expected a whole number/,
      /^--duration: expected a number > 0/, /^--rate: expected a number > 0/, /^--dialect: expected djl, tei, openai/,
      /^--sweep: expected two or more distinct/, /^--timeout-ms:/, /^--bogus: not a flag/, /unexpected argument.*"stray"/,
      /^--url: "ftp:\/\/host\/embed" must be an http/]) {
      assert.ok(found.some((problem) => expected.test(problem)), `${expected} not in:\n${found.join('\n')}`);
    }
  });

  test('no --url, a flag without its value, a value given to a switch', () => {
    const found = problems('--progress=yes', '--batch');
    assert.ok(found.some((problem) => problem.startsWith('--url: give at least one endpoint')), found.join('\n'));
    assert.ok(found.includes('--batch: needs a value'), found.join('\n'));
    assert.ok(found.includes('--progress: takes no value'), found.join('\n'));
  });

  test('flags that contradict each other are named together', () => {
    const found = problems('--url', DJL, '--sweep', '1,32', '--batch', '8', '--rate', '10', '--chunk-chars', '500', '--text-file', 'x.txt');
    assert.ok(found.some((problem) => problem.startsWith('--batch and --sweep')));
    assert.ok(found.some((problem) => problem.startsWith('--rate and --sweep')));
    assert.ok(found.some((problem) => problem.startsWith('--chunk-chars and --text-file')));
  });

  test('--help wins over everything else', () => {
    assert.deepEqual(parseLoadtestArgs(['--bogus', '--help']), { kind: 'help' });
  });
});
