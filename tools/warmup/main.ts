/**
 * `npm run warmup -- [--dry-run] [--at ISO [--apply]]`: one warm-up run from the command line,
 * exactly as the scheduled trigger performs it, with the same environment as the front door
 * (CPU_BACKENDS, GPU_BACKENDS, WARMUP_SCHEDULE, cloud credentials). Prints the plan as JSON lines;
 * without --dry-run, applies it. Exits 1 when a step failed, 2 on bad arguments or configuration.
 */
import { parseConfig } from '../../shared/config/config';
import { ConfigError } from '../../shared/config/env-reader';
import { createLogger } from '../../shared/logger';
import { createDependencies } from '../../shared/runtime/create-dependencies';
import { createWarmupRunner } from '../../shared/runtime/warmup-runner';
import { createUndiciTransport } from '../../shared/upstream/undici-transport';
import { exitUnlessRun } from '../../shared/cli/command-line';
import { parseWarmupArgs, WARMUP_USAGE } from './warmup-args';

const NO_SCHEDULE_MESSAGE = 'WARMUP_SCHEDULE is unset or empty: no burst to warm for, so the plan can only restore minimums an earlier run raised';

async function main(): Promise<number> {
  const options = exitUnlessRun(parseWarmupArgs(process.argv.slice(2)), WARMUP_USAGE);
  const config = parseConfig(process.env);
  const deps = createDependencies(config, {
    transport: createUndiciTransport({ connectionsPerOrigin: config.upstream.connectionsPerOrigin }),
    runtime: 'warm-up (command line)',
    // One run, then exit: no background probes or refresh timers to keep the process alive.
    concurrentRequests: false,
    logger: createLogger(config.logLevel, (line) => process.stderr.write(`${line}\n`)),
  });
  // An empty schedule plans no raise (only restores of earlier raises): say so, or the run looks
  // as if the schedule had nothing due.
  if (config.warmup.schedule.length === 0) {
    process.stdout.write(`${JSON.stringify({ event: 'no_schedule', message: NO_SCHEDULE_MESSAGE })}\n`);
  }
  try {
    const result = await createWarmupRunner(deps)({
      dryRun: options.dryRun,
      ...(options.at === undefined ? {} : { at: options.at }),
      write: (line) => process.stdout.write(`${line}\n`),
    });
    return result.unreadable.length > 0 || result.results.some((step) => !step.ok) ? 1 : 0;
  } finally {
    await deps.close();
  }
}

main().then((code) => process.exit(code), (error: unknown) => {
  process.stderr.write(error instanceof ConfigError ? `${error.message}\n` : `warm-up failed: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(2);
});
