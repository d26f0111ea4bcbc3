/**
 * What the benchmark compares: the workloads of the issue (and the two variants that make its
 * latency targets measurable), the four setups each one runs against, and the shape of a result.
 */
import { DJL_PROFILES, type DjlProfileName } from '../djl-simulator/options';
import type { LoadResult } from './load-loop';

/** Simulated instances behind nginx, the client pool and the front door. */
export const INSTANCES = 3;
/** Fraction of the three instances' capacity that (c-paced) offers: busy, but not saturated. */
export const PACED_OFFERED_FRACTION = 0.55;
/** The "moderate rate" at which (d-moderate) measures added latency, requests per second. */
export const MODERATE_RATE_PER_S = 400;
/** Texts in one request of (c). */
const BIG_REQUEST_TEXTS = 256;
const PACED_CLIENTS = 4;
const MS_PER_S = 1_000;

/**
 * The most chunks per second `instances` simulated instances can embed: every worker busy on
 * per-text cost alone (big batches make the fixed cost per job negligible). About 2,400 for three
 * CPU instances (3 x 2 workers / 2.52 ms).
 */
export function physicalLimit(profile: DjlProfileName, instances: number): number {
  const { workers, perItemMs } = DJL_PROFILES[profile];
  return perItemMs === 0 ? Number.POSITIVE_INFINITY : (instances * workers * MS_PER_S) / perItemMs;
}

/**
 * The most chunks per second `clients` closed-loop one-text clients can get from `instances`
 * instances when the front door costs nothing: the clients spread over every worker slot, each
 * batch carrying clients / slots texts and taking a + b x clients / slots ms, after which its
 * clients send again at once. About 1,700 for (a) (64 clients, 6 slots, 10.8 + 2.52 x 10.7 ms).
 */
export function closedLoopLimit(profile: DjlProfileName, instances: number, clients: number): number {
  const { workers, baseMs, perItemMs } = DJL_PROFILES[profile];
  const perBatch = clients / (instances * workers);
  return (clients * MS_PER_S) / (baseMs + perItemMs * perBatch);
}

/** How long one job of `texts` texts holds a worker: what a whole request costs sent to one instance. */
export function jobMs(profile: DjlProfileName, texts: number): number {
  const { baseMs, perItemMs } = DJL_PROFILES[profile];
  return baseMs + perItemMs * texts;
}

/** The workloads of the issue, by id. */
export const WORKLOAD_IDS = ['a', 'b', 'c', 'c-paced', 'd', 'd-moderate'] as const;
/** One of {@link WORKLOAD_IDS}. */
export type WorkloadId = (typeof WORKLOAD_IDS)[number];

/** One row group of the table: a load shape against one simulator profile. */
export interface Workload {
  readonly id: WorkloadId;
  /** The letter; `--only c` selects (c) and (c-paced). */
  readonly group: 'a' | 'b' | 'c' | 'd';
  readonly title: string;
  readonly profile: DjlProfileName;
  readonly clients: number;
  readonly textsPerRequest: number;
  /** 0: closed loop; otherwise each client starts a request at most once per interval. */
  readonly intervalMs: number;
  /** A longer warm-up than `--warmup` for this workload, in seconds (every setup gets the same). */
  readonly minWarmupS?: number;
}

/**
 * (d-moderate) warms up longer: at 400 req/s the default 2 s is 800 requests, too few for V8 to
 * optimise a Node proxy's hot paths (measured: a fresh front door adds ~1.2 ms p50 after 10 s,
 * ~0.5 ms after 30 s), and a front door is a long-lived process whose steady state is what the
 * target is about. Every setup gets the same warm-up.
 */
const MODERATE_WARMUP_S = 30;

const pacedIntervalMs = (): number => {
  const offeredChunksPerS = PACED_OFFERED_FRACTION * physicalLimit('cpu', INSTANCES);
  return (PACED_CLIENTS * BIG_REQUEST_TEXTS * MS_PER_S) / offeredChunksPerS;
};

