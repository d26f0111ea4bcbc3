/**
 * The in-process engine proper: tokenize, run the ONNX graph, mean-pool with the attention mask,
 * normalise. It runs inside a worker thread (engine-worker.ts); tests also call it directly.
 * onnxruntime-node (about 290 MB of native binaries) and the tokenizer library are loaded with a
 * lazy import() here and nowhere else, so nothing that merely imports the upstream code (the
 * Lambda handler) ever loads them.
 */
import { readFile } from 'node:fs/promises';
import { createBatchEncoder } from './batch-encoder';
import { LocalModelError, LocalModelErrorCode } from './local-model-error';
import { meanPoolNormalized } from './mean-pool';
import type { ModelFiles } from './model-files';

export interface EngineOptions {
  /** Tokens per text, special tokens included. */
  readonly maxTokens: number;
  /** ONNX Runtime's threads for one inference: 1 when each core has its own worker. */
  readonly intraOpThreads: number;
}

export interface EmbeddingEngine {
  /** Vector size, read from the model's output on a warm-up inference. */
  readonly dimension: number;
  /** Unit vectors, `[texts.length, dimension]` row-major, in input order. */
  embed(texts: readonly string[]): Promise<Float32Array>;
  /** Number of tokens each text is read as (after truncation, special tokens included). */
  countTokens(text: string): number;
  release(): Promise<void>;
}

const BERT_INPUTS = ['input_ids', 'attention_mask', 'token_type_ids'] as const;
const HIDDEN_STATE_OUTPUT = 'last_hidden_state';
const FALLBACK_PAD_TOKEN = '[PAD]';

interface TokenizerJson {
  padding?: { pad_id?: unknown } | null;
}

async function readJson(path: string): Promise<unknown> {
  return JSON.parse(await readFile(path, 'utf8')) as unknown;
}

function invalid(files: ModelFiles, what: string, cause: unknown): LocalModelError {
  const reason = cause instanceof Error ? cause.message : String(cause);
  return new LocalModelError(LocalModelErrorCode.invalid, `the model in ${files.dir} could not be loaded: ${what} (${reason})`, { cause });
}

/** Loads the tokenizer and the ONNX session, and checks both on one warm-up text. */
export async function loadEmbeddingEngine(files: ModelFiles, options: EngineOptions): Promise<EmbeddingEngine> {
  const [ort, { Tokenizer }] = await Promise.all([import('onnxruntime-node'), import('@huggingface/tokenizers')]);

  let tokenizer: InstanceType<typeof Tokenizer>;
  let padId: number;
  try {
    const tokenizerJson = await readJson(files.tokenizer);
    const tokenizerConfig = files.tokenizerConfig === undefined ? {} : await readJson(files.tokenizerConfig);
    tokenizer = new Tokenizer(tokenizerJson as object, tokenizerConfig as object);
    const declaredPad = (tokenizerJson as TokenizerJson).padding?.pad_id;
    padId = typeof declaredPad === 'number' ? declaredPad : (tokenizer.token_to_id(FALLBACK_PAD_TOKEN) ?? 0);
  } catch (error) {
    throw invalid(files, 'tokenizer.json is not a tokenizer the tokenizer library can read', error);
  }
  const encoder = createBatchEncoder(tokenizer, { maxTokens: options.maxTokens, padId });

  let session: Awaited<ReturnType<typeof ort.InferenceSession.create>>;
  try {
    session = await ort.InferenceSession.create(files.model, {
      executionProviders: ['cpu'],
      intraOpNumThreads: options.intraOpThreads,
      // Parallelism comes from one worker per core; ONNX Runtime's own inter-op pool would only
      // compete with them.
      interOpNumThreads: 1,
      graphOptimizationLevel: 'all',
    });
  } catch (error) {
    throw invalid(files, 'ONNX Runtime rejected the model file', error);
  }
  const missingInputs = ['input_ids', 'attention_mask'].filter((name) => !session.inputNames.includes(name));
  const outputName = session.outputNames.includes(HIDDEN_STATE_OUTPUT) ? HIDDEN_STATE_OUTPUT : session.outputNames[0];
  if (missingInputs.length > 0 || outputName === undefined) {
    await session.release();
    throw invalid(files, 'it is not a BERT-style export', `inputs ${session.inputNames.join(', ')}; outputs ${session.outputNames.join(', ')}`);
  }
  // Some exports drop token_type_ids; feed only what the graph declares.
  const fed = BERT_INPUTS.filter((name) => session.inputNames.includes(name));

  async function run(texts: readonly string[]): Promise<{ vectors: Float32Array; dimension: number }> {
    const batch = encoder.encodeBatch(texts);
    const shape = [batch.batch, batch.seqLen];
    const tensors = {
      input_ids: new ort.Tensor('int64', batch.inputIds, shape),
      attention_mask: new ort.Tensor('int64', batch.attentionMask, shape),
      token_type_ids: new ort.Tensor('int64', batch.tokenTypeIds, shape),
    };
    const feeds = Object.fromEntries(fed.map((name) => [name, tensors[name]]));
    const outputs = await session.run(feeds);
    const hidden = outputs[outputName as string];
    const dims = hidden?.dims;
    if (hidden === undefined || hidden.type !== 'float32' || dims?.length !== 3 || dims[0] !== batch.batch || dims[1] !== batch.seqLen) {
      throw new Error(`the model's ${outputName} is not a [batch, sequence, dimension] float32 tensor (got ${hidden?.type} ${JSON.stringify(dims)})`);
    }
    const dimension = dims[2]!;
    return { vectors: meanPoolNormalized(hidden.data as Float32Array, batch.attentionMask, batch.batch, batch.seqLen, dimension), dimension };
  }

  let dimension: number;
  try {
    ({ dimension } = await run(['']));
  } catch (error) {
    await session.release();
    throw invalid(files, 'the warm-up inference failed', error);
  }

  return {
    dimension,
    embed: async (texts) => (await run(texts)).vectors,
    countTokens: (text) => encoder.encodeText(text).ids.length,
    release: () => session.release(),
  };
}
