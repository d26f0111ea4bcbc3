/**
 * A cap on response size, for runtimes that buffer the whole answer: Lambda returns at most 6 MB
 * (API Gateway then answers 500, a Function URL 502, with no word of why). A request whose answer
 * cannot fit is refused with a 413 before any embedding work when its size alone rules it out,
 * and in any case before the answer is sent, saying what to change.
 */
import { ErrorCode, FrontDoorError } from '../errors';

/** Lambda's buffered response limit, less room for the status, headers and the JSON envelope around the body. */
export const LAMBDA_RESPONSE_LIMIT_BYTES = 6 * 1024 * 1024 - 64 * 1024;

/** A JSON float is at least this long with its comma ("0.0123456,"): a lower bound, to refuse early only what surely does not fit. */
const MIN_FLOAT_JSON_BYTES = 8;
/** Four bytes per float32, in base64. */
const BASE64_BYTES_PER_FLOAT = (4 * 4) / 3;
/** What a float answers per vector in practice (float32 values printed as doubles, ~20 characters). */
const TYPICAL_FLOAT_JSON_BYTES = 20;
const MB = 1024 * 1024;

const describeMb = (bytes: number): string => `${(bytes / MB).toFixed(1)} MB`;

function tooLarge(bytes: number, texts: number, limitBytes: number, base64Possible: boolean, dimension: number): FrontDoorError {
  const perText = (base64Possible ? BASE64_BYTES_PER_FLOAT : TYPICAL_FLOAT_JSON_BYTES) * dimension;
  const fits = Math.max(1, Math.floor(limitBytes / perText));
  const advice = base64Possible
    ? `ask for "encoding_format": "base64" (about ${Math.round(BASE64_BYTES_PER_FLOAT * dimension / 1024)} KB per text), or send at most about ${fits} texts per request`
    : `send at most about ${fits} texts per request (or use /v1/embeddings with "encoding_format": "base64")`;
  return new FrontDoorError(413, ErrorCode.responseTooLarge,
    `the answer to ${texts} texts would be about ${describeMb(bytes)}, over this deployment's ${describeMb(limitBytes)} response limit: ${advice}`);
}

export interface ResponseLimit {
  /** Before embedding: throws when the answer cannot fit whatever the values. */
  checkEstimate(texts: number, base64: boolean, base64Possible: boolean): void;
  /** After formatting: throws when the actual answer does not fit. */
  checkBody(body: string, texts: number, base64Possible: boolean): void;
}

/** The checks for `limitBytes` (undefined: no limit, as on a Node server). */
export function createResponseLimit(limitBytes: number | undefined, dimension: number): ResponseLimit {
  if (limitBytes === undefined) return { checkEstimate: () => {}, checkBody: () => {} };
  return {
    checkEstimate(texts, base64, base64Possible) {
      const bytes = texts * dimension * (base64 ? BASE64_BYTES_PER_FLOAT : MIN_FLOAT_JSON_BYTES);
      if (bytes > limitBytes) throw tooLarge(bytes, texts, limitBytes, base64Possible && !base64, dimension);
    },
    checkBody(body, texts, base64Possible) {
      // JSON answers are ASCII, so characters are bytes.
      if (body.length > limitBytes) throw tooLarge(body.length, texts, limitBytes, base64Possible, dimension);
    },
  };
}
