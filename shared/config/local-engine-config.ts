/**
 * Settings of the in-process engine (`local:` backends, and `npm start`'s default when no backend
 * is configured): where its model comes from and how much of the machine it uses. Read by
 * `parseConfig` through the same EnvReader, so bad keys are reported with all the others. Every
 * key is documented in docs/configuration.md.
 */
import type { EnvReader } from './env-reader';

export interface LocalEngineConfig {
  /** EMBED_MODEL_DIR: a directory already holding the model; nothing is downloaded when set. */
  readonly modelDir: string | undefined;
  /** Where a downloaded model is kept (one subdirectory per model revision). */
  readonly cacheDir: string;
  /** The Hugging Face hub (or a mirror) the model is downloaded from. */
  readonly modelBaseUrl: string;
  /** Worker threads, each with its own ONNX Runtime session running on one core. */
  readonly workers: number;
  /** Tokens read per text, [CLS] and [SEP] included; the rest is truncated. */
  readonly maxTokens: number;
  /** Texts per inference call. */
  readonly batchSize: number;
}

export const LOCAL_ENGINE_DEFAULTS = {
  modelBaseUrl: 'https://huggingface.co',
  // all-MiniLM-L6-v2's sentence_bert_config.json sets max_seq_length 256 (the tokenizer itself
  // allows 512, but the model was trained on 128-token pairs and sentence-transformers cuts at 256).
  maxTokens: 256,
  // Padding to the longest text of a batch wastes little at 32 once texts are sorted by length,
  // and a [32, 256, 384] float activation stays around 12 MB per layer.
  batchSize: 32,
} as const;

// BERT-family position tables stop at 512; a larger value only makes sense for another model.
const MAX_TOKENS_LIMIT = 8192;
const MAX_WORKERS = 256;
const MAX_BATCH_SIZE = 1024;

/**
 * node:os and node:path through getBuiltinModule, not `import`: an ESM import of a built-in builds
 * a facade over all its exports at init. node:os is only loaded when a machine-dependent default
 * is first read (below): about 0.5 ms of every Lambda cold start, where the engine never runs
 * (see `npm run bench:bundle`).
 */
const nodeOs = (): typeof import('node:os') => process.getBuiltinModule('node:os');
const nodePath = (): typeof import('node:path') => process.getBuiltinModule('node:path');

/** The default cache: `$XDG_CACHE_HOME/embed-front-door`, else `~/.cache/embed-front-door`. */
function defaultCacheDir(xdgCacheHome: string | undefined): string {
  const path = nodePath();
  return path.join(xdgCacheHome ?? path.join(nodeOs().homedir(), '.cache'), 'embed-front-door');
}

/** A value worked out on its first read, then kept. */
function once<T>(compute: () => T): () => T {
  let done = false;
  let value: T;
  return () => {
    if (!done) {
      value = compute();
      done = true;
    }
    return value;
  };
}

/**
 * Reads the engine's keys; bad values join the reader's problem list. Keys that are set are
 * checked now; the defaults that ask the machine (cores, home directory) are enumerable getters,
 * worked out when the engine first reads them.
 */
export function readLocalEngineConfig(read: EnvReader): LocalEngineConfig {
  const modelBaseUrl = read.string('EMBED_MODEL_BASE_URL', LOCAL_ENGINE_DEFAULTS.modelBaseUrl).replace(/\/+$/, '');
  if (!/^https?:\/\/[^/]/.test(modelBaseUrl)) {
    read.problem(`EMBED_MODEL_BASE_URL=${JSON.stringify(modelBaseUrl)}: expected an http(s) URL such as https://huggingface.co`);
  }
  const modelDir = read.raw('EMBED_MODEL_DIR');
  const cacheDir = read.raw('EMBED_MODEL_CACHE_DIR');
  const xdgCacheHome = read.raw('XDG_CACHE_HOME');
  const workers = read.raw('LOCAL_ENGINE_WORKERS') === undefined ? undefined : read.int('LOCAL_ENGINE_WORKERS', 1, { min: 1, max: MAX_WORKERS });
  const path = nodePath();
  const settled = {
    modelDir: modelDir === undefined ? undefined : path.resolve(modelDir),
    modelBaseUrl,
    maxTokens: read.int('LOCAL_ENGINE_MAX_TOKENS', LOCAL_ENGINE_DEFAULTS.maxTokens, { min: 2, max: MAX_TOKENS_LIMIT }),
    batchSize: read.int('LOCAL_ENGINE_BATCH_SIZE', LOCAL_ENGINE_DEFAULTS.batchSize, { min: 1, max: MAX_BATCH_SIZE }),
  };
  return Object.defineProperties(settled, {
    cacheDir: { get: once(() => path.resolve(cacheDir ?? defaultCacheDir(xdgCacheHome))), enumerable: true },
    workers: { get: once(() => workers ?? nodeOs().availableParallelism()), enumerable: true },
  }) as typeof settled & Pick<LocalEngineConfig, 'cacheDir' | 'workers'>;
}
