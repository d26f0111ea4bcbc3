/**
 * A pool of engine worker threads, one per core by default, each holding its own ONNX Runtime
 * session. It owns the queue: batches wait here in FIFO order and go to whichever worker is free,
 * so the server's event loop never runs inference. Workers start on first use (a request or a
 * health probe), keep the process alive only while they load or compute, and a worker that dies
 * is replaced. A model that cannot load fails the pool for good: every worker would fail alike.
 */
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { LocalModelError, LocalModelErrorCode } from './local-model-error';
import type { EngineWorkerData, EngineWorkerMessage, ToEngineWorker } from './worker-protocol';
import { engineWorkerScript } from './worker-script';
import { UpstreamError, UpstreamFailure } from '../upstream-error';

export interface EnginePoolOptions {
  readonly modelDir: string;
  readonly workers: number;
  readonly maxTokens: number;
  /** Starts one worker thread; injectable so tests can start a fake. */
  readonly spawn?: (data: EngineWorkerData) => Worker;
}

export const PoolState = {
  /** No worker started yet. */
  idle: 'idle',
  loading: 'loading',
  ready: 'ready',
  /** The model could not be loaded; see `detail`. */
  failed: 'failed',
  closed: 'closed',
} as const;
export type PoolState = (typeof PoolState)[keyof typeof PoolState];

export interface PoolStatus {
  readonly state: PoolState;
  readonly dimension?: number;
  readonly detail?: string;
}

export interface EmbedBatchResult {
  /** `[texts, dimension]` row-major, in the batch's order. */
  readonly vectors: Float32Array;
  readonly dimension: number;
}

export interface EnginePool {
  /** Starts the workers if needed; resolves once one has loaded the model. Rejects with LocalModelError. */
  ready(): Promise<{ dimension: number }>;
  status(): PoolStatus;
  /**
   * Embeds one batch on the next free worker. Rejects with UpstreamError only: `connect` when
   * the model cannot load, `reset` when the worker died, `status` when inference failed,
   * `aborted` when `signal` fired first.
   */
  run(texts: readonly string[], signal?: AbortSignal): Promise<EmbedBatchResult>;
  /** Terminates the workers; queued batches are rejected. Idempotent. */
  close(): Promise<void>;
}

interface Job {
  readonly id: number;
  readonly texts: readonly string[];
  readonly resolve: (result: EmbedBatchResult) => void;
  readonly reject: (error: UpstreamError) => void;
  readonly signal: AbortSignal | undefined;
  readonly onAbort: () => void;
  settled: boolean;
}

interface PoolWorker {
  readonly thread: Worker;
  ready: boolean;
  job: Job | undefined;
}

function spawnEngineWorker(data: EngineWorkerData): Worker {
  const script = engineWorkerScript();
  return new Worker(script.source, { eval: script.eval, workerData: data });
}

/** How long a closing worker may take to finish its batch and release its session. */
const CLOSE_GRACE_MS = 5_000;

/**
 * Ends a worker the safe way: asks it to release its ONNX Runtime session and return, and only
 * terminates it if it has not within the grace period (terminating a thread that holds a live
 * session can abort the process in the addon's finalizer).
 */
async function stopWorker(thread: Worker): Promise<void> {
  // A thread that has already ended (a failed load) reports threadId -1.
  if (thread.threadId === -1) return;
  const exited = new Promise<void>((resolve) => thread.once('exit', () => resolve()));
  thread.ref();
  thread.postMessage({ type: 'close' } satisfies ToEngineWorker);
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<'expired'>((resolve) => {
    timer = setTimeout(() => resolve('expired'), CLOSE_GRACE_MS);
  });
  if ((await Promise.race([exited, expired])) === 'expired') await thread.terminate();
  clearTimeout(timer);
}

const unavailable = (cause: unknown): UpstreamError =>
  new UpstreamError(UpstreamFailure.connect, 'the in-process engine is unavailable: its model could not be loaded', { cause });

