/**
 * Finds the files of a BERT-style ONNX export in a model directory: the ONNX graph (first of
 * several usual names, so a directory laid out like the hub repository, like transformers.js's or
 * flat all work) and the tokenizer. The same lookup serves the downloaded model, EMBED_MODEL_DIR
 * and `local:/dir` entries, and the tiny model the tests build.
 */
import { stat } from 'node:fs/promises';
import { join } from 'node:path';

/** ONNX file names tried in order; the first is what `npm run model:fetch` writes. */
export const MODEL_FILE_CANDIDATES = [
  'onnx/model_quint8_avx2.onnx',
  'model_quint8_avx2.onnx',
  'onnx/model_quantized.onnx',
  'model_quantized.onnx',
  'onnx/model.onnx',
  'model.onnx',
] as const;
export const TOKENIZER_FILE = 'tokenizer.json';
/** Optional: BERT tokenizers encode the same without it. */
export const TOKENIZER_CONFIG_FILE = 'tokenizer_config.json';

export interface ModelFiles {
  readonly dir: string;
  readonly model: string;
  readonly tokenizer: string;
  readonly tokenizerConfig: string | undefined;
}

export type ModelFilesLookup =
  | { readonly found: true; readonly files: ModelFiles }
  | { readonly found: false; readonly missing: readonly string[] };

async function isFile(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}

async function firstFile(dir: string, names: readonly string[]): Promise<string | undefined> {
  for (const name of names) {
    if (await isFile(join(dir, name))) return join(dir, name);
  }
  return undefined;
}

/** Looks for the model's files in `dir`; when some are missing, says which. */
export async function findModelFiles(dir: string): Promise<ModelFilesLookup> {
  const [model, tokenizer, tokenizerConfig] = await Promise.all([
    firstFile(dir, MODEL_FILE_CANDIDATES),
    firstFile(dir, [TOKENIZER_FILE]),
    firstFile(dir, [TOKENIZER_CONFIG_FILE]),
  ]);
  if (model !== undefined && tokenizer !== undefined) {
    return { found: true, files: { dir, model, tokenizer, tokenizerConfig } };
  }
  const missing = [
    ...(model === undefined ? [`an ONNX model (${MODEL_FILE_CANDIDATES.join(', ')})`] : []),
    ...(tokenizer === undefined ? [TOKENIZER_FILE] : []),
  ];
  return { found: false, missing };
}
