/** Vector encodings for responses. */
// Read from a typed array rather than node:os, whose import would cost a Lambda's cold start.
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
/** Room for a 4,096-number vector; a longer one grows it. */
const SCRATCH_FLOATS = 4_096;

/**
 * One float32 buffer every answer encodes through (a deliberate per-process buffer, STYLE.md rule
 * 12: encoding is synchronous, so no two vectors share it at once). A typed array per vector cost
 * 6.5-7 µs for 384 numbers (`Float32Array.from` on a plain array takes V8's generic path, then
 * the ArrayBuffer is allocated and collected) against 0.7 µs for a counted copy into this one
 * (micro-benchmark on this machine), paid for every vector of every base64 answer, the `openai`
 * SDKs' default.
 */
let scratch: Float32Array | undefined;
/** The same memory as bytes, for Buffer's base64. */
let scratchBytes: Buffer | undefined;

/** Base64 of the vector's little-endian float32 bytes, as OpenAI's `encoding_format: base64`. */
export function encodeFloat32Base64(vector: readonly number[]): string {
  if (scratch === undefined || scratchBytes === undefined || scratch.length < vector.length) {
    scratch = new Float32Array(Math.max(SCRATCH_FLOATS, vector.length));
    scratchBytes = Buffer.from(scratch.buffer);
  }
  const floats = scratch;
  if (LITTLE_ENDIAN) {
    for (let i = 0; i < vector.length; i++) floats[i] = vector[i] as number;
  } else {
    const view = new DataView(floats.buffer);
    for (let i = 0; i < vector.length; i++) view.setFloat32(i * 4, vector[i] as number, true);
  }
  return scratchBytes.toString('base64', 0, vector.length * 4);
}

/** The inverse, for tests and clients. */
export function decodeFloat32Base64(encoded: string): number[] {
  const bytes = Buffer.from(encoded, 'base64');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out = new Array<number>(bytes.byteLength / 4);
  for (let i = 0; i < out.length; i++) out[i] = view.getFloat32(i * 4, true);
  return out;
}
