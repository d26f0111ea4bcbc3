/**
 * A tiny stand-in for all-MiniLM-L6-v2, built in the test itself (the real model cannot be
 * downloaded here): an ONNX graph with a BERT export's inputs and output (`input_ids`,
 * `attention_mask`, `token_type_ids` -> `last_hidden_state`) and a WordPiece tokenizer.json with
 * the real one's pipeline (BertNormalizer lowercasing and stripping accents, BertPreTokenizer,
 * WordPiece with `##` pieces, a [CLS] $A [SEP] template). The engine loads it through the same
 * code as the real model.
 *
 * The graph computes `hidden[b, s] = WORD[input_ids] + TYPE[token_type_ids] + attention_mask * MASK_VECTOR`:
 * padded positions hold WORD[[PAD]] + TYPE[0] (not zero), so pooling that ignored the attention
 * mask would give different numbers, and the attention mask term checks that it is fed.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import onnxProto, { type onnx as OnnxTypes } from 'onnx-proto';

const { onnx } = onnxProto;

export const TINY_DIMENSION = 8;

/** The vocabulary: ids are positions. BERT's special tokens first, as in the real vocab. */
export const TINY_VOCAB = [
  '[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]',
  'the', 'quick', 'brown', 'fox', 'jump', '##s', 'over', 'lazy', 'dog', '.', ',', '!', '?',
  'hello', 'world', 'em', '##bed', '##ding', 'cafe', 'new', 'york', 'a', '##n', 'run', '##ning',
] as const;
export const TINY_VOCAB_SIZE = TINY_VOCAB.length;

/** Small exact binary fractions, so float32 holds them without rounding. */
export const WORD = Array.from({ length: TINY_VOCAB_SIZE }, (_, id) =>
  Array.from({ length: TINY_DIMENSION }, (__, d) => (((id * 3 + d * 5) % 7) - 3) / 4));
export const TYPE = [
  Array.from({ length: TINY_DIMENSION }, (_, d) => (d % 2 === 0 ? 0.5 : -0.25)),
  Array.from({ length: TINY_DIMENSION }, () => 1),
];
export const MASK_VECTOR = Array.from({ length: TINY_DIMENSION }, (_, d) => (d + 1) / 8);

const { FLOAT, INT64 } = onnx.TensorProto.DataType;

function floatInitializer(name: string, rows: number[][]): OnnxTypes.ITensorProto {
  const data = Float32Array.from(rows.flat());
  return { name, dims: [rows.length, rows[0]!.length], dataType: FLOAT, rawData: new Uint8Array(data.buffer) };
}

function valueInfo(name: string, elemType: number, dims: (string | number)[]): OnnxTypes.IValueInfoProto {
  return {
    name,
    type: { tensorType: { elemType, shape: { dim: dims.map((dim) => (typeof dim === 'string' ? { dimParam: dim } : { dimValue: dim })) } } },
  };
}

/** The serialized ONNX model (about 1.7 KB). */
export function buildTinyBertOnnx(): Uint8Array {
  const axes = BigInt64Array.from([-1n]);
  const model = onnx.ModelProto.create({
    irVersion: 8,
    opsetImport: [{ domain: '', version: 13 }],
    producerName: 'embed-front-door tests',
    graph: {
      name: 'tiny-bert',
      input: ['input_ids', 'attention_mask', 'token_type_ids'].map((name) => valueInfo(name, INT64, ['batch', 'sequence'])),
      output: [valueInfo('last_hidden_state', FLOAT, ['batch', 'sequence', TINY_DIMENSION])],
      initializer: [
        floatInitializer('word_embeddings', WORD),
        floatInitializer('token_type_embeddings', TYPE),
        floatInitializer('mask_vector', [MASK_VECTOR]),
        { name: 'last_axis', dims: [1], dataType: INT64, rawData: new Uint8Array(axes.buffer) },
      ],
      node: [
        { opType: 'Gather', input: ['word_embeddings', 'input_ids'], output: ['words'] },
        { opType: 'Gather', input: ['token_type_embeddings', 'token_type_ids'], output: ['types'] },
        { opType: 'Add', input: ['words', 'types'], output: ['embedded'] },
        { opType: 'Cast', input: ['attention_mask'], output: ['mask_float'], attribute: [{ name: 'to', type: onnx.AttributeProto.AttributeType.INT, i: FLOAT }] },
        { opType: 'Unsqueeze', input: ['mask_float', 'last_axis'], output: ['mask_column'] },
        // [batch, seq, 1] * [1, dim] broadcasts to [batch, seq, dim].
        { opType: 'Mul', input: ['mask_column', 'mask_vector'], output: ['mask_term'] },
        { opType: 'Add', input: ['embedded', 'mask_term'], output: ['last_hidden_state'] },
      ],
    },
  });
  return onnx.ModelProto.encode(model).finish();
}

const special = (id: number, content: string) => ({
  id, content, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true,
});

