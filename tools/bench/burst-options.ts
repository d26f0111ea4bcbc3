/**
 * `npm run bench:burst -- [options]`: the burst benchmark's flags, parsed and checked in one place;
 * every bad flag is reported at once.
 */
import { type CommandLine, parseCommandLine, valueFlags } from '../../shared/cli/command-line';
import { BURST_SETUPS, type BurstSetupId } from './burst-targets';

/** What the burst benchmark will do. */
export interface BurstOptions {
  readonly warmupS: number;
  readonly baselineS: number;
  readonly burstS: number;
  readonly recoveryS: number;
  /** Baseline load as a fraction of one CPU instance's capacity. */
  readonly baselineLoad: number;
  /** Burst load as a multiple of one CPU instance's capacity. */
  readonly burstLoad: number;
  /** Extra front door settings, `--env KEY=VALUE`. */
  readonly env: Readonly<Record<string, string>>;
  readonly setups: readonly BurstSetupId[];
  readonly clientTimeoutMs: number;
  readonly quietWaitS: number;
  /** Where to write every request's record, one JSON file per setup (undefined: nowhere). */
  readonly recordsDir: string | undefined;
  /** Only a full run at default settings replaces the committed results, unless `--write`. */
  readonly writeResults: boolean;
}

/** Defaults, and the shorter `--quick` shape (recovery still outlasts OVERFLOW_HOLD_MS's 3 s). */
export const BURST_DEFAULTS = {
  warmupS: 5, baselineS: 10, burstS: 10, recoveryS: 10,
  quick: { warmupS: 2, baselineS: 4, burstS: 4, recoveryS: 7 },
  // The shape: busy but comfortable, then three times what the CPU tier can do.
  baselineLoad: 0.4,
  burstLoad: 3,
  // Above the front door's 30 s REQUEST_TIMEOUT_MS: its own 504 shows as a 504, not as ours.
  clientTimeoutMs: 35_000,
  quietWaitS: 20,
} as const;

const SETUP_FLAGS: Readonly<Record<string, BurstSetupId>> = { 'with-gpu': 'withGpu', 'without-gpu': 'withoutGpu' };
const ENV_KEY = /^[A-Z][A-Z0-9_]*$/;

/** The `--help` text. */
export const BURST_USAGE = `Usage: npm run bench:burst -- [options]

Open-loop load on the front door over one simulated DJL cpu instance, stepping from a baseline to
a burst and back, with and without a GPU overflow tier (one simulated gpu instance). Prints the
report; writes tools/bench/results/burst.{md,json} on a full run at default settings.

  --warmup S          seconds at the baseline rate before measuring (default ${BURST_DEFAULTS.warmupS})
  --baseline S        seconds of baseline (default ${BURST_DEFAULTS.baselineS})
  --burst S           seconds of burst (default ${BURST_DEFAULTS.burstS})
  --recovery S        seconds back at the baseline rate (default ${BURST_DEFAULTS.recoveryS})
  --baseline-load F   baseline as a fraction of one cpu instance's capacity (default ${BURST_DEFAULTS.baselineLoad})
  --burst-load X      burst as a multiple of that capacity (default ${BURST_DEFAULTS.burstLoad})
  --env KEY=VALUE     a front door setting (repeatable), e.g. --env OVERFLOW_WAIT_MS=30
  --only SETUP        ${Object.keys(SETUP_FLAGS).join(' or ')}
  --client-timeout-ms N   one request's client-side budget (default ${BURST_DEFAULTS.clientTimeoutMs})
  --quiet-wait S      before each setup, wait up to S s for other work on the machine (default ${BURST_DEFAULTS.quietWaitS})
  --records DIR       also write every request's record (due time, latency, status, headers) to
                      DIR/burst-records-<setup>.json, for your own analysis
  --quick             ${BURST_DEFAULTS.quick.warmupS} s warm-up, phases of ${BURST_DEFAULTS.quick.baselineS}/${BURST_DEFAULTS.quick.burstS}/${BURST_DEFAULTS.quick.recoveryS} s; results not written
  --write             write the results files whatever the other flags
  --help              this text
`;

const FLAGS = {
  ...valueFlags('warmup', 'baseline', 'burst', 'recovery', 'baseline-load', 'burst-load', 'only', 'client-timeout-ms', 'quiet-wait', 'records'),
  env: { type: 'string', multiple: true },
  quick: { type: 'boolean' },
  write: { type: 'boolean' },
} as const;

/** Flags that change what is measured: a run with any of them does not replace the results. */
const SHAPING_FLAGS = ['warmup', 'baseline', 'burst', 'recovery', 'baseline-load', 'burst-load', 'env', 'only', 'client-timeout-ms', 'quick'] as const;

/** `KEY=VALUE` pairs into an object; bad ones go to `problems`. */
export function parseEnvPairs(pairs: readonly string[], problems: string[]): Record<string, string> {
  const env: Record<string, string> = {};
  for (const pair of pairs) {
    const at = pair.indexOf('=');
    const key = at < 0 ? '' : pair.slice(0, at);
    if (!ENV_KEY.test(key)) {
      problems.push(`--env: expected KEY=VALUE with an upper-case KEY, got "${pair}"`);
      continue;
    }
    env[key] = pair.slice(at + 1);
  }
  return env;
}

/** Parses the flags; every bad one is reported at once. */
export function parseBurstOptions(argv: readonly string[]): CommandLine<BurstOptions> {
  return parseCommandLine({ flags: FLAGS }, argv, (flags) => {
    const quick = flags.flag('quick');
    const shape = quick ? BURST_DEFAULTS.quick : BURST_DEFAULTS;
    const only = flags.choice('only', Object.keys(SETUP_FLAGS));
    const setup = only === undefined ? undefined : SETUP_FLAGS[only];
    const seconds = (flag: 'warmup' | 'quiet-wait', fallback: number): number => flags.number(flag, { min: 0 }) ?? fallback;
    const positive = (flag: keyof typeof FLAGS, fallback: number): number => flags.number(flag, { above: 0 }) ?? fallback;
    return {
      warmupS: seconds('warmup', shape.warmupS),
      baselineS: positive('baseline', shape.baselineS),
      burstS: positive('burst', shape.burstS),
      recoveryS: positive('recovery', shape.recoveryS),
      baselineLoad: positive('baseline-load', BURST_DEFAULTS.baselineLoad),
      burstLoad: positive('burst-load', BURST_DEFAULTS.burstLoad),
      env: parseEnvPairs(flags.strings('env'), flags.problems),
      setups: setup === undefined ? (Object.keys(BURST_SETUPS) as BurstSetupId[]) : [setup],
      clientTimeoutMs: positive('client-timeout-ms', BURST_DEFAULTS.clientTimeoutMs),
      quietWaitS: seconds('quiet-wait', BURST_DEFAULTS.quietWaitS),
      recordsDir: flags.string('records'),
      writeResults: flags.flag('write') || SHAPING_FLAGS.every((flag) => !flags.has(flag)),
    };
  });
}
