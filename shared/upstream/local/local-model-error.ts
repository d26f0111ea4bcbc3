/**
 * A problem with the in-process engine's model files: missing, not downloadable, corrupt or not
 * loadable. It is the operator's to fix, so its message says what is wrong and what to do, and
 * entry points print it without a stack trace (like ConfigError). Never sent to HTTP clients: a
 * request that meets a broken engine gets a generic 503 instead.
 */

export const LocalModelErrorCode = {
  /** The model directory lacks a file the engine needs. */
  missing: 'local_model_missing',
  /** The download failed: host unreachable, an error status, a stalled or cut transfer. */
  downloadFailed: 'local_model_download_failed',
  /** A downloaded file's SHA-256 is not the pinned one; the file was discarded. */
  checksumMismatch: 'local_model_checksum_mismatch',
  /** The files are there but ONNX Runtime or the tokenizer could not load them. */
  invalid: 'local_model_invalid',
} as const;
export type LocalModelErrorCode = (typeof LocalModelErrorCode)[keyof typeof LocalModelErrorCode];

export class LocalModelError extends Error {
  override readonly name = 'LocalModelError';

  constructor(readonly code: LocalModelErrorCode, message: string, options: { cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
  }
}

export const isLocalModelError = (value: unknown): value is LocalModelError => value instanceof LocalModelError;
