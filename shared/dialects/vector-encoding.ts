/** Vector encodings for responses. */
import { float32Bytes } from '../core/float32-bytes';

/** Base64 of the vector's little-endian float32 bytes, as OpenAI's `encoding_format: base64`. */
export function encodeFloat32Base64(vector: readonly number[]): string {
  return float32Bytes(vector).toString('base64');
}

/** The inverse, for tests and clients. */
export function decodeFloat32Base64(encoded: string): number[] {
  const bytes = Buffer.from(encoded, 'base64');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out = new Array<number>(bytes.byteLength / 4);
  for (let i = 0; i < out.length; i++) out[i] = view.getFloat32(i * 4, true);
  return out;
}