/** Every workload, in the order they run. */
export const WORKLOADS: readonly Workload[] = [
  { id: 'a', group: 'a', title: '(a) 1 text/request, 64 clients', profile: 'cpu', clients: 64, textsPerRequest: 1, intervalMs: 0 },
  { id: 'b', group: 'b', title: '(b) 1 text/request, 256 clients', profile: 'cpu', clients: 256, textsPerRequest: 1, intervalMs: 0 },
  {
    id: 'c', group: 'c', title: '(c) 256 texts/request, 4 clients, closed loop',
    profile: 'cpu', clients: PACED_CLIENTS, textsPerRequest: BIG_REQUEST_TEXTS, intervalMs: 0,
  },
  {
    id: 'c-paced', group: 'c', title: `(c-paced) 256 texts/request, 4 clients at ${Math.round(PACED_OFFERED_FRACTION * 100)}% of capacity`,
    profile: 'cpu', clients: PACED_CLIENTS, textsPerRequest: BIG_REQUEST_TEXTS, intervalMs: pacedIntervalMs(),
  },
  { id: 'd', group: 'd', title: '(d) zero-cost backends, 1 text/request, 64 clients', profile: 'zero', clients: 64, textsPerRequest: 1, intervalMs: 0 },
  {
    id: 'd-moderate', group: 'd', title: `(d-moderate) zero-cost backends, 4 clients at ${MODERATE_RATE_PER_S} req/s in all`,
    profile: 'zero', clients: PACED_CLIENTS, textsPerRequest: 1, intervalMs: (PACED_CLIENTS * MS_PER_S) / MODERATE_RATE_PER_S,
    minWarmupS: MODERATE_WARMUP_S,
  },
];

/**
 * The ways of reaching the instances that are compared: four in every workload; a plain Node
 * proxy (plain-node-proxy.ts) under the zero-cost workloads (d), where it shows what any Node
 * hop costs on the machine; and with `--baseline-root`, the front door of another checkout (an
 * older commit), measured in the same run.
 */
export const SETUPS = {
  direct: 'direct, 1 instance',
  nginx: 'nginx least_conn, 3',
  pool: 'round-robin pool, 3',
  nodeProxy: 'plain Node proxy, 3',
  baseline: 'front door baseline, 3',
  frontDoor: 'front door, 3',
} as const;
/** One of {@link SETUPS}. */
export type SetupId = keyof typeof SETUPS;
/** The workloads the plain Node proxy runs under: the zero-cost ones, where a hop's own cost shows. */
const NODE_PROXY_GROUP: Workload['group'] = 'd';
/** The setups of `workload` in a run, in order: the baseline front door just before this one when there is one. */
export function setupsOf(withBaseline: boolean, workload: Pick<Workload, 'group'>): readonly SetupId[] {
  const nodeProxy: SetupId[] = workload.group === NODE_PROXY_GROUP ? ['nodeProxy'] : [];
  return ['direct', 'nginx', 'pool', ...nodeProxy, ...(withBaseline ? ['baseline' as const] : []), 'frontDoor'];
}

/** CPU use during a cell's window; 100 = one core busy. */
export interface CellCpu {
  readonly loadGenerator: number | undefined;
  readonly simulators: number | undefined;
  /** nginx (master and workers) or the front door; absent for direct and pool. */
  readonly proxy: number | undefined;
  /**
   * Of `proxy`, a Node proxy's main thread (its event loop); the rest is its other threads', V8's
   * garbage collection mostly. Absent for nginx and where /proc cannot tell.
   */
  readonly proxyMainThread?: number | undefined;
  /** The whole machine, every process on it (other people's included); up to nproc x 100. */
  readonly machine: number | undefined;
}

/** A cell's CPU when nothing was measured. */
export const NO_CPU: CellCpu = Object.freeze({ loadGenerator: undefined, simulators: undefined, proxy: undefined, machine: undefined });

/** One workload against one setup: measured, or skipped with the reason. */
export interface Cell {
  readonly workload: WorkloadId;
  readonly setup: SetupId;
  readonly result: LoadResult | undefined;
  readonly skipped: string | undefined;
  readonly cpu: CellCpu;
}

/** The result of one workload and setup, when it was measured. */
export function findResult(cells: readonly Cell[], workload: WorkloadId, setup: SetupId): LoadResult | undefined {
  return cells.find((cell) => cell.workload === workload && cell.setup === setup)?.result;
}
