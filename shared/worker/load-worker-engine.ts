/**
 * Loads the worker's engine from the model directory shipped with it. The worker never downloads:
 * a cold start that waited on the Hugging Face hub would be as slow and as fragile as the hub, so
 * the model comes in the deployment package (EMBED_MODEL_DIR, relative to the task root) and a
 * missing one is an error that says so.
 */
import { availableParallelism } from 'node:os';
import { isAbsolute, resolve } from 'node:path';
import type { LocalEngineConfig } from '../config/local-engine-config';
import { loadEmbeddingEngine } from '../upstream/local/embedding-engine';
import { findModelFiles } from '../upstream/local/model-files';
import type { WorkerEngine } from './embed-worker';

/**
 * The model directory: EMBED_MODEL_DIR, a relative one taken from the working directory (Lambda
 * runs the handler in its task root, /var/task, where the package is unzipped).
 */
export function workerModelDir(local: LocalEngineConfig, cwd: string): string | undefined {
  if (local.modelDir === undefined) return undefined;
  return isAbsolute(local.modelDir) ? local.modelDir : resolve(cwd, local.modelDir);
}

/** Finds the model's files and loads the engine with every vCPU for one inference at a time. */
export async function loadWorkerEngine(local: LocalEngineConfig, cwd = process.cwd()): Promise<WorkerEngine> {
  const dir = workerModelDir(local, cwd);
  if (dir === undefined) throw new Error('EMBED_MODEL_DIR is not set: the worker loads its model from the package, never from the hub');
  const lookup = await findModelFiles(dir);
  if (!lookup.found) throw new Error(`${dir} lacks ${lookup.missing.join(' and ')}`);
  const engine = await loadEmbeddingEngine(lookup.files, { maxTokens: local.maxTokens, intraOpThreads: availableParallelism() });
  return { dimension: engine.dimension, embed: (texts) => engine.embed(texts) };
}