/** A tokenizer.json shaped like all-MiniLM-L6-v2's, over the tiny vocabulary. */
export function buildTinyTokenizerJson(): object {
  return {
    version: '1.0',
    // The real file carries truncation and padding settings too; the engine applies its own.
    truncation: { direction: 'Right', max_length: 128, strategy: 'LongestFirst', stride: 0 },
    padding: { strategy: { Fixed: 128 }, direction: 'Right', pad_to_multiple_of: null, pad_id: 0, pad_type_id: 0, pad_token: '[PAD]' },
    added_tokens: TINY_VOCAB.slice(0, 5).map((token, id) => special(id, token)),
    normalizer: { type: 'BertNormalizer', clean_text: true, handle_chinese_chars: true, strip_accents: null, lowercase: true },
    pre_tokenizer: { type: 'BertPreTokenizer' },
    post_processor: {
      type: 'TemplateProcessing',
      single: [{ SpecialToken: { id: '[CLS]', type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }, { SpecialToken: { id: '[SEP]', type_id: 0 } }],
      pair: [
        { SpecialToken: { id: '[CLS]', type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }, { SpecialToken: { id: '[SEP]', type_id: 0 } },
        { Sequence: { id: 'B', type_id: 1 } }, { SpecialToken: { id: '[SEP]', type_id: 1 } },
      ],
      special_tokens: {
        '[CLS]': { id: '[CLS]', ids: [2], tokens: ['[CLS]'] },
        '[SEP]': { id: '[SEP]', ids: [3], tokens: ['[SEP]'] },
      },
    },
    decoder: { type: 'WordPiece', prefix: '##', cleanup: true },
    model: {
      type: 'WordPiece',
      unk_token: '[UNK]',
      continuing_subword_prefix: '##',
      max_input_chars_per_word: 100,
      vocab: Object.fromEntries(TINY_VOCAB.map((token, id) => [token, id])),
    },
  };
}

/** Texts and the ids all-MiniLM-L6-v2's tokenizer pipeline gives them over the tiny vocabulary. */
export const TINY_CASES: readonly { readonly text: string; readonly ids: readonly number[]; readonly why: string }[] = [
  { text: 'The quick brown fox jumps over the lazy dog.', ids: [2, 5, 6, 7, 8, 9, 10, 11, 5, 12, 13, 14, 3], why: 'lowercase, ## pieces, punctuation split' },
  { text: 'Hello, WORLD!', ids: [2, 18, 15, 19, 16, 3], why: 'upper case and punctuation' },
  { text: 'Embedding café', ids: [2, 20, 21, 22, 23, 3], why: 'several ## pieces; accents stripped when lowercasing' },
  { text: 'New  York\trunning?', ids: [2, 24, 25, 28, 29, 17, 3], why: 'runs of whitespace' },
  { text: 'zebra', ids: [2, 1, 3], why: 'a word out of the vocabulary is [UNK]' },
  { text: '', ids: [2, 3], why: 'an empty text is [CLS] [SEP]' },
];

export const TINY_TOKENIZER_CONFIG = {
  do_lower_case: true,
  unk_token: '[UNK]',
  sep_token: '[SEP]',
  pad_token: '[PAD]',
  cls_token: '[CLS]',
  mask_token: '[MASK]',
  tokenize_chinese_chars: true,
  strip_accents: null,
  model_max_length: 512,
  tokenizer_class: 'BertTokenizer',
};

export interface TinyModelDir {
  readonly dir: string;
  remove(): Promise<void>;
}

/** Writes the tiny model to a fresh temporary directory (`model.onnx`, `tokenizer.json`, `tokenizer_config.json`). */
export async function writeTinyModel(): Promise<TinyModelDir> {
  const dir = await mkdtemp(join(tmpdir(), 'tiny-bert-'));
  await mkdir(dir, { recursive: true });
  await Promise.all([
    writeFile(join(dir, 'model.onnx'), buildTinyBertOnnx()),
    writeFile(join(dir, 'tokenizer.json'), JSON.stringify(buildTinyTokenizerJson())),
    writeFile(join(dir, 'tokenizer_config.json'), JSON.stringify(TINY_TOKENIZER_CONFIG)),
  ]);
  return { dir, remove: () => rm(dir, { recursive: true, force: true }) };
}

/**
 * The sentence vector computed by hand from token ids, independently of the engine: each token's
 * vector is WORD[id] + TYPE[0] + MASK_VECTOR, averaged over the tokens, divided by its length.
 */
export function expectedVector(ids: readonly number[]): number[] {
  const mean = Array.from({ length: TINY_DIMENSION }, (_, d) =>
    ids.reduce((sum, id) => sum + WORD[id]![d]! + TYPE[0]![d]! + MASK_VECTOR[d]!, 0) / ids.length);
  const norm = Math.hypot(...mean);
  return mean.map((x) => x / norm);
}
