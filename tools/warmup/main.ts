/**
 * `npm run warmup -- [--dry-run] [--at ISO]`: one warm-up run from the command line, exactly as
 * the scheduled trigger performs it, with the same environment as the front door (CPU_BACKENDS,
 * GPU_BACKENDS, WARMUP_SCHEDULE, cloud credentials). Prints the plan as JSON lines; without
 * --dry-run, applies it. Exits 1 when a step failed, 2 on bad arguments or configuration.
 */
import { parseConfig } from '../../shared/config/config';
import { ConfigError } from '../../shared/config/env-reader';
import { createLogger } from '../../shared/logger';
import { createDependencies } from '../../shared/runtime/create-dependencies';
import { createWarmupRunner } from '../../shared/runtime/warmup-runner';
import { createUndiciTransport } from '../../shared/upstream/undici-transport';
import { exitUnlessRun, parseCommandLine } from '../cli/command-line';

const USAGE = `Usage: npm run warmup -- [--dry-run] [--at ISO]
  --dry-run   print the plan as JSON lines, change nothing
  --at ISO    plan as the trigger would at this time (e.g. 2026-12-01T01:55:00Z);
              applied only without --dry-run, so use it to rehearse a burst
  --help      this text
Reads the front door's environment: CPU_BACKENDS / GPU_BACKENDS (ecs://, cloudrun:// entries are
scaled), WARMUP_SCHEDULE, WARMUP_LEAD_SECONDS, and the cloud SDKs' own credentials.`;

const FLAGS = { 'dry-run': { type: 'boolean' }, at: { type: 'string' } } as const;

async function main(): Promise<number> {
  const options = exitUnlessRun(parseCommandLine({ flags: FLAGS }, process.argv.slice(2), (flags) => {
    const text = flags.string('at');
    const at = text === undefined ? undefined : Date.parse(text);
    if (at !== undefined && !Number.isFinite(at)) flags.problems.push(`--at: expected an ISO 8601 time (e.g. 2026-12-01T01:55:00Z), got ${JSON.stringify(text)}`);
    return { dryRun: flags.flag('dry-run'), at };
  }), USAGE);
  const config = parseConfig(process.env);
  const deps = createDependencies(config, {
    transport: createUndiciTransport({ connectionsPerOrigin: config.upstream.connectionsPerOrigin }),
    runtime: 'warm-up (command line)',
    // One run, then exit: no background probes or refresh timers to keep the process alive.
    concurrentRequests: false,
    logger: createLogger(config.logLevel, (line) => process.stderr.write(`${line}\n`)),
  });
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
