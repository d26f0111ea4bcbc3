/**
 * Entry point of one engine worker thread: loads the model once, says `ready` (or why it could
 * not), then embeds one batch per message. Tokenization and inference both run here, so the
 * server's event loop only moves strings in and vectors out.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { type EmbeddingEngine, loadEmbeddingEngine } from './embedding-engine';
import { isLocalModelError, LocalModelError, LocalModelErrorCode } from './local-model-error';
import { findModelFiles } from './model-files';
import type { EngineWorkerData, EngineWorkerMessage, ToEngineWorker } from './worker-protocol';

async function load(data: EngineWorkerData): Promise<EmbeddingEngine> {
  const lookup = await findModelFiles(data.modelDir);
  if (!lookup.found) {
    throw new LocalModelError(LocalModelErrorCode.missing, `${data.modelDir} lacks ${lookup.missing.join(' and ')}`);
  }
  return loadEmbeddingEngine(lookup.files, { maxTokens: data.maxTokens, intraOpThreads: data.intraOpThreads });
}

async function serve(): Promise<void> {
  const port = parentPort;
  if (port === null) throw new Error('engine-worker.ts runs as a worker thread, started by engine-pool.ts');
  const send = (message: EngineWorkerMessage, transfer: ArrayBuffer[] = []): void => port.postMessage(message, transfer);

  let engine: EmbeddingEngine;
  try {
    engine = await load(workerData as EngineWorkerData);
  } catch (error) {
    send({
      type: 'load_failed',
      code: isLocalModelError(error) ? error.code : LocalModelErrorCode.invalid,
      message: error instanceof Error ? error.message : String(error),
    });
    return;
  }
  // The pool sends one batch at a time; `current` lets a close wait for the batch in progress.
  let current: Promise<void> = Promise.resolve();
  port.on('message', (message: ToEngineWorker) => {
    if (message.type === 'close') {
      // With the session released and the port closed, the thread ends on its own.
      void current.then(() => engine.release()).finally(() => port.close());
      return;
    }
    current = engine.embed(message.texts).then(
      (vectors) => send({ type: 'embedded', id: message.id, vectors, dimension: engine.dimension }, [vectors.buffer as ArrayBuffer]),
      (error: unknown) => send({ type: 'embed_failed', id: message.id, message: error instanceof Error ? error.message : String(error) }),
    );
  });
  send({ type: 'ready', dimension: engine.dimension });
}

void serve();
