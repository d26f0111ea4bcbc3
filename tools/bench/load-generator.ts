/**
 * The load generator as its own process: `tsx tools/bench/load-generator.ts --url URL [...]`.
 * Prints one JSON {@link LoadResult} on stdout and exits by itself (bounded by time and by request
 * count). Run by the benchmark runner, which also hears, over the IPC channel when there is one,
 * when measuring starts and stops.
 */
import { LOAD_EVENTS } from './load-events';
import { LOAD_USAGE, parseLoadPlan } from './load-plan';
import { exitUnlessRun } from '../../shared/cli/command-line';
import { runBenchLoad } from './load-loop';

const EXIT_FAILURE = 1;
/** Past warm-up, window and drain, a last margin before the process gives up on itself. */
const SAFETY_MARGIN_MS = 10_000;
const MS_PER_S = 1_000;

function announce(event: string): void {
  process.send?.({ event });
}

async function main(): Promise<void> {
  const plan = exitUnlessRun(parseLoadPlan(process.argv.slice(2)), LOAD_USAGE);
  const budgetMs = (plan.warmupS + plan.durationS) * MS_PER_S + plan.drainMs + SAFETY_MARGIN_MS;
  setTimeout(() => {
    process.stderr.write(`load generator: still running after ${budgetMs} ms; giving up\n`);
    process.exit(EXIT_FAILURE);
  }, budgetMs).unref();

  const result = await runBenchLoad(plan, {
    onWindowStart: () => announce(LOAD_EVENTS.windowStart),
    onWindowEnd: () => announce(LOAD_EVENTS.windowEnd),
  });
  process.stdout.write(`${JSON.stringify(result)}\n`, () => {
    process.disconnect?.();
    process.exit(0);
  });
}

main().catch((error: unknown) => {
  process.stderr.write(`load generator failed: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(EXIT_FAILURE);
});
