/**
 * The embedding worker's invoke payload, both ways: what the front door's `lambda://` upstream
 * sends (`{ v: 1, texts }`) and what the worker answers. Versioned, so a front door and a worker
 * deployed at different times refuse each other clearly instead of misreading each other.
 *
 * Vectors travel as base64 of little-endian float32 bytes, not JSON numbers: 4/3 x 4 bytes per
 * number against up to 24 characters and a comma as JSON, so a 384-dimension vector is 2,048
 * characters instead of about 7,700, and one answer can carry about 3,000 vectors within Lambda's
 * 6 MB synchronous response limit instead of about 800. It is also what the worker computes
 * (float32), so nothing is rounded on the way, and decoding is a copy rather than a JSON parse.
 */

/** The one payload version this code speaks. */
export const WORKER_PAYLOAD_VERSION = 1;

/** Lambda's synchronous invoke limit, request and response alike (6 MB). */
export const LAMBDA_PAYLOAD_LIMIT_BYTES = 6 * 1024 * 1024;

/**
 * Texts one invoke may carry: the front door's own per-request maximum (MAX_ITEMS_PER_REQUEST's
 * default). A worker asked for more refuses rather than risk its memory.
 */
export const MAX_WORKER_TEXTS = 2048;

/** What the front door sends. */
export interface WorkerRequest {
  readonly v: typeof WORKER_PAYLOAD_VERSION;
  readonly texts: readonly string[];
}

/** Why a worker refused or failed an invoke, as it says in its answer. */
export const WorkerErrorCode = {
  /** The payload is not `{ v: 1, texts: string[] }` within the limits. */
  badPayload: 'bad_payload',
  /** The worker's model could not be loaded (missing files, a broken model). */
  modelUnavailable: 'model_unavailable',
  /** Inference failed on this batch. */
  inferenceFailed: 'inference_failed',
} as const;
export type WorkerErrorCode = (typeof WorkerErrorCode)[keyof typeof WorkerErrorCode];

export interface WorkerVectors {
  readonly v: typeof WORKER_PAYLOAD_VERSION;
  readonly ok: true;
  readonly count: number;
  readonly dimension: number;
  /** Base64 of `count x dimension` little-endian float32 numbers, row-major, in input order. */
  readonly vectors: string;
  /** True on this execution environment's first invoke: it has just loaded the model. */
  readonly cold: boolean;
  /** On a cold answer: ms from the process's start to the model being ready. */
  readonly initMs?: number;
  /** Ms the worker spent embedding this invoke's texts. */
  readonly computeMs: number;
}

export interface WorkerFailure {
  readonly v: typeof WORKER_PAYLOAD_VERSION;
  readonly ok: false;
  readonly code: WorkerErrorCode;
  /** Says what is wrong; never holds a text. */
  readonly message: string;
  readonly cold: boolean;
}

export type WorkerAnswer = WorkerVectors | WorkerFailure;

/** Checks an invoke's event; a bad one gets a message saying what to send instead. */
export function parseWorkerRequest(event: unknown): { ok: true; request: WorkerRequest } | { ok: false; message: string } {
  const expected = `expected {"v": ${WORKER_PAYLOAD_VERSION}, "texts": ["...", ...]}`;
  if (event === null || typeof event !== 'object' || Array.isArray(event)) return { ok: false, message: `the payload is not an object; ${expected}` };
  const { v, texts } = event as { v?: unknown; texts?: unknown };
  if (v !== WORKER_PAYLOAD_VERSION) {
    return { ok: false, message: `payload version ${JSON.stringify(v) ?? 'missing'} is not supported; this worker speaks v ${WORKER_PAYLOAD_VERSION}` };
  }
  if (!Array.isArray(texts)) return { ok: false, message: `"texts" is not an array; ${expected}` };
  if (texts.length > MAX_WORKER_TEXTS) return { ok: false, message: `${texts.length} texts; at most ${MAX_WORKER_TEXTS} per invoke` };
  const notText = texts.findIndex((text) => typeof text !== 'string');
  if (notText >= 0) return { ok: false, message: `texts[${notText}] is not a string` };
  return { ok: true, request: { v: WORKER_PAYLOAD_VERSION, texts: texts as string[] } };
}

/** Base64 of the float32 rows, as the answer carries them (Lambda and this code run little-endian). */
export function encodeVectors(vectors: Float32Array): string {
  return Buffer.from(vectors.buffer, vectors.byteOffset, vectors.byteLength).toString('base64');
}

/**
 * Decodes `count x dimension` float32 numbers from base64, or undefined when the bytes are not
 * exactly that many. The copy into a fresh buffer also aligns it (a decoded Buffer may sit at any
 * offset of Node's pool).
 */
export function decodeVectors(base64: string, count: number, dimension: number): Float32Array | undefined {
  const bytes = Buffer.from(base64, 'base64');
  if (bytes.byteLength !== count * dimension * Float32Array.BYTES_PER_ELEMENT) return undefined;
  const floats = new Float32Array(count * dimension);
  new Uint8Array(floats.buffer).set(bytes);
  return floats;
}

/** Bytes of the JSON answer for `count` vectors of `dimension`, envelope included (a bound, not exact). */
export function answerBytes(count: number, dimension: number): number {
  return Math.ceil((count * dimension * Float32Array.BYTES_PER_ELEMENT) / 3) * 4 + ANSWER_ENVELOPE_BYTES;
}

/** Room for the answer's fields besides the vectors. */
export const ANSWER_ENVELOPE_BYTES = 1024;
