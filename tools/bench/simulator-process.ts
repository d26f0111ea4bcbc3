/**
 * Simulated DJL instances in their own process, through the simulator's CLI: they answer on
 * 127.0.0.1, ports chosen by the system, and the CLI prints the backend list we parse.
 */
import type { DjlProfileName } from '../djl-simulator/options';
import type { ProcessRegistry, TrackedProcess } from './child-processes';
import { ENTRY_POINTS, REPO_ROOT, tsxCommand } from './repo-paths';

/** Simulators started for one workload. */
export interface SimulatorProcess {
  readonly process: TrackedProcess;
  /** `http://127.0.0.1:PORT/predictions/all_MiniLM_L6_v2`, one per instance. */
  readonly urls: readonly string[];
}

const READY_TIMEOUT_MS = 20_000;
/** The CLI's last line before "Ctrl-C": `CPU_BACKENDS=url,url,...` (GPU_ for the gpu profile). */
const BACKENDS_LINE = /^[A-Z]+_BACKENDS=(\S+)$/;

/** Parses the simulator CLI's backend line; undefined for any other line. */
export function parseBackendsLine(line: string): string[] | undefined {
  const match = BACKENDS_LINE.exec(line.trim());
  return match?.[1]?.split(',').filter((url) => url !== '');
}

/** A cost model other than the profile's (the simulator CLI's --workers, --base-ms, --per-item-ms). */
export interface SimulatorCost {
  readonly workers: number;
  readonly baseMs: number;
  readonly perItemMs: number;
}

/** Starts `instances` simulators with a cost profile (or `cost` over it) and waits for their URLs. */
export async function startSimulators(
  registry: ProcessRegistry,
  profile: DjlProfileName,
  instances: number,
  cost?: SimulatorCost,
): Promise<SimulatorProcess> {
  const costArgs = cost === undefined
    ? []
    : ['--workers', String(cost.workers), '--base-ms', String(cost.baseMs), '--per-item-ms', String(cost.perItemMs)];
  // Floats written the way real DJL (Java) writes them, so bodies have real DJL's size.
  const [command, args] = tsxCommand(ENTRY_POINTS.simulator, [
    '--profile', profile, '--instances', String(instances), '--port', '0', '--float-format', 'java', ...costArgs,
  ]);
  const started = registry.start(`simulators (${profile})`, command, args, { cwd: REPO_ROOT, env: process.env });
  const urls = await started.waitForLine(parseBackendsLine, READY_TIMEOUT_MS);
  if (urls.length !== instances) {
    await registry.stop(started);
    throw new Error(`the simulator CLI printed ${urls.length} URLs, expected ${instances}`);
  }
  return { process: started, urls };
}
