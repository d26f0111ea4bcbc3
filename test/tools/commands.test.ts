/**
 * Every command of package.json behaves alike, run as its own process the way its script runs it:
 * `--help` prints the usage on stdout and exits 0; a bad flag or a stray argument prints the
 * problem and the usage on stderr and exits 2, before any work starts. Then what each tool adds:
 * simulate lists its shipped scenarios, key:new takes --name and --role, warmup refuses --at without
 * --dry-run or --apply and says when no schedule is configured.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { EXIT_USAGE } from '../../shared/cli/command-line';
import { hashApiKey, parseApiKeyEntries } from '../../shared/security/api-keys';
import { resolveScenario, shippedScenarios } from '../../tools/simulate/shipped-scenarios';
import { parseScenario } from '../../tools/simulate/scenario';
import { parseWarmupArgs } from '../../tools/warmup/warmup-args';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
/** A command that ignored its flags and started its work (a server, a benchmark) is killed here, never left running. */
const RUN_LIMIT_MS = 30_000;
/** Commands spawned at once: each is a Node process with tsx, and CI machines have few cores. */
const PARALLEL_COMMANDS = 4;
/** How a script runs our TypeScript: `tsx FILE` or `node --import tsx FILE`, nothing after the file. */
const TOOL_SCRIPT = /^(?:tsx|node --import tsx) ((?:tools|functions\/server)\/\S+\.ts)$/;
const AT = '2026-12-01T01:55:00Z';
const SCHEDULE = JSON.stringify([{ name: 'nightly', cron: '0 2 * * *', timezone: 'UTC', durationMinutes: 60, tier: 'cpu', minInstances: 2 }]);

interface Outcome {
  /** The exit code; null when the process was killed. */
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs a TypeScript entry point as its script does (Node with tsx, from the repository root) and waits for its exit. */
function run(file: string, args: readonly string[], extraEnv?: Record<string, string>): Promise<Outcome> {
  const env = quietEnv(extraEnv);
  return new Promise((resolve) => {
    execFile(process.execPath, ['--import', 'tsx', file, ...args], { cwd: ROOT, env, timeout: RUN_LIMIT_MS, killSignal: 'SIGKILL' },
      (error, stdout, stderr) => {
        const code = error === null ? 0 : typeof error.code === 'number' ? error.code : null;
        resolve({ code, stdout, stderr });
      });
  });
}

/** The environment without the settings that would make a command reach real backends or clouds. */
function quietEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env = { ...process.env, ...extra };
  for (const key of ['CPU_BACKENDS', 'GPU_BACKENDS', 'DJL_URLS', 'DJL_URL', 'WARMUP_SCHEDULE']) {
    if (!(key in extra)) delete env[key];
  }
  return env;
}

const scripts = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts;
/** Every script that runs one of our commands, with the file it runs and the usage line it names. */
const commands = Object.entries(scripts).flatMap(([name, line]) => {
  const file = TOOL_SCRIPT.exec(line)?.[1];
  return file === undefined ? [] : [{ name, file, usage: name === 'start' ? 'Usage: npm start' : `Usage: npm run ${name}` }];
});
const fileOf = (name: string): string => {
  const command = commands.find((entry) => entry.name === name);
  assert.ok(command, `no script ${name}`);
  return command.file;
};

