/**
 * Waits, a bounded time, for the machine to be quiet before a cell: on a shared machine other work
 * (another test suite, a build) competes for the same cores and skews whatever cell it overlaps.
 * Between cells the benchmark's own processes are idle, so what is busy then is someone else.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { CpuMeter } from './process-cpu';

/** Other work below this (percent of one core) counts as quiet. */
export const QUIET_PERCENT = 25;
/** Each reading lasts this long. */
const SAMPLE_MS = 500;
/**
 * Processes just started for a workload (tsx compiling, servers binding) are busy for a moment
 * themselves; only a wait longer than this is someone else's work worth mentioning.
 */
const ANNOUNCE_AFTER_MS = 2_000;
const MS_PER_S = 1_000;

/**
 * Resolves once the machine is quiet or after `maxWaitMs`, with how busy it was at the last
 * reading (undefined where /proc/stat is missing: nothing to wait for).
 */
export async function waitForQuietMachine(maxWaitMs: number, log: (line: string) => void): Promise<number | undefined> {
  const startedAt = performance.now();
  const deadline = startedAt + maxWaitMs;
  let announced = false;
  for (;;) {
    const meter = CpuMeter.ofMachine();
    meter.start();
    await sleep(SAMPLE_MS);
    meter.stop();
    const busy = meter.percent();
    if (busy === undefined || busy < QUIET_PERCENT) return busy;
    if (performance.now() >= deadline) {
      log(`    (the machine is still ${Math.round(busy)}% busy with other work; measuring anyway)`);
      return busy;
    }
    if (!announced && performance.now() - startedAt >= ANNOUNCE_AFTER_MS) {
      log(`    (waiting up to ${Math.round(maxWaitMs / MS_PER_S)} s for other work on the machine, ${Math.round(busy)}% busy, to finish)`);
      announced = true;
    }
  }
}
