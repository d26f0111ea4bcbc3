/**
 * Learns an endpoint's cost model, `latency ≈ a + b·n` for a batch of n texts, by exponentially
 * decayed least squares over its recent batches. The fixed cost `a` is why one-text requests
 * waste an instance; knowing both terms lets the dispatcher predict how fast its queue drains
 * at the batch sizes that queue will actually form.
 */

/** Weight kept by the older samples at each new one (about the last 50 batches count). */
const DECAY = 0.98;
/** Below this spread of batch sizes the slope is not identifiable: fall back to a per-text average. */
const MIN_SIZE_VARIANCE = 0.5;

export interface CostEstimate {
  readonly baseMs: number;
  readonly perItemMs: number;
}

export class CostModelEstimator {
  private weight = 0;
  private sumN = 0;
  private sumY = 0;
  private sumNN = 0;
  private sumNY = 0;

  record(texts: number, latencyMs: number): void {
    this.weight = this.weight * DECAY + 1;
    this.sumN = this.sumN * DECAY + texts;
    this.sumY = this.sumY * DECAY + latencyMs;
    this.sumNN = this.sumNN * DECAY + texts * texts;
    this.sumNY = this.sumNY * DECAY + texts * latencyMs;
  }

  /** The fitted model, or undefined before any sample. */
  estimate(): CostEstimate | undefined {
    if (this.weight === 0) return undefined;
    const meanN = this.sumN / this.weight;
    const meanY = this.sumY / this.weight;
    const varianceN = this.sumNN / this.weight - meanN * meanN;
    if (varianceN < MIN_SIZE_VARIANCE) {
      // Every batch about the same size: all we know is the cost per text at that size.
      return { baseMs: 0, perItemMs: meanY / Math.max(1, meanN) };
    }
    const slope = (this.sumNY / this.weight - meanN * meanY) / varianceN;
    const perItemMs = Math.max(0, slope);
    const baseMs = Math.max(0, meanY - perItemMs * meanN);
    return { baseMs, perItemMs };
  }

  /** Predicted latency of a batch of `texts`. */
  predictMs(texts: number): number | undefined {
    const model = this.estimate();
    return model === undefined ? undefined : model.baseMs + model.perItemMs * texts;
  }
}
