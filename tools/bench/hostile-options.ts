/**
 * `npm run bench:hostile -- [options]`: the hostile-load benchmark's flags and the shape of a run
 * (full or `--quick`), parsed and checked in one place; every bad flag is reported at once.
 */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { type CommandLine, parseCommandLine, valueFlags } from '../../shared/cli/command-line';

/** The attacks replayed, in the order they run. */
export const HOSTILE_SCENARIOS = {
  uploads: '300 concurrent 5 MB uploads',
  answer: 'a 1.5 GB backend answer',
  fairness: 'a flooding key against a victim key',
  cpu: 'CPU amplification against /ping',
  connections: 'the connection cap',
} as const;

/** One of {@link HOSTILE_SCENARIOS}. */
export type HostileScenarioId = keyof typeof HOSTILE_SCENARIOS;

/** How big each attack is. */
export interface HostileShape {
  /** Concurrent uploads, and the size of each body. */
  readonly uploads: number;
  readonly uploadBytes: number;
  /**
   * How long upload answers are awaited: the requests admitted wait their turn at the backends'
   * pace (2,048 texts take the whole tier 1.7 s), and the front door holds their texts meanwhile.
   * What is unanswered by then is counted as such and cut off with the front door.
   */
  readonly uploadWindowS: number;
  /** What the hostile backend streams for one embed call. */
  readonly answerBytes: number;
  /** The victim alone, the flood's ramp (queue filling), then the victim under the flood. */
  readonly unloadedS: number;
  readonly rampS: number;
  readonly loadedS: number;
  /** CPU amplification: seconds of /ping alone, then under attack. */
  readonly pingBaselineS: number;
  readonly cpuAttackS: number;
  /** MAX_CONNECTIONS for the cap scenario, and how many new clients try beyond it. */
  readonly maxConnections: number;
  readonly newClients: number;
}

const MB = 1_000_000;

/** The full run (about 3 minutes here) and the `--quick` one (under a minute, for the test). */
export const HOSTILE_SHAPES: { readonly full: HostileShape; readonly quick: HostileShape } = {
  full: {
    uploads: 300, uploadBytes: 5 * MB, uploadWindowS: 30, answerBytes: 1_500 * MB,
    unloadedS: 5, rampS: 3, loadedS: 10, pingBaselineS: 3, cpuAttackS: 10, maxConnections: 200, newClients: 5,
  },
  quick: {
    uploads: 24, uploadBytes: 5 * MB, uploadWindowS: 3, answerBytes: 100 * MB,
    unloadedS: 2, rampS: 1, loadedS: 3, pingBaselineS: 1, cpuAttackS: 2, maxConnections: 40, newClients: 3,
  },
};

/** What the benchmark will do. */
export interface HostileOptions {
  readonly shape: HostileShape;
  readonly quick: boolean;
  readonly scenarios: readonly HostileScenarioId[];
  /** The checkout whose front door is measured (default this one). */
  readonly repoRoot: string | undefined;
  /** An older checkout measured first by the same attacks, reported side by side as "before". */
  readonly beforeRoot: string | undefined;
  /** Where the results go; only a full run of every scenario on this checkout writes them, unless `--write`. */
  readonly writeResults: boolean;
  /** Results directory override (the test writes to a temporary one). */
  readonly resultsDir: string | undefined;
}

/** The `--help` text. */
export const HOSTILE_USAGE = `Usage: npm run bench:hostile -- [options]

Replays issue 17's attacks on loopback against the front door (functions/server/main.ts in its own
process, default limits) over simulated DJL backends, and checks its targets: peak RSS under
${HOSTILE_SHAPES.full.uploads} concurrent 5 MB uploads and under a 1.5 GB backend answer (< 400 MB), a victim key's p50
while another key floods (<= 2x unloaded + one batch), /ping p99 under CPU amplification (< 50 ms),
and new clients refused quickly at MAX_CONNECTIONS while an established one is served. Writes
tools/bench/results/hostile.{md,json} on a full run. About 3 minutes (twice that with --before).

  --only SCENARIO   ${Object.keys(HOSTILE_SCENARIOS).join(', ')} (repeatable; default all)
  --quick           small attacks and short phases (under a minute); results not written
  --repo DIR        measure the front door of another checkout (its node_modules installed or linked)
  --before DIR      also measure an older checkout first, shown as "before" next to this one
  --results DIR     write the results there instead of tools/bench/results/
  --write           write the results files whatever the other flags
  --help            this text
`;

const FLAGS = {
  ...valueFlags('repo', 'before', 'results'),
  only: { type: 'string', multiple: true },
  quick: { type: 'boolean' },
  write: { type: 'boolean' },
} as const;

/** A checkout the front door can be started from; a problem when it is not one. */
function checkout(flag: 'repo' | 'before', dir: string | undefined, problems: string[]): string | undefined {
  if (dir === undefined) return undefined;
  const root = resolve(dir);
  if (!existsSync(join(root, 'functions/server/main.ts'))) problems.push(`--${flag}: ${root} has no functions/server/main.ts`);
  else if (!existsSync(join(root, 'node_modules/tsx'))) problems.push(`--${flag}: ${root} has no node_modules (run npm ci there, or link this checkout's)`);
  return root;
}

/** Parses the flags; every bad one is reported at once. */
export function parseHostileOptions(argv: readonly string[]): CommandLine<HostileOptions> {
  return parseCommandLine({ flags: FLAGS }, argv, (flags) => {
    const quick = flags.flag('quick');
    const ids = Object.keys(HOSTILE_SCENARIOS) as HostileScenarioId[];
    const only = flags.strings('only');
    for (const id of only) {
      if (!(ids as readonly string[]).includes(id)) flags.problems.push(`--only: expected ${ids.join(', ')}, got ${JSON.stringify(id)}`);
    }
    const repoRoot = checkout('repo', flags.string('repo'), flags.problems);
    const beforeRoot = checkout('before', flags.string('before'), flags.problems);
    const full = !quick && only.length === 0 && repoRoot === undefined;
    return {
      shape: quick ? HOSTILE_SHAPES.quick : HOSTILE_SHAPES.full,
      quick,
      scenarios: only.length === 0 ? ids : ids.filter((id) => only.includes(id)),
      repoRoot,
      beforeRoot,
      writeResults: full || flags.flag('write'),
      resultsDir: flags.string('results'),
    };
  });
}
