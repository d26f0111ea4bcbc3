/**
 * The simulation's only source of randomness: mulberry32, a 32-bit seeded generator. Every random
 * draw (arrival times, request sizes, spike times, cold starts) goes through one of these, so a
 * scenario run twice with the same seed gives the same numbers, to the last digit.
 */

/** A seeded stream of uniform numbers in [0, 1). */
export interface Rng {
  next(): number;
}

const UINT32 = 4_294_967_296;

/** mulberry32 (Tommy Ettinger): fast, 32 bits of state, good enough for queueing experiments. */
export function createRng(seed: number): Rng {
  let state = seed >>> 0;
  return {
    next(): number {
      state = (state + 0x6d2b79f5) >>> 0;
      let t = state;
      t = Math.imul(t ^ (t >>> 15), t | 1);
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
      return ((t ^ (t >>> 14)) >>> 0) / UINT32;
    },
  };
}

/**
 * An independent stream for one purpose (arrivals, cold starts of one policy, ...), so adding a
 * draw in one place does not shift every other draw of the run.
 */
export function deriveRng(seed: number, stream: string): Rng {
  let hash = seed >>> 0;
  for (let index = 0; index < stream.length; index++) {
    hash = Math.imul(hash ^ stream.charCodeAt(index), 0x01000193) >>> 0;
  }
  return createRng(hash);
}

/** Exponentially distributed with the given mean (inter-arrival times of a Poisson process). */
export function exponential(rng: Rng, mean: number): number {
  return -Math.log(1 - rng.next()) * mean;
}

/** Uniform in [min, max]. */
export function uniform(rng: Rng, min: number, max: number): number {
  return min + (max - min) * rng.next();
}

/** A whole number, uniform in [min, max]. */
export function uniformInt(rng: Rng, min: number, max: number): number {
  return min + Math.floor((max - min + 1) * rng.next());
}
