/** Messages between the engine pool (main thread) and an engine worker. */
import type { LocalModelErrorCode } from './local-model-error';

/** Given to each worker at start (`workerData`). */
export interface EngineWorkerData {
  readonly modelDir: string;
  readonly maxTokens: number;
  /** ONNX Runtime threads per inference: the cores divided among the workers. */
  readonly intraOpThreads: number;
}

/** A batch to embed; a worker holds one at a time. */
export interface EmbedJobMessage {
  readonly type: 'embed';
  readonly id: number;
  readonly texts: readonly string[];
}

/**
 * Release the session and end: a worker torn down with a live ONNX Runtime session (terminate(),
 * process.exit) can abort the whole process in the addon's finalizer.
 */
export interface CloseMessage {
  readonly type: 'close';
}

export type ToEngineWorker = EmbedJobMessage | CloseMessage;

export type EngineWorkerMessage =
  | { readonly type: 'ready'; readonly dimension: number }
  | { readonly type: 'load_failed'; readonly code: LocalModelErrorCode; readonly message: string }
  /** `vectors` is `[texts, dimension]` row-major; its buffer is transferred, not copied. */
  | { readonly type: 'embedded'; readonly id: number; readonly vectors: Float32Array; readonly dimension: number }
  | { readonly type: 'embed_failed'; readonly id: number; readonly message: string };
