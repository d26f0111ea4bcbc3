/**
 * Runs the load generator as its own process for one cell, and samples the CPU of the processes
 * under test exactly over its measuring window (it says over IPC when the window opens and shuts).
 */
import type { ProcessRegistry } from './child-processes';
import { LOAD_EVENTS } from './load-events';
import type { LoadResult } from './load-loop';
import { loadPlanArgs, type LoadPlan } from './load-plan';
import { ENTRY_POINTS, REPO_ROOT, tsxCommand } from './repo-paths';

/** Start-up (tsx compiles on the fly) and exit, on top of the plan's own time. */
const PROCESS_OVERHEAD_MS = 30_000;
const MS_PER_S = 1_000;

/** The result line the load generator prints; undefined for any other line. */
export function parseLoadResultLine(line: string): LoadResult | undefined {
  if (!line.startsWith('{')) return undefined;
  try {
    const parsed = JSON.parse(line) as Partial<LoadResult>;
    return typeof parsed.chunksPerS === 'number' && parsed.latencyMs !== undefined ? (parsed as LoadResult) : undefined;
  } catch {
    return undefined;
  }
}

/** Something started and stopped with the measuring window (a CpuMeter, a profile window). */
export interface WindowMeter {
  start(): void;
  stop(): void;
}

/** Runs `plan` in a child process; `meters` start and stop with its measuring window. */
export async function runLoadGenerator(
  registry: ProcessRegistry,
  plan: LoadPlan,
  meters: readonly WindowMeter[],
): Promise<LoadResult> {
  const [command, args] = tsxCommand(ENTRY_POINTS.loadGenerator, loadPlanArgs(plan));
  const started = registry.start('load generator', command, args, { cwd: REPO_ROOT, env: process.env, ipc: true });
  // The IPC channel and stdout are not ordered with each other: the window's end may be heard
  // after the result line, so the meters are read only once it (or the channel's close) is.
  const windowClosed = new Promise<void>((resolve) => {
    started.child.on('message', (message: { event?: unknown }) => {
      if (message.event === LOAD_EVENTS.windowStart) for (const meter of meters) meter.start();
      if (message.event === LOAD_EVENTS.windowEnd) {
        for (const meter of meters) meter.stop();
        resolve();
      }
    });
    started.child.once('disconnect', () => resolve());
  });
  const budgetMs = (plan.warmupS + plan.durationS) * MS_PER_S + plan.drainMs + PROCESS_OVERHEAD_MS;
  try {
    const result = await started.waitForLine(parseLoadResultLine, budgetMs);
    await started.exited;
    await windowClosed;
    return result;
  } finally {
    await registry.stop(started);
  }
}
