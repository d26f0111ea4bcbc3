/**
 * The in-process engine's real path (tokenize, infer, pool, normalise) on the tiny BERT-shaped
 * model, checked against a hand computation. Runs in this thread; the worker-thread path is
 * covered by test/integration/local-engine.test.ts.
 */
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Tokenizer } from '@huggingface/tokenizers';
import { createBatchEncoder } from '../../shared/upstream/local/batch-encoder';
import { type EmbeddingEngine, loadEmbeddingEngine } from '../../shared/upstream/local/embedding-engine';
import { isLocalModelError, LocalModelErrorCode } from '../../shared/upstream/local/local-model-error';
import { meanPoolNormalized } from '../../shared/upstream/local/mean-pool';
import { findModelFiles, type ModelFiles } from '../../shared/upstream/local/model-files';
import { buildTinyTokenizerJson, expectedVector, TINY_CASES, TINY_DIMENSION, TINY_TOKENIZER_CONFIG, type TinyModelDir, writeTinyModel } from '../../tools/fixtures/tiny-model';

const CASES = TINY_CASES;

const close = (actual: ArrayLike<number>, expected: readonly number[], message: string): void => {
  assert.equal(actual.length, expected.length, message);
  for (let index = 0; index < expected.length; index++) {
    assert.ok(Math.abs(actual[index]! - expected[index]!) < 1e-6, `${message}: [${index}] ${actual[index]} vs ${expected[index]}`);
  }
};

describe('tokenization (the tokenizer library over a tokenizer.json shaped like all-MiniLM-L6-v2\'s)', () => {
  const tokenizer = new Tokenizer(buildTinyTokenizerJson(), TINY_TOKENIZER_CONFIG);

  for (const { text, ids, why } of CASES) {
    test(`${JSON.stringify(text)}: ${why}`, () => {
      const encoder = createBatchEncoder(tokenizer, { maxTokens: 256, padId: 0 });
      assert.deepEqual(encoder.encodeText(text).ids, ids);
    });
  }

  test('truncation keeps room for [CLS] and [SEP], whatever tokenizer.json says (its max_length is 128 here)', () => {
    const encoder = createBatchEncoder(tokenizer, { maxTokens: 5, padId: 0 });
    assert.deepEqual(encoder.encodeText('The quick brown fox jumps').ids, [2, 5, 6, 7, 3]);
    const long = Array.from({ length: 300 }, () => 'fox').join(' ');
    assert.equal(createBatchEncoder(tokenizer, { maxTokens: 256, padId: 0 }).encodeText(long).ids.length, 256);
  });

  test('a batch is padded to its longest text, with the mask and token types alongside', () => {
    const batch = createBatchEncoder(tokenizer, { maxTokens: 256, padId: 0 }).encodeBatch(['Hello, WORLD!', 'zebra']);
    assert.equal(batch.batch, 2);
    assert.equal(batch.seqLen, 6);
    assert.deepEqual([...batch.inputIds], [2n, 18n, 15n, 19n, 16n, 3n, 2n, 1n, 3n, 0n, 0n, 0n]);
    assert.deepEqual([...batch.attentionMask], [1n, 1n, 1n, 1n, 1n, 1n, 1n, 1n, 1n, 0n, 0n, 0n]);
    assert.deepEqual([...batch.tokenTypeIds], new Array(12).fill(0n));
  });
});

describe('mean pooling', () => {
  test('averages the kept positions only, then scales to length 1', () => {
    // One text, three positions of two dimensions; the third is padding holding large numbers.
    const hidden = Float32Array.from([3, 4, 1, 0, 100, -100]);
    const pooled = meanPoolNormalized(hidden, BigInt64Array.from([1n, 1n, 0n]), 1, 3, 2);
    // mean (2, 2), length 2·√2: each component 1/√2.
    close(pooled, [Math.SQRT1_2, Math.SQRT1_2], 'pooled');
  });

  test('an all-zero mean stays zero instead of NaN', () => {
    const pooled = meanPoolNormalized(new Float32Array(4), BigInt64Array.from([1n, 1n]), 1, 2, 2);
    assert.deepEqual([...pooled], [0, 0]);
  });
});

