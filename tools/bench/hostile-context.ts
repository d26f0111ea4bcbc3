/**
 * What every hostile-load scenario shares: the run's processes, the checkout measured, the
 * simulated backends and their cost model, and a front door started fresh for each attack (its
 * peak RSS then belongs to that attack alone).
 */
import { createHash } from 'node:crypto';
import type { ProcessRegistry } from './child-processes';
import { startFrontDoor, type FrontDoorProcess } from './front-door-process';
import type { HostileShape } from './hostile-options';
import { readProcessMemory, type ProcessMemory } from './hostile-probes';
import type { SimulatorCost } from './simulator-process';

/**
 * The backends' cost model: DJL's 2 workers, 10 ms a job and 3 ms a text, two instances. A batch
 * of 32 (CPU_BATCH_SIZE) takes 106 ms and the two instances do about 1,200 texts/s, the issue's
 * capacity, far below one key's default 10,000 texts/s: a key inside its limits can flood them.
 */
export const BACKEND_COST: SimulatorCost = { workers: 2, baseMs: 10, perItemMs: 3 };
export const BACKEND_INSTANCES = 2;
/** The front door's default CPU_BATCH_SIZE, which the target's "one batch time" is of. */
export const DEFAULT_BATCH_TEXTS = 32;
const MS_PER_S = 1_000;

/** One full batch on one worker, by the cost model: the fairness target's allowance. */
export const BATCH_TIME_MS = BACKEND_COST.baseMs + BACKEND_COST.perItemMs * DEFAULT_BATCH_TEXTS;
/** Texts/s the backends serve at most, in full batches. */
export const BACKEND_CAPACITY_TEXTS_PER_S = (BACKEND_INSTANCES * BACKEND_COST.workers * DEFAULT_BATCH_TEXTS * MS_PER_S) / BATCH_TIME_MS;

/** DJL's inference path on the front door (the simulators serve this model name). */
export const DJL_ROUTE = '/predictions/all_MiniLM_L6_v2';
export const OPENAI_ROUTE = '/v1/embeddings';

/** The run's shared means; one per checkout measured. */
export interface ScenarioContext {
  readonly registry: ProcessRegistry;
  /** The checkout whose front door is started; undefined: this one. */
  readonly repoRoot: string | undefined;
  readonly shape: HostileShape;
  /** The simulated DJL instances (BACKEND_COST). */
  readonly backends: readonly string[];
  readonly log: (line: string) => void;
}

/** A front door started for one attack. */
export interface Subject {
  readonly frontDoor: FrontDoorProcess;
  readonly memory: () => ProcessMemory;
  readonly stop: () => Promise<void>;
}

/** Starts a front door over `backends` with `env` added to its defaults. */
export async function startSubject(context: ScenarioContext, env: Readonly<Record<string, string>> = {}, backends = context.backends): Promise<Subject> {
  const frontDoor = await startFrontDoor(context.registry, backends, { env: { ...env }, repoRoot: context.repoRoot });
  return {
    frontDoor,
    memory: () => readProcessMemory(frontDoor.process.pid),
    stop: () => context.registry.stop(frontDoor.process),
  };
}

/** An API key and its API_KEYS entry (`name:sha256hex`, default per-key limits). */
export function apiKey(name: string): { readonly key: string; readonly entry: string } {
  const key = `efd_hostile_bench_${name}_key`;
  return { key, entry: `${name}:${createHash('sha256').update(key, 'utf8').digest('hex')}` };
}

/** Headers of a JSON request, with the key when there is one. */
export function jsonHeaders(key: string | undefined): Record<string, string> {
  return { 'content-type': 'application/json', ...(key === undefined ? {} : { authorization: `Bearer ${key}` }) };
}
