/**
 * `npm run bench -- [options]`: the runner's flags, parsed and checked in one place; every bad
 * flag is reported at once.
 */
import { type CommandLine, parseCommandLine, valueFlags } from '../../shared/cli/command-line';
import { FRONT_DOOR_ENTRIES, type FrontDoorEntry } from './front-door-process';
import { WORKLOAD_IDS, WORKLOADS, type Workload, type WorkloadId } from './workloads';

/** What the runner will do. */
export interface RunOptions {
  /** Seconds measured per cell. */
  readonly durationS: number;
  /** Seconds of load before each cell's window. */
  readonly warmupS: number;
  /** Before each cell, seconds to wait at most for other work on the machine to finish. */
  readonly quietWaitS: number;
  /** The workloads to run, in run order. */
  readonly workloads: readonly Workload[];
  /** Where results go; `--quick` runs do not overwrite the committed results unless asked. */
  readonly writeResults: boolean;
  /** Profile the front door (`node --cpu-prof`) under these workloads. */
  readonly cpuProfile: readonly WorkloadId[];
  /** Another checkout to run the front door from (an older commit, for a before/after). */
  readonly frontDoorRoot: string | undefined;
  /** A checkout whose front door runs as a fifth setup, `baseline`, in the same run. */
  readonly baselineRoot: string | undefined;
  /** Results file name, without extension: tools/bench/results/NAME.{json,md}. */
  readonly resultsName: string;
  /** How the front doors run: the built bundle (default) or the sources through tsx (with --cpu-prof). */
  readonly entry: FrontDoorEntry;
}

/** The workloads `--cpu-prof` profiles: the one-text load on real-cost and on zero-cost backends. */
export const PROFILED_WORKLOADS: readonly WorkloadId[] = ['a', 'd'];

const DEFAULT_DURATION_S = 10;
const DEFAULT_WARMUP_S = 2;
const QUICK_DURATION_S = 3;
const QUICK_WARMUP_S = 1;
const DEFAULT_QUIET_WAIT_S = 20;
const DEFAULT_RESULTS_NAME = 'dispatch';
const RESULTS_NAME = /^[a-z0-9][a-z0-9-]{0,63}$/;

/** The runner's `--help` text. */
export const RUN_USAGE = `Usage: npm run bench -- [options]

Runs every workload against direct, nginx least_conn, a round-robin client pool and the front
door (all on 127.0.0.1), prints a Markdown table and writes tools/bench/results/dispatch.{json,md}.

  --duration S     seconds measured per cell (default ${DEFAULT_DURATION_S})
  --warmup S       seconds of load before measuring (default ${DEFAULT_WARMUP_S})
  --quiet-wait S   before each cell, wait up to S s for other work on the machine to finish
                   (default ${DEFAULT_QUIET_WAIT_S}; 0: never wait)
  --only LIST      workloads, comma-separated: ${WORKLOAD_IDS.join(', ')} (a letter takes its variants: c = c,c-paced)
  --quick          ${QUICK_DURATION_S} s per cell, ${QUICK_WARMUP_S} s warm-up, results not written (a smoke run)
  --write          write the results files even with --quick or --only
  --cpu-prof       profile the front door (node --cpu-prof) under ${PROFILED_WORKLOADS.join(' and ')}: each profile,
                   cut to the measured window, is saved gzipped in tools/bench/results/profiles/ and
                   summarised by category in the results
  --front-door-root DIR
                   run the front door from another checkout (e.g. a git worktree of an older
                   commit, node_modules linked), to measure it with this benchmark
  --baseline-root DIR
                   also measure the front door of that checkout, as a fifth setup ("front door
                   baseline") just before this one in every workload: a before/after in one run
  --name NAME      results file name (default ${DEFAULT_RESULTS_NAME}: tools/bench/results/NAME.{json,md})
  --entry E        how the front doors run: bundle (default: each checkout's server bundle, built
                   first, run as the container image runs it: node --enable-source-maps
                   dist/server/main.mjs) or tsx (the sources, as npm start runs them; the default
                   with --cpu-prof, whose summary names source files)
  --help           this text
`;

const FLAGS = {
  ...valueFlags('duration', 'warmup', 'only', 'quiet-wait', 'front-door-root', 'baseline-root', 'name', 'entry'),
  quick: { type: 'boolean' },
  'cpu-prof': { type: 'boolean' },
  write: { type: 'boolean' },
} as const;

function selectWorkloads(raw: string | undefined, problems: string[]): Workload[] {
  if (raw === undefined) return [...WORKLOADS];
  const wanted = raw.split(',').map((item) => item.trim()).filter((item) => item !== '');
  const unknown = wanted.filter((item) => !WORKLOADS.some((workload) => workload.id === item || workload.group === item));
  if (unknown.length > 0 || wanted.length === 0) {
    problems.push(`--only: expected workloads among ${WORKLOAD_IDS.join(', ')}, got "${raw}"`);
  }
  return WORKLOADS.filter((workload) => wanted.includes(workload.id) || wanted.includes(workload.group));
}

/** Parses the runner's flags; every bad one is reported at once. */
export function parseRunOptions(argv: readonly string[]): CommandLine<RunOptions> {
  return parseCommandLine({ flags: FLAGS }, argv, (flags) => {
    const quick = flags.flag('quick');
    const only = flags.string('only');
    const resultsName = flags.string('name') ?? DEFAULT_RESULTS_NAME;
    if (!RESULTS_NAME.test(resultsName)) flags.problems.push(`--name: expected lower-case letters, digits and dashes, got "${resultsName}"`);
    const cpuProfile = flags.flag('cpu-prof');
    const entry = flags.string('entry') ?? (cpuProfile ? 'tsx' : 'bundle');
    if (!(FRONT_DOOR_ENTRIES as readonly string[]).includes(entry)) flags.problems.push(`--entry: expected ${FRONT_DOOR_ENTRIES.join(' or ')}, got "${entry}"`);
    if (cpuProfile && entry === 'bundle') flags.problems.push('--cpu-prof needs --entry tsx: the profile summary names source files, which the bundle does not keep');
    return {
      durationS: flags.number('duration', { above: 0 }) ?? (quick ? QUICK_DURATION_S : DEFAULT_DURATION_S),
      warmupS: flags.number('warmup', { min: 0 }) ?? (quick ? QUICK_WARMUP_S : DEFAULT_WARMUP_S),
      quietWaitS: flags.number('quiet-wait', { min: 0 }) ?? DEFAULT_QUIET_WAIT_S,
      workloads: selectWorkloads(only, flags.problems),
      // A partial or short run would replace the full results docs/benchmarks.md quotes.
      writeResults: flags.flag('write') || (!quick && only === undefined),
      cpuProfile: cpuProfile ? PROFILED_WORKLOADS : [],
      frontDoorRoot: flags.string('front-door-root'),
      baselineRoot: flags.string('baseline-root'),
      resultsName,
      entry: entry as FrontDoorEntry,
    };
  });
}
