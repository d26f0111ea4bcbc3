/**
 * The per-request cost model `latency = a + b * n` (n texts in the request), fitted by ordinary
 * least squares to points measured at several batch sizes. Pure: points in, fit out. The same
 * shape as the DJL simulator's `baseMs + perItemMs * n`, so a fit can be fed straight to it.
 */

const MS_PER_S = 1_000;

/** One measurement: a request of `n` texts took `latencyMs`. */
export interface CostPoint {
  readonly n: number;
  readonly latencyMs: number;
}

/** The fitted line and how well it explains the points. */
export interface CostFit {
  /** Fixed cost of a request, whatever its size (ms). */
  readonly a: number;
  /** Extra cost of each text (ms per text). */
  readonly b: number;
  /** Coefficient of determination: 1 is a perfect line, 0 no better than the mean. */
  readonly r2: number;
  /** How many points went into the fit. */
  readonly points: number;
}

/**
 * Least-squares fit of `latencyMs = a + b * n`. Throws a RangeError when the points cannot fix a
 * line (fewer than two distinct `n`) or hold a non-finite number, since a made-up model fed to a
 * capacity plan is worse than none.
 */
export function fitCostModel(points: readonly CostPoint[]): CostFit {
  const bad = points.filter((point) => !Number.isFinite(point.n) || !Number.isFinite(point.latencyMs));
  if (bad.length > 0) throw new RangeError(`cost model: ${bad.length} point(s) hold a non-finite number`);
  if (new Set(points.map((point) => point.n)).size < 2) {
    throw new RangeError('cost model: need points at two or more distinct batch sizes');
  }
  const count = points.length;
  let sumN = 0;
  let sumLatency = 0;
  for (const point of points) {
    sumN += point.n;
    sumLatency += point.latencyMs;
  }
  const meanN = sumN / count;
  const meanLatency = sumLatency / count;
  // Centred sums: numerically steadier than the textbook sum-of-squares form.
  let sxx = 0;
  let sxy = 0;
  let syy = 0;
  for (const point of points) {
    const dn = point.n - meanN;
    const dl = point.latencyMs - meanLatency;
    sxx += dn * dn;
    sxy += dn * dl;
    syy += dl * dl;
  }
  const b = sxy / sxx;
  const a = meanLatency - b * meanN;
  let residual = 0;
  for (const point of points) {
    const error = point.latencyMs - (a + b * point.n);
    residual += error * error;
  }
  // All latencies equal: a flat line explains them fully.
  const r2 = syy === 0 ? 1 : 1 - residual / syy;
  return { a, b, r2, points: count };
}

/** Capacity of one instance of `workers` workers at batch size `n`, texts per second. */
export function capacityAt(fit: Pick<CostFit, 'a' | 'b'>, workers: number, n: number): number {
  return (workers * n * MS_PER_S) / (fit.a + fit.b * n);
}
