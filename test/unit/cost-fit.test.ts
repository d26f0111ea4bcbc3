/** The per-request cost model `latency = a + b * n`, fitted by least squares over sweep points. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { capacityAt, fitCostModel, type CostPoint } from '../../tools/loadtest/cost-fit';

const CPU = { a: 10.8, b: 2.52 } as const;
const line = (a: number, b: number, sizes: readonly number[]): CostPoint[] => sizes.map((n) => ({ n, latencyMs: a + b * n }));
const close = (actual: number, expected: number, epsilon = 1e-9): void =>
  assert.ok(Math.abs(actual - expected) <= epsilon, `${actual} is not ${expected}`);

describe('cost model fit', () => {
  test('points on a line give that line back, with R^2 = 1', () => {
    const fit = fitCostModel(line(CPU.a, CPU.b, [1, 4, 16, 32]));
    close(fit.a, CPU.a);
    close(fit.b, CPU.b);
    close(fit.r2, 1);
    assert.equal(fit.points, 4);
  });

  test('noise that only adds (as timers and networks do) shifts a, not b; R^2 drops below 1', () => {
    // +1 ms on every point, +/-0.5 ms alternating: the fixed overhead lands in a.
    const noisy = line(CPU.a, CPU.b, [1, 2, 4, 8, 16, 32]).map((point, index) => ({
      n: point.n, latencyMs: point.latencyMs + 1 + (index % 2 === 0 ? 0.5 : -0.5),
    }));
    const fit = fitCostModel(noisy);
    assert.ok(Math.abs(fit.a - (CPU.a + 1)) < 0.5, `a = ${fit.a}`);
    assert.ok(Math.abs(fit.b - CPU.b) < 0.05, `b = ${fit.b}`);
    assert.ok(fit.r2 < 1 && fit.r2 > 0.99, `R^2 = ${fit.r2}`);
  });

  test('repeated batch sizes are fitted as separate points (least squares over all of them)', () => {
    const fit = fitCostModel([
      { n: 1, latencyMs: 12 }, { n: 1, latencyMs: 14 },
      { n: 9, latencyMs: 30 }, { n: 9, latencyMs: 32 },
    ]);
    close(fit.a, 10.75);
    close(fit.b, 2.25);
  });

  test('a flat line (latency independent of n) has b = 0 and explains everything', () => {
    const fit = fitCostModel(line(5, 0, [1, 8, 64]));
    close(fit.b, 0);
    close(fit.a, 5);
    close(fit.r2, 1);
  });

  test('fewer than two distinct batch sizes, or a non-finite point, cannot fix a line', () => {
    assert.throws(() => fitCostModel([]), /two or more distinct batch sizes/);
    assert.throws(() => fitCostModel([{ n: 4, latencyMs: 20 }, { n: 4, latencyMs: 21 }]), /two or more distinct batch sizes/);
    assert.throws(() => fitCostModel([{ n: 1, latencyMs: 13 }, { n: 4, latencyMs: Number.NaN }]), /non-finite/);
  });

  test('capacity of an instance follows from the model: workers * n / (a + b * n)', () => {
    // The simulator's cpu profile at batch 32: about 700 chunks/s for two workers.
    close(capacityAt(CPU, 2, 32), (2 * 32 * 1_000) / (10.8 + 2.52 * 32));
    assert.ok(Math.abs(capacityAt(CPU, 2, 32) - 699.9) < 0.1);
  });
});
