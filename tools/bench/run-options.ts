/**
 * `npm run bench -- [options]`: the runner's flags, parsed and checked in one place; every bad
 * flag is reported at once.
 */
import { parseArgs } from 'node:util';
import { WORKLOAD_IDS, WORKLOADS, type Workload } from './workloads';

/** What the runner will do. */
export interface RunOptions {
  readonly help: boolean;
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
}

/** Bad flags; `message` lists every one. */
export class RunUsageError extends Error {
  override readonly name = 'RunUsageError';
  readonly code = 'BENCH_RUN_USAGE';
}

const DEFAULT_DURATION_S = 10;
const DEFAULT_WARMUP_S = 2;
const QUICK_DURATION_S = 3;
const QUICK_WARMUP_S = 1;
const DEFAULT_QUIET_WAIT_S = 20;

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
  --help           this text
`;

const FLAGS = {
  duration: { type: 'string' },
  warmup: { type: 'string' },
  only: { type: 'string' },
  'quiet-wait': { type: 'string' },
  quick: { type: 'boolean' },
  write: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

function seconds(raw: string | undefined, flag: string, fallback: number, problems: string[], allowZero: boolean): number {
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(value) || value < 0 || (!allowZero && value === 0)) {
    problems.push(`--${flag}: expected a number of seconds${allowZero ? ' >= 0' : ' above 0'}, got "${raw}"`);
    return fallback;
  }
  return value;
}

function selectWorkloads(raw: string | undefined, problems: string[]): Workload[] {
  if (raw === undefined) return [...WORKLOADS];
  const wanted = raw.split(',').map((item) => item.trim()).filter((item) => item !== '');
  const unknown = wanted.filter((item) => !WORKLOADS.some((workload) => workload.id === item || workload.group === item));
  if (unknown.length > 0 || wanted.length === 0) {
    problems.push(`--only: expected workloads among ${WORKLOAD_IDS.join(', ')}, got "${raw}"`);
  }
  return WORKLOADS.filter((workload) => wanted.includes(workload.id) || wanted.includes(workload.group));
}

/** Parses the runner's flags; throws {@link RunUsageError} listing every bad one. */
export function parseRunOptions(argv: readonly string[]): RunOptions {
  let values;
  try {
    values = parseArgs({ args: [...argv], options: FLAGS, strict: true, allowPositionals: false }).values;
  } catch (error) {
    throw new RunUsageError(`${(error as Error).message}\n\n${RUN_USAGE}`);
  }
  const problems: string[] = [];
  const quick = values.quick === true;
  const durationS = seconds(values.duration, 'duration', quick ? QUICK_DURATION_S : DEFAULT_DURATION_S, problems, false);
  const warmupS = seconds(values.warmup, 'warmup', quick ? QUICK_WARMUP_S : DEFAULT_WARMUP_S, problems, true);
  const quietWaitS = seconds(values['quiet-wait'], 'quiet-wait', DEFAULT_QUIET_WAIT_S, problems, true);
  const workloads = selectWorkloads(values.only, problems);
  if (problems.length > 0) throw new RunUsageError(`Invalid flags:\n  ${problems.join('\n  ')}\n\n${RUN_USAGE}`);
  return {
    help: values.help === true,
    durationS,
    warmupS,
    quietWaitS,
    workloads,
    // A partial or short run would replace the full results the README quotes.
    writeResults: values.write === true || (!quick && values.only === undefined),
  };
}