describe('the engine on the tiny model', () => {
  let model: TinyModelDir;
  let files: ModelFiles;
  let engine: EmbeddingEngine;

  before(async () => {
    model = await writeTinyModel();
    const lookup = await findModelFiles(model.dir);
    assert.ok(lookup.found);
    files = lookup.files;
    engine = await loadEmbeddingEngine(files, { maxTokens: 256, intraOpThreads: 1 });
  });
  after(async () => {
    await engine.release();
    await model.remove();
  });

  test('reads the dimension from the model', () => {
    assert.equal(engine.dimension, TINY_DIMENSION);
  });

  test('"" by hand: ([CLS] + [SEP]) / 2 + type 0 + mask vector, normalised', async () => {
    // WORD[2] = (.75, .25, -.25, -.75, .5, 0, -.5, .75), WORD[3] = (-.25, -.75, .5, 0, -.5, .75, .25, -.25),
    // TYPE[0] = (.5, -.25, ...), MASK_VECTOR = (1/8 ... 8/8): the mean token is
    // (.875, -.25, 1, -.125, 1.125, .875, 1.25, 1), of squared length 6.4375.
    const mean = [0.875, -0.25, 1, -0.125, 1.125, 0.875, 1.25, 1];
    close(await engine.embed(['']), mean.map((x) => x / Math.sqrt(6.4375)), 'vector of ""');
  });

  test('a batch of different lengths: each vector matches the hand computation from its token ids', async () => {
    const vectors = await engine.embed(CASES.map((item) => item.text));
    assert.equal(vectors.length, CASES.length * TINY_DIMENSION);
    CASES.forEach(({ text, ids }, row) => {
      const vector = vectors.subarray(row * TINY_DIMENSION, (row + 1) * TINY_DIMENSION);
      close(vector, expectedVector(ids), JSON.stringify(text));
      assert.ok(Math.abs(Math.hypot(...vector) - 1) < 1e-6, 'unit length');
    });
  });

  test('padding does not leak into the result: alone or in a batch, the same vector', async () => {
    const alone = await engine.embed(['zebra']);
    const batched = await engine.embed(['The quick brown fox jumps over the lazy dog.', 'zebra']);
    close(batched.subarray(TINY_DIMENSION), [...alone], 'zebra');
  });

  test('texts longer than maxTokens are embedded from their first tokens', async () => {
    const short = await loadEmbeddingEngine(files, { maxTokens: 5, intraOpThreads: 1 });
    try {
      close(await short.embed(['The quick brown fox jumps over the lazy dog.']), expectedVector([2, 5, 6, 7, 3]), 'truncated');
      assert.equal(short.countTokens('The quick brown fox jumps over the lazy dog.'), 5);
    } finally {
      await short.release();
    }
  });

  test('a file that is not an ONNX model is a LocalModelError naming the directory', async () => {
    const brokenModel = join(model.dir, 'broken.onnx');
    await writeFile(brokenModel, 'not a model');
    await assert.rejects(loadEmbeddingEngine({ ...files, model: brokenModel }, { maxTokens: 256, intraOpThreads: 1 }), (error: unknown) => {
      assert.ok(isLocalModelError(error));
      assert.equal(error.code, LocalModelErrorCode.invalid);
      assert.match(error.message, /could not be loaded: ONNX Runtime rejected the model file/);
      assert.ok(error.message.includes(model.dir));
      return true;
    });
  });

  test('a directory without the files says which are missing', async () => {
    const lookup = await findModelFiles(join(model.dir, 'nothing-here'));
    assert.equal(lookup.found, false);
    assert.ok(!lookup.found && lookup.missing.length === 2 && lookup.missing[1] === 'tokenizer.json');
  });
});
