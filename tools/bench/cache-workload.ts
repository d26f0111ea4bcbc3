/**
 * The cache benchmark's workloads and verdicts, pure: which texts a request carries (half of them
 * repeats from a fixed pool of boilerplate chunks, or none), and the targets judged from
 * the measured cells.
 */
import { CHUNK_CHARS, chunkText } from './texts';

export const CacheSetup = { none: 'none', memory: 'memory', shared: 'shared' } as const;
export type CacheSetup = (typeof CacheSetup)[keyof typeof CacheSetup];
export const CACHE_SETUP_LABELS: Readonly<Record<CacheSetup, string>> = {
  none: 'no cache', memory: 'in-process cache', shared: 'shared cache (redis-server)',
};

export const CacheWorkloadId = { half: 'half-repeated', none: 'no-repeats' } as const;
export type CacheWorkloadId = (typeof CacheWorkloadId)[keyof typeof CacheWorkloadId];

export interface CacheWorkload {
  readonly id: CacheWorkloadId;
  readonly label: string;
  /** Share of a request's texts drawn from the repeated pool. */
  readonly repeatShare: number;
}

export const CACHE_WORKLOADS: readonly CacheWorkload[] = [
  { id: CacheWorkloadId.half, label: '50% repeated texts', repeatShare: 0.5 },
  { id: CacheWorkloadId.none, label: 'no repeated texts', repeatShare: 0 },
];

/** Distinct repeated chunks (headers, footers, licence text): few enough to be cached after the warm-up. */
export const REPEAT_POOL = 512;
/** Knuth's multiplicative hash constant: spreads (client, sequence, index) over [0, 2^32). */
const HASH_MULTIPLIER = 2_654_435_761;
const UINT32 = 0x1_0000_0000;
const SALT = { client: 7_919, sequence: 104_729 } as const;

/** A stable pseudo-random fraction for one text position. */
function positionFraction(client: number, sequence: number, index: number): number {
  const mixed = (client * SALT.client + sequence * SALT.sequence + index) >>> 0;
  return ((Math.imul(mixed, HASH_MULTIPLIER) >>> 0) / UINT32);
}

/** The texts of request `sequence` of `client`: a share of repeats from the pool, the rest unique. */
export function workloadTexts(workload: CacheWorkload, client: number, sequence: number, count: number): string[] {
  const texts = new Array<string>(count);
  for (let index = 0; index < count; index++) {
    const fraction = positionFraction(client, sequence, index);
    texts[index] = fraction < workload.repeatShare
      ? chunkText(-1, Math.floor((fraction / workload.repeatShare) * REPEAT_POOL), 0)
      : chunkText(client, sequence, index);
  }
  return texts;
}

export interface CacheCell {
  readonly workload: CacheWorkloadId;
  readonly setup: CacheSetup;
  readonly chunksPerS: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly requests: number;
  readonly errors: number;
  /** Of the answers, how many the cache said were hit, partial or miss. */
  readonly cacheHeaders: Readonly<Record<string, number>>;
}

export interface CacheVerdict {
  readonly target: string;
  readonly measured: string;
  readonly met: boolean;
}

/** Target with half the texts repeated: at least this many times no cache's chunks/s... */
export const REPEAT_SPEEDUP_TARGET = 1.8;
/** ...and with none repeated, at most this share below it. */
export const NO_REPEAT_SLOWDOWN_TARGET = 0.05;

const find = (cells: readonly CacheCell[], workload: CacheWorkloadId, setup: CacheSetup): CacheCell | undefined =>
  cells.find((cell) => cell.workload === workload && cell.setup === setup);

/** The targets for each cache setup against no cache. */
export function judgeCache(cells: readonly CacheCell[]): CacheVerdict[] {
  const verdicts: CacheVerdict[] = [];
  for (const setup of [CacheSetup.memory, CacheSetup.shared]) {
    const base = find(cells, CacheWorkloadId.half, CacheSetup.none);
    const cached = find(cells, CacheWorkloadId.half, setup);
    if (base !== undefined && cached !== undefined) {
      const speedup = cached.chunksPerS / base.chunksPerS;
      verdicts.push({
        target: `${CACHE_SETUP_LABELS[setup]}, 50% repeats: ≥ ${REPEAT_SPEEDUP_TARGET}x no cache's chunks/s at equal or lower p99`,
        measured: `${speedup.toFixed(2)}x, p99 ${cached.p99Ms.toFixed(0)} ms vs ${base.p99Ms.toFixed(0)} ms`,
        met: speedup >= REPEAT_SPEEDUP_TARGET && cached.p99Ms <= base.p99Ms,
      });
    }
    const plain = find(cells, CacheWorkloadId.none, CacheSetup.none);
    const miss = find(cells, CacheWorkloadId.none, setup);
    if (plain !== undefined && miss !== undefined) {
      const change = miss.chunksPerS / plain.chunksPerS - 1;
      verdicts.push({
        target: `${CACHE_SETUP_LABELS[setup]}, no repeats: at most ${NO_REPEAT_SLOWDOWN_TARGET * 100}% below no cache's chunks/s`,
        measured: `${(change * 100).toFixed(1)}%`,
        met: change >= -NO_REPEAT_SLOWDOWN_TARGET,
      });
    }
  }
  return verdicts;
}

export { CHUNK_CHARS };
