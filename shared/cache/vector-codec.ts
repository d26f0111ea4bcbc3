/**
 * How a cached vector is stored: one version byte, then the vector's float32 values, little
 * endian. Reading distrusts the store (a shared cache is written by every front door of every
 * version, and by anyone with access): a value of another version or length is refused, and the
 * caller embeds the text again.
 *
 * float32 because the models compute in float32: DJL's JSON carries float32 values, so a cached
 * vector has the very values the backend answered (only their decimal spelling in a JSON answer
 * may be longer; OpenAI's base64 encoding is byte for byte the same).
 */
import { FLOAT32_BYTES as FLOAT_BYTES, float32Bytes } from '../core/float32-bytes';

export const VALUE_VERSION = 1;
const HEADER_BYTES = 1;

/** The stored bytes of a vector. */
export function encodeVector(vector: readonly number[]): Buffer {
  const bytes = Buffer.allocUnsafe(HEADER_BYTES + vector.length * FLOAT_BYTES);
  bytes[0] = VALUE_VERSION;
  float32Bytes(vector).copy(bytes, HEADER_BYTES);
  return bytes;
}

/** The vector in `bytes`, or undefined when they are not a vector of `dimension` in this version. */
export function decodeVector(bytes: Uint8Array, dimension: number): number[] | undefined {
  if (bytes.byteLength !== HEADER_BYTES + dimension * FLOAT_BYTES || bytes[0] !== VALUE_VERSION) return undefined;
  const view = new DataView(bytes.buffer, bytes.byteOffset + HEADER_BYTES, dimension * FLOAT_BYTES);
  const vector = new Array<number>(dimension);
  for (let i = 0; i < dimension; i++) {
    const value = view.getFloat32(i * FLOAT_BYTES, true);
    if (!Number.isFinite(value)) return undefined;
    vector[i] = value;
  }
  return vector;
}
