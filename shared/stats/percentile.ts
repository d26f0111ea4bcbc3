/**
 * The one percentile the project uses: nearest rank over ascending values, so a reported
 * percentile is always a value some sample really had, never an interpolation.
 */

/** Nearest-rank percentile of ascending `sorted` (q in [0, 1]); NaN for no samples. */
export function percentile(sorted: ArrayLike<number>, q: number): number {
  if (!(q >= 0 && q <= 1)) throw new RangeError(`a percentile must be in [0, 1], got ${q}`);
  const count = sorted.length;
  if (count === 0) return Number.NaN;
  const rank = Math.max(1, Math.ceil(q * count));
  return sorted[Math.min(rank, count) - 1] ?? Number.NaN;
}
