/**
 * Texts to the three int64 tensors a BERT export reads (`input_ids`, `attention_mask`,
 * `token_type_ids`), padded to the longest text of the batch. Tokenization is the tokenizer
 * library's (normalizer, pre-tokenizer, WordPiece, post-processor from tokenizer.json); this
 * module adds what that library leaves to its caller: truncation to the model's length, the
 * way Hugging Face tokenizers truncate (the text's tokens are cut so the special tokens fit),
 * and batching.
 */
import type { Tokenizer } from '@huggingface/tokenizers';

export interface EncodedText {
  readonly ids: readonly number[];
  readonly typeIds: readonly number[];
}

export interface EncodedBatch {
  readonly batch: number;
  /** Longest encoded text of the batch; shorter ones are padded to it. */
  readonly seqLen: number;
  /** `[batch, seqLen]`, row-major. */
  readonly inputIds: BigInt64Array;
  readonly attentionMask: BigInt64Array;
  readonly tokenTypeIds: BigInt64Array;
}

export interface BatchEncoder {
  /** One text, special tokens included, truncated to `maxTokens`. */
  encodeText(text: string): EncodedText;
  encodeBatch(texts: readonly string[]): EncodedBatch;
}

export interface BatchEncoderOptions {
  /** Tokens per text, special tokens included. */
  readonly maxTokens: number;
  /** The id written in padded positions (masked out, so any id works; BERT's is [PAD] = 0). */
  readonly padId: number;
}

/** Wraps a loaded tokenizer with truncation to `maxTokens` and batch padding. */
export function createBatchEncoder(tokenizer: Tokenizer, options: BatchEncoderOptions): BatchEncoder {
  const postProcessor = tokenizer.post_processor;
  // The number of tokens the template adds ([CLS] and [SEP] for BERT), to keep room for them.
  const specialCount = postProcessor ? postProcessor.post_process([], null, true).tokens.length : 0;
  const maxContent = Math.max(options.maxTokens - specialCount, 0);
  const unknownId = tokenizer.model?.unk_token_id ?? 0;

  function encodeText(text: string): EncodedText {
    const content = tokenizer.tokenize(text, { add_special_tokens: false }).slice(0, maxContent);
    const processed = postProcessor ? postProcessor.post_process(content, null, true) : { tokens: content };
    const ids = processed.tokens.map((token) => tokenizer.token_to_id(token) ?? unknownId);
    return { ids, typeIds: processed.token_type_ids ?? new Array<number>(ids.length).fill(0) };
  }

  function encodeBatch(texts: readonly string[]): EncodedBatch {
    const encoded = texts.map(encodeText);
    const batch = encoded.length;
    const seqLen = Math.max(1, ...encoded.map((item) => item.ids.length));
    const inputIds = new BigInt64Array(batch * seqLen).fill(BigInt(options.padId));
    const attentionMask = new BigInt64Array(batch * seqLen);
    const tokenTypeIds = new BigInt64Array(batch * seqLen);
    encoded.forEach((item, row) => {
      const offset = row * seqLen;
      item.ids.forEach((id, column) => {
        inputIds[offset + column] = BigInt(id);
        attentionMask[offset + column] = 1n;
        tokenTypeIds[offset + column] = BigInt(item.typeIds[column] ?? 0);
      });
    });
    return { batch, seqLen, inputIds, attentionMask, tokenTypeIds };
  }

  return { encodeText, encodeBatch };
}