/** A pool of `options.workers` engine threads over one model directory, started on first use. */
export function createEnginePool(options: EnginePoolOptions): EnginePool {
  const spawn = options.spawn ?? spawnEngineWorker;
  // The cores are shared out between the workers: one each by default (more intra-op threads would
  // only fight the other workers), several each when fewer workers than cores are asked for.
  const intraOpThreads = Math.max(1, Math.floor(availableParallelism() / options.workers));
  const workerData: EngineWorkerData = { modelDir: options.modelDir, maxTokens: options.maxTokens, intraOpThreads };
  const workers = new Set<PoolWorker>();
  const queue: Job[] = [];
  let state: PoolState = PoolState.idle;
  let dimension: number | undefined;
  let failure: LocalModelError | undefined;
  let nextJobId = 0;
  let readyPromise: Promise<{ dimension: number }> | undefined;
  let settleReady: { resolve: (value: { dimension: number }) => void; reject: (error: LocalModelError) => void } | undefined;

  function settle(job: Job, outcome: { result: EmbedBatchResult } | { error: UpstreamError }): void {
    if (job.settled) return;
    job.settled = true;
    job.signal?.removeEventListener('abort', job.onAbort);
    if ('result' in outcome) job.resolve(outcome.result);
    else job.reject(outcome.error);
  }

  function fail(error: LocalModelError): void {
    if (state === PoolState.failed || state === PoolState.closed) return;
    state = PoolState.failed;
    failure = error;
    settleReady?.reject(error);
    for (const job of queue.splice(0)) settle(job, { error: unavailable(error) });
    for (const worker of workers) {
      if (worker.job) settle(worker.job, { error: unavailable(error) });
      void stopWorker(worker.thread);
    }
    workers.clear();
  }

  // A worker holds the process open only while it has something to do.
  function setBusy(worker: PoolWorker, busy: boolean): void {
    if (busy) worker.thread.ref();
    else worker.thread.unref();
  }

  function dispatch(): void {
    for (const worker of workers) {
      if (!worker.ready || worker.job !== undefined) continue;
      const job = queue.shift();
      if (job === undefined) return;
      worker.job = job;
      setBusy(worker, true);
      worker.thread.postMessage({ type: 'embed', id: job.id, texts: job.texts } satisfies ToEngineWorker);
    }
  }

  function onMessage(worker: PoolWorker, message: EngineWorkerMessage): void {
    switch (message.type) {
      case 'ready':
        worker.ready = true;
        dimension = message.dimension;
        if (state === PoolState.loading) {
          state = PoolState.ready;
          settleReady?.resolve({ dimension: message.dimension });
        }
        setBusy(worker, false);
        dispatch();
        return;
      case 'load_failed':
        fail(new LocalModelError(message.code, message.message));
        return;
      case 'embedded':
      case 'embed_failed': {
        const job = worker.job;
        worker.job = undefined;
        setBusy(worker, false);
        if (job !== undefined && job.id === message.id) {
          settle(job, message.type === 'embedded'
            ? { result: { vectors: message.vectors, dimension: message.dimension } }
            : { error: new UpstreamError(UpstreamFailure.status, `the in-process engine failed on this batch: ${message.message}`) });
        }
        dispatch();
        return;
      }
    }
  }

  function onGone(worker: PoolWorker, error: unknown): void {
    if (!workers.delete(worker)) return;
    if (!worker.ready) {
      fail(new LocalModelError(LocalModelErrorCode.invalid,
        `the engine worker stopped while loading the model from ${options.modelDir}: ${error instanceof Error ? error.message : String(error)}`,
        { cause: error }));
      return;
    }
    if (worker.job) settle(worker.job, { error: new UpstreamError(UpstreamFailure.reset, 'the in-process engine worker stopped during the batch', { cause: error }) });
    if (state === PoolState.ready) startWorker();
  }

  function startWorker(): void {
    const thread = spawn(workerData);
    const worker: PoolWorker = { thread, ready: false, job: undefined };
    workers.add(worker);
    thread.on('message', (message: EngineWorkerMessage) => onMessage(worker, message));
    thread.on('error', (error) => onGone(worker, error));
    thread.on('exit', (code) => onGone(worker, new Error(`exit code ${code}`)));
  }

  function ready(): Promise<{ dimension: number }> {
    if (state === PoolState.closed) return Promise.reject(new LocalModelError(LocalModelErrorCode.invalid, 'the in-process engine was closed'));
    if (readyPromise === undefined) {
      readyPromise = new Promise((resolve, reject) => {
        settleReady = { resolve, reject };
      });
      // ready() may be called only to start loading; the failure is reported through status().
      readyPromise.catch(() => {});
      state = PoolState.loading;
      for (let index = 0; index < options.workers; index++) startWorker();
    }
    return readyPromise;
  }

  function run(texts: readonly string[], signal?: AbortSignal): Promise<EmbedBatchResult> {
    if (state === PoolState.failed) return Promise.reject(unavailable(failure));
    if (state === PoolState.closed) return Promise.reject(new UpstreamError(UpstreamFailure.connect, 'the in-process engine was closed'));
    if (signal?.aborted) return Promise.reject(new UpstreamError(UpstreamFailure.aborted, 'the request was cancelled'));
    void ready();
    return new Promise<EmbedBatchResult>((resolve, reject) => {
      const job: Job = {
        id: nextJobId++,
        texts,
        resolve,
        reject,
        signal,
        settled: false,
        onAbort: () => {
          const queued = queue.indexOf(job);
          if (queued >= 0) queue.splice(queued, 1);
          // A batch already on a worker runs to its end; its result is dropped.
          settle(job, { error: new UpstreamError(UpstreamFailure.aborted, 'the request was cancelled') });
        },
      };
      signal?.addEventListener('abort', job.onAbort, { once: true });
      queue.push(job);
      dispatch();
    });
  }

  async function close(): Promise<void> {
    if (state === PoolState.closed) return;
    state = PoolState.closed;
    settleReady?.reject(new LocalModelError(LocalModelErrorCode.invalid, 'the in-process engine was closed'));
    const closed = new UpstreamError(UpstreamFailure.connect, 'the in-process engine was closed');
    for (const job of queue.splice(0)) settle(job, { error: closed });
    const threads = [...workers];
    workers.clear();
    for (const worker of threads) if (worker.job) settle(worker.job, { error: closed });
    await Promise.all(threads.map((worker) => stopWorker(worker.thread)));
  }

  return {
    ready,
    status: () => ({
      state,
      ...(dimension === undefined ? {} : { dimension }),
      ...(failure === undefined ? {} : { detail: failure.message }),
    }),
    run,
    close,
  };
}
