/**
 * How many bytes a backend's answer may take before the front door stops reading it. A correct
 * embedding answer's size follows from what was asked (texts x dimension numbers), so anything
 * far beyond that is a broken or hostile backend, and reading it whole would exhaust memory (one
 * 1.5 GB answer once took the process to 3.2 GB; a Lambda has 1 GB).
 */

/**
 * The most bytes one number may take in a JSON answer: a double's shortest round-trip spelling is
 * at most 24 characters (`-2.2250738585072014e-308`), plus its comma, plus room for the whitespace
 * a pretty-printing server adds.
 */
export const MAX_JSON_BYTES_PER_NUMBER = 32;

/**
 * What wraps each vector: `[...]` for DJL and TEI, `{"object":"embedding","index":N,"embedding":[...]}`
 * for OpenAI-compatible servers, with room for a server's extra fields.
 */
export const PER_ITEM_ENVELOPE_BYTES = 256;

/** Fixed slack for the answer's own envelope (`model`, `usage`, `object`) and anything said once. */
export const ANSWER_SLACK_BYTES = 64 * 1024;

/**
 * The cap on a non-2xx body. Only the status and a short error type are used from it (and the
 * type only when it is a short identifier), so a prefix is enough; a longer body is cut here.
 */
export const ERROR_BODY_MAX_BYTES = 64 * 1024;

/**
 * The cap on a health probe's answer: DJL's `/ping` lists its models and their states, an
 * OpenAI-compatible `/models` a few model records, TEI's `/health` nothing.
 */
export const PROBE_ANSWER_MAX_BYTES = 64 * 1024;

/**
 * The cap on the answer to an embed call of `texts` texts of `dimension` numbers each: every
 * number at its longest JSON spelling, every vector's envelope, and a fixed slack. A correct
 * answer stays well under it; 32 texts of 1,024 dimensions allow about 1.1 MB.
 */
export function embedAnswerLimit(texts: number, dimension: number): number {
  return texts * (dimension * MAX_JSON_BYTES_PER_NUMBER + PER_ITEM_ENVELOPE_BYTES) + ANSWER_SLACK_BYTES;
}
