/**
 * Where a `local:` backend's model comes from, in this order: the entry's own directory
 * (`local:/dir`), EMBED_MODEL_DIR, else the cache, where the pinned model is downloaded once
 * (ensure-model.ts). A pure decision, no IO: the upstream and the start-up code share it.
 */
import type { LocalBackendSpec } from '../../config/backends';
import type { LocalEngineConfig } from '../../config/local-engine-config';
import { ALL_MINILM_L6_V2, manifestCacheDir, type ModelManifest } from './model-manifest';

export const ModelOrigin = {
  /** `local:/dir` in CPU_BACKENDS or GPU_BACKENDS. */
  backendEntry: 'backend_entry',
  /** EMBED_MODEL_DIR. */
  env: 'env',
  /** The download cache (EMBED_MODEL_CACHE_DIR). */
  cache: 'cache',
} as const;
export type ModelOrigin = (typeof ModelOrigin)[keyof typeof ModelOrigin];

export interface ModelSource {
  /** The directory the engine loads from. */
  readonly dir: string;
  readonly origin: ModelOrigin;
  /** What the cache holds, and what is downloaded into it. */
  readonly manifest: ModelManifest;
}

/** Picks the directory of a `local:` backend's model (no IO). */
export function modelSourceFor(spec: LocalBackendSpec, local: LocalEngineConfig, manifest: ModelManifest = ALL_MINILM_L6_V2): ModelSource {
  if (spec.modelDir !== undefined) return { dir: spec.modelDir, origin: ModelOrigin.backendEntry, manifest };
  if (local.modelDir !== undefined) return { dir: local.modelDir, origin: ModelOrigin.env, manifest };
  return { dir: manifestCacheDir(local.cacheDir, manifest), origin: ModelOrigin.cache, manifest };
}
