/**
 * A cap on response size, for runtimes that buffer the whole answer: Lambda returns at most 6 MB
 * (API Gateway then answers 500, a Function URL 502, with no word of why). A request whose answer
 * cannot fit is refused with a 413 before any embedding work when its size alone rules it out,
 * and in any case before the answer is sent, saying how many texts do fit in the encoding asked for.
 */
import { ErrorCode, FrontDoorError } from '../errors';

/** Lambda's buffered response limit, less room for the status, headers and the JSON envelope around the body. */
export const LAMBDA_RESPONSE_LIMIT_BYTES = 6 * 1024 * 1024 - 64 * 1024;

/** How a route writes its vectors, which decides how many fit and what to advise. */
export const AnswerEncoding = {
  /** OpenAI's float JSON: the client could ask for base64 instead. */
  float: 'float',
  /** OpenAI's `encoding_format: base64`. */
  base64: 'base64',
  /** TEI and DJL: float JSON, with no base64 to ask for on the same route. */
  floatOnly: 'float_only',
} as const;
export type AnswerEncoding = (typeof AnswerEncoding)[keyof typeof AnswerEncoding];

/** A JSON float is at least this long with its comma ("0.0123456,"): a lower bound, to refuse early only what surely does not fit. */
const MIN_FLOAT_JSON_BYTES = 8;
/**
 * The longest a float32 value takes printed as a double, with its comma
 * ("-1.4012984643248171e-45,"): advice given before any answer exists must fit whatever the values.
 */
const MAX_FLOAT_JSON_BYTES = 24;
/** Four bytes per float32, in base64. */
const BASE64_BYTES_PER_FLOAT = (4 * 4) / 3;
/** What wraps each vector at most: OpenAI's `{"object":"embedding","index":123456,"embedding":…},`. */
const ITEM_ENVELOPE_BYTES = 64;
/**
 * An advised count measured from an answer is shrunk by this much: the next request's texts get
 * other vectors, whose numbers may print a few characters longer.
 */
const MEASURED_MARGIN = 0.98;
const MB = 1024 * 1024;
const KB = 1024;

const describeMb = (bytes: number): string => `${(bytes / MB).toFixed(1)} MB`;

/** Characters of one vector in base64, padding included. */
const base64Chars = (dimension: number): number => 4 * Math.ceil((dimension * 4) / 3);

/** Texts per request that fit when each takes `perTextBytes` (at least one). */
const textsThatFit = (limitBytes: number, perTextBytes: number): number => Math.max(1, Math.floor(limitBytes / perTextBytes));

/**
 * The 413, advising a count for the encoding asked for. `floatPerTextBytes` is what a float text
 * takes in this answer (measured) or at most (before embedding); base64's size is known exactly.
 */
function tooLarge(bytes: number, texts: number, limitBytes: number, encoding: AnswerEncoding, dimension: number, floatPerTextBytes: number): FrontDoorError {
  const base64PerText = base64Chars(dimension) + ITEM_ENVELOPE_BYTES;
  const base64Fits = textsThatFit(limitBytes, base64PerText);
  const floatFits = textsThatFit(limitBytes, floatPerTextBytes);
  const base64Size = `about ${Math.ceil(base64Chars(dimension) / KB)} KB per text`;
  const advice = encoding === AnswerEncoding.base64
    ? `send at most about ${base64Fits} texts per request`
    : encoding === AnswerEncoding.float
      ? `send at most about ${floatFits} texts per request, or ask for "encoding_format": "base64" (${base64Size}: at most about ${base64Fits} texts per request)`
      : `send at most about ${floatFits} texts per request (or use /v1/embeddings with "encoding_format": "base64": at most about ${base64Fits} texts per request)`;
  return new FrontDoorError(413, ErrorCode.responseTooLarge,
    `the answer to ${texts} texts would be about ${describeMb(bytes)}, over this deployment's ${describeMb(limitBytes)} response limit: ${advice}`);
}

export interface ResponseLimit {
  /** Before embedding: throws when the answer cannot fit whatever the values. */
  checkEstimate(texts: number, encoding: AnswerEncoding): void;
  /** After formatting: throws when the actual answer does not fit. */
  checkBody(body: string, texts: number, encoding: AnswerEncoding): void;
}

/** The checks for `limitBytes` (undefined: no limit, as on a Node server). */
export function createResponseLimit(limitBytes: number | undefined, dimension: number): ResponseLimit {
  if (limitBytes === undefined) return { checkEstimate: () => {}, checkBody: () => {} };
  // Before embedding, nothing is measured: advise what fits whatever the values print as.
  const floatPerTextBound = MAX_FLOAT_JSON_BYTES * dimension + ITEM_ENVELOPE_BYTES;
  return {
    checkEstimate(texts, encoding) {
      const bytes = texts * dimension * (encoding === AnswerEncoding.base64 ? BASE64_BYTES_PER_FLOAT : MIN_FLOAT_JSON_BYTES);
      if (bytes > limitBytes) throw tooLarge(bytes, texts, limitBytes, encoding, dimension, floatPerTextBound);
    },
    checkBody(body, texts, encoding) {
      // JSON answers are ASCII, so characters are bytes.
      if (body.length <= limitBytes) return;
      // This answer's own size per text: how long this backend's numbers really print.
      throw tooLarge(body.length, texts, limitBytes, encoding, dimension, body.length / texts / MEASURED_MARGIN);
    },
  };
}
