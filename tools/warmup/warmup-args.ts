/**
 * Command-line flags of `npm run warmup`, checked in one place. `--at` plans for another time; as
 * POST /warmup refuses `at` without `dry_run`, applying such a plan now takes an explicit
 * `--apply` (a plan for another time scales services for a burst that may not be due).
 */
import { type CommandLine, parseCommandLine } from '../../shared/cli/command-line';

export const WARMUP_USAGE = `Usage: npm run warmup -- [--dry-run] [--at ISO [--apply]]

One warm-up run, as the scheduled trigger performs it: plans from WARMUP_SCHEDULE and the services'
capacity now, prints the plan as JSON lines on stdout, and applies it.

  --dry-run   print the plan, change nothing
  --at ISO    plan as the trigger would at this time (e.g. 2026-12-01T01:55:00Z); needs --dry-run
              to rehearse that plan, or --apply to apply it now
  --apply     apply the plan made for --at (applying is the default without --at)
  --help      this text

Reads the front door's environment: CPU_BACKENDS / GPU_BACKENDS (ecs://, cloudrun:// entries are
scaled), WARMUP_SCHEDULE, WARMUP_LEAD_SECONDS, and the cloud SDKs' own credentials. Exits 1 when
a step failed, 2 on bad arguments or configuration.`;

export interface WarmupOptions {
  readonly dryRun: boolean;
  /** Epoch ms to plan for instead of now. */
  readonly at: number | undefined;
}

const FLAGS = { 'dry-run': { type: 'boolean' }, apply: { type: 'boolean' }, at: { type: 'string' } } as const;

/** The warm-up's flags; every bad one reported at once. */
export function parseWarmupArgs(argv: readonly string[]): CommandLine<WarmupOptions> {
  return parseCommandLine({ flags: FLAGS }, argv, (flags) => {
    const text = flags.string('at');
    const at = text === undefined ? undefined : Date.parse(text);
    if (at !== undefined && !Number.isFinite(at)) flags.problems.push(`--at: expected an ISO 8601 time (e.g. 2026-12-01T01:55:00Z), got ${JSON.stringify(text)}`);
    const dryRun = flags.flag('dry-run');
    const apply = flags.flag('apply');
    if (dryRun && apply) flags.problems.push('--dry-run and --apply: choose one');
    else if (text !== undefined && !dryRun && !apply) flags.problems.push('--at: use --dry-run to rehearse the plan for that time, or --apply to apply it now');
    return { dryRun, at };
  });
}
