/**
 * Sentence-transformers' pooling for all-MiniLM-L6-v2: the mean of the token vectors the
 * attention mask keeps (padding excluded), then L2 normalisation, so a dot product is a cosine.
 * Pure arithmetic over flat arrays, as ONNX Runtime returns them.
 */

// sentence-transformers clamps the token count to 1e-9 and F.normalize the norm to 1e-12:
// an all-masked row or an all-zero mean gives a zero vector instead of NaN.
const MIN_TOKEN_COUNT = 1e-9;
const MIN_NORM = 1e-12;

/**
 * @param hidden `last_hidden_state`, `[batch, seqLen, dimension]` row-major.
 * @param mask `attention_mask`, `[batch, seqLen]`.
 * @returns `[batch, dimension]` row-major, each row of length 1 (or all zeros).
 */
export function meanPoolNormalized(hidden: Float32Array, mask: BigInt64Array, batch: number, seqLen: number, dimension: number): Float32Array {
  const pooled = new Float32Array(batch * dimension);
  const sum = new Float64Array(dimension);
  for (let row = 0; row < batch; row++) {
    sum.fill(0);
    let count = 0;
    for (let position = 0; position < seqLen; position++) {
      if (mask[row * seqLen + position] === 0n) continue;
      count++;
      const offset = (row * seqLen + position) * dimension;
      for (let d = 0; d < dimension; d++) sum[d]! += hidden[offset + d]!;
    }
    const divisor = Math.max(count, MIN_TOKEN_COUNT);
    let squares = 0;
    for (let d = 0; d < dimension; d++) {
      sum[d]! /= divisor;
      squares += sum[d]! * sum[d]!;
    }
    const norm = Math.max(Math.sqrt(squares), MIN_NORM);
    for (let d = 0; d < dimension; d++) pooled[row * dimension + d] = sum[d]! / norm;
  }
  return pooled;
}