describe('every command in package.json', { concurrency: PARALLEL_COMMANDS }, () => {
  test('is found: each script that runs a file of tools/ or functions/server/ is one of the commands checked here', () => {
    const running = Object.entries(scripts).filter(([, line]) => /(?:tools|functions\/server)\//.test(line)).map(([name]) => name);
    assert.deepEqual(commands.map((command) => command.name).sort(), running.sort());
    for (const name of ['start', 'simulate', 'key:new', 'warmup', 'loadtest', 'bench']) assert.ok(running.includes(name), name);
  });

  for (const { name, file, usage } of commands) {
    test(`${name}: --help prints the usage on stdout and exits 0`, async () => {
      const { code, stdout, stderr } = await run(file, ['--help']);
      assert.equal(code, 0, stderr);
      assert.ok(stdout.startsWith(usage), stdout);
      assert.equal(stderr, '');
    });

    test(`${name}: a bad flag and a stray argument are named, with the usage, and exit 2`, async () => {
      // Two stray words: key:new takes one bare NAME, the others none.
      const { code, stdout, stderr } = await run(file, ['--bogus', 'stray1', 'stray2']);
      assert.equal(code, EXIT_USAGE, stderr);
      assert.match(stderr, /^Invalid arguments:\n/);
      assert.match(stderr, /--bogus: not a flag \(see --help\)/);
      assert.match(stderr, /unexpected argument\(s\) (?:"stray1" )?"stray2"/);
      assert.ok(stderr.includes(`\n\n${usage}`), stderr);
      assert.equal(stdout, '');
    });
  }
});

describe('npm start', () => {
  test('--help names the main environment settings and where every setting is documented', async () => {
    const { code, stdout } = await run(fileOf('start'), ['--help']);
    assert.equal(code, 0);
    for (const key of ['PORT', 'HOST', 'CPU_BACKENDS', 'GPU_BACKENDS', 'API_KEYS', 'EMBED_MODEL_DIR', 'docs/configuration.md']) {
      assert.ok(stdout.includes(key), `usage lacks ${key}`);
    }
  });
});

describe('npm run simulate', { concurrency: PARALLEL_COMMANDS }, () => {
  test('without --scenario: names the missing flag, lists the shipped scenarios and how to run one, exits 2', async () => {
    const { code, stderr } = await run(fileOf('simulate'), []);
    assert.equal(code, EXIT_USAGE);
    assert.match(stderr, /--scenario: give at least one scenario/);
    assert.match(stderr, /Shipped scenarios \(tools\/simulate\/scenarios\/\):\n {2}bursty-on-demand +On-demand embedding traffic.*\.\n {2}indexing-24-7 +Around-the-clock indexing.*\.\n/);
    assert.match(stderr, /Run one: npm run simulate -- --scenario bursty-on-demand/);
  });

  test('--scenario takes a shipped scenario by name: only the bad seed is reported', async () => {
    const { code, stderr } = await run(fileOf('simulate'), ['--scenario', 'indexing-24-7', '--scenario', 'no-such-scenario', '--seed', '-1']);
    assert.equal(code, EXIT_USAGE);
    assert.match(stderr, /--seed: expected a whole number >= 0, got "-1"/);
    assert.match(stderr, /--scenario: "no-such-scenario" is neither a file nor a shipped scenario \(bursty-on-demand, indexing-24-7\)/);
    assert.doesNotMatch(stderr, /"indexing-24-7" is neither/);
  });

  test('every shipped scenario is valid; a name resolves to its file, a path to itself, anything else to nothing', () => {
    const shipped = shippedScenarios();
    assert.deepEqual(shipped.map((scenario) => scenario.name), ['bursty-on-demand', 'indexing-24-7']);
    for (const scenario of shipped) {
      assert.equal(parseScenario(readFileSync(scenario.file, 'utf8')).name, scenario.name);
      assert.equal(resolveScenario(scenario.name, shipped), scenario.file);
    }
    assert.equal(resolveScenario('package.json', shipped), 'package.json');
    assert.equal(resolveScenario('no-such-scenario', shipped), undefined);
  });
});

describe('npm run key:new', { concurrency: PARALLEL_COMMANDS }, () => {
  const entry = (name: string) => new RegExp(`^API_KEYS entry .*: ${name}:[0-9a-f]{64}$`, 'm');

  test('--name NAME names the key; a bare NAME still does', async () => {
    const [named, bare] = await Promise.all([run(fileOf('key:new'), ['--name', 'ci-test']), run(fileOf('key:new'), ['legacy-name'])]);
    assert.equal(named.code, 0, named.stderr);
    assert.match(named.stdout, /^key \(give it to the client; it is not stored anywhere\): efd_[A-Za-z0-9_-]{43}$/m);
    assert.match(named.stdout, entry('ci-test'));
    assert.equal(bare.code, 0, bare.stderr);
    assert.match(bare.stdout, entry('legacy-name'));
  });

  test('--role operator adds :role=operator to the entry, which the front door reads as an operator key; a bad role makes no key', async () => {
    const [operator, client, bad] = await Promise.all([
      run(fileOf('key:new'), ['--name', 'ops', '--role', 'operator']),
      run(fileOf('key:new'), ['--role', 'client', 'ci']),
      run(fileOf('key:new'), ['--role', 'admin']),
    ]);
    assert.equal(operator.code, 0, operator.stderr);
    const line = /^API_KEYS entry .*: (ops:[0-9a-f]{64}:role=operator)$/m.exec(operator.stdout);
    assert.ok(line?.[1], operator.stdout);
    const key = /^key .*: (efd_\S+)$/m.exec(operator.stdout)?.[1];
    const parsed = parseApiKeyEntries('API_KEYS', [line[1]]);
    assert.deepEqual(parsed.entries.map((entry) => [entry.name, entry.role, entry.sha256 === hashApiKey(key ?? '')]), [['ops', 'operator', true]]);
    assert.match(client.stdout, entry('ci'), 'a client key\'s entry is as before');
    assert.equal(bad.code, EXIT_USAGE);
    assert.match(bad.stderr, /--role: expected client, operator, got "admin"/);
    assert.equal(bad.stdout, '');
  });

  test('--help never makes a key; a bad name or two names make none either', async () => {
    const [help, bad] = await Promise.all([
      run(fileOf('key:new'), ['--name', 'ci-test', '--help']),
      run(fileOf('key:new'), ['--name', 'has space', 'two']),
    ]);
    assert.equal(help.code, 0);
    assert.match(help.stdout, /^Usage: npm run key:new -- \[--name NAME\]/);
    assert.doesNotMatch(help.stdout, /efd_/);
    assert.equal(bad.code, EXIT_USAGE);
    assert.match(bad.stderr, /--name "has space" and NAME "two": give the name once/);
    assert.match(bad.stderr, /--name: expected 1 to 64 letters, digits, ".", "_" or "-", got "has space"/);
    assert.equal(bad.stdout, '');
  });
});

describe('npm run warmup', { concurrency: PARALLEL_COMMANDS }, () => {
  const planOf = (stdout: string): Record<string, unknown> => {
    const line = stdout.split('\n').find((text) => text.includes('"event":"plan"'));
    assert.ok(line, stdout);
    return JSON.parse(line) as Record<string, unknown>;
  };
  const problemsOf = (...argv: string[]): readonly string[] => {
    const parsed = parseWarmupArgs(argv);
    return parsed.kind === 'invalid' ? parsed.problems : [];
  };

  test('--at needs --dry-run (rehearse) or --apply (apply now); --apply alone is the default run; not both', () => {
    const at = Date.parse(AT);
    assert.deepEqual(problemsOf('--at', AT), ['--at: use --dry-run to rehearse the plan for that time, or --apply to apply it now']);
    assert.deepEqual(parseWarmupArgs(['--at', AT, '--dry-run']), { kind: 'run', options: { dryRun: true, at } });
    assert.deepEqual(parseWarmupArgs(['--at', AT, '--apply']), { kind: 'run', options: { dryRun: false, at } });
    assert.deepEqual(parseWarmupArgs(['--apply']), parseWarmupArgs([]));
    assert.deepEqual(parseWarmupArgs([]), { kind: 'run', options: { dryRun: false, at: undefined } });
    assert.deepEqual(problemsOf('--dry-run', '--apply'), ['--dry-run and --apply: choose one']);
    assert.deepEqual(problemsOf('--at', 'tomorrow', '--dry-run'), ['--at: expected an ISO 8601 time (e.g. 2026-12-01T01:55:00Z), got "tomorrow"']);
  });

  test('--at alone is refused on the command line before anything is planned', async () => {
    const { code, stdout, stderr } = await run(fileOf('warmup'), ['--at', AT]);
    assert.equal(code, EXIT_USAGE);
    assert.match(stderr, /--at: use --dry-run to rehearse the plan for that time, or --apply to apply it now\n\nUsage: npm run warmup/);
    assert.equal(stdout, '', 'nothing planned');
  });

  test('with WARMUP_SCHEDULE unset, a no_schedule event comes before the plan; with a schedule, none', async () => {
    const [unset, scheduled] = await Promise.all([
      run(fileOf('warmup'), ['--at', AT, '--dry-run']),
      run(fileOf('warmup'), ['--at', AT, '--dry-run'], { WARMUP_SCHEDULE: SCHEDULE }),
    ]);
    assert.equal(unset.code, 0, unset.stderr);
    const [first] = unset.stdout.split('\n');
    assert.deepEqual(JSON.parse(first ?? ''), {
      event: 'no_schedule',
      message: 'WARMUP_SCHEDULE is unset or empty: no burst to warm for, so the plan can only restore minimums an earlier run raised',
    });
    assert.deepEqual({ ...planOf(unset.stdout), leadMs: 0 }, { event: 'plan', at: '2026-12-01T01:55:00.000Z', leadMs: 0, dryRun: true, actions: 0 });
    assert.equal(scheduled.code, 0, scheduled.stderr);
    assert.doesNotMatch(scheduled.stdout, /no_schedule/);
    assert.equal(planOf(scheduled.stdout).dryRun, true);
  });
});
