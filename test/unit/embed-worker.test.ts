/**
 * The embedding Lambda worker's logic with the real engine (ONNX Runtime and the tokenizer) on the
 * tiny test model: vectors checked against the hand computation, bad payloads and a missing model
 * answered with a code instead of a crash, the cold flag, and its EMF lines.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { parseConfig } from '../../shared/config/config';
import { createEmbedWorker } from '../../shared/worker/embed-worker';
import { loadWorkerEngine } from '../../shared/worker/load-worker-engine';
import { createWorkerMetrics, noWorkerMetrics, WorkerMetric } from '../../shared/worker/worker-metrics';
import { decodeVectors, type WorkerAnswer } from '../../shared/worker/worker-payload';
import { expectedVector, TINY_CASES, TINY_DIMENSION, type TinyModelDir, writeTinyModel } from '../../tools/fixtures/tiny-model';

const TOLERANCE = 1e-5;

describe('the embedding worker', () => {
  let model: TinyModelDir;
  before(async () => { model = await writeTinyModel(); });
  after(async () => { await model.remove(); });

  it('embeds with the engine, in input order across batches, and says once that it was cold', async () => {
    const lines: string[] = [];
    const handler = createEmbedWorker({
      engine: loadWorkerEngine(parseConfig({ EMBED_MODEL_DIR: model.dir }).local),
      batchSize: 2,
      now: () => performance.now(),
      metrics: createWorkerMetrics({ namespace: 'EmbedFrontDoor', functionName: 'svc-dev-embed-worker', write: (line) => lines.push(line), now: () => 1_700_000_000_000 }),
    });
    const texts = TINY_CASES.map((entry) => entry.text);
    const first = await handler({ v: 1, texts });
    assert.ok(first.ok);
    assert.equal(first.cold, true);
    assert.ok(typeof first.initMs === 'number' && first.initMs > 0);
    assert.equal(first.count, texts.length);
    assert.equal(first.dimension, TINY_DIMENSION);
    const floats = decodeVectors(first.vectors, texts.length, TINY_DIMENSION)!;
    TINY_CASES.forEach((entry, row) => {
      const expected = expectedVector(entry.ids);
      expected.forEach((x, d) => assert.ok(Math.abs(floats[row * TINY_DIMENSION + d]! - x) < TOLERANCE, `${entry.why}, dimension ${d}`));
    });
    const second = await handler({ v: 1, texts: ['zebra'] });
    assert.ok(second.ok);
    assert.equal(second.cold, false);
    assert.equal(second.initMs, undefined);

    const docs = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
    assert.equal(docs.length, 3, 'one init line, one line per answered invoke');
    assert.equal(docs[0]![WorkerMetric.coldStart], 1);
    assert.equal(docs[0]!.FunctionName, 'svc-dev-embed-worker');
    assert.equal(typeof docs[0]![WorkerMetric.initDuration], 'number');
    assert.equal(docs[1]![WorkerMetric.texts], texts.length);
    assert.equal(docs[2]![WorkerMetric.texts], 1);
    for (const doc of docs) {
      const aws = doc._aws as { Timestamp: number; CloudWatchMetrics: { Namespace: string; Metrics: { Name: string }[] }[] };
      assert.equal(aws.CloudWatchMetrics[0]!.Namespace, 'EmbedFrontDoor');
      for (const metric of aws.CloudWatchMetrics[0]!.Metrics) assert.equal(typeof doc[metric.Name], 'number');
      assert.ok(!JSON.stringify(doc).includes('zebra'), 'no text in a metric line');
    }
  });

  it('answers a bad payload with bad_payload and what to send, and keeps serving', async () => {
    const handler = createEmbedWorker({
      engine: loadWorkerEngine(parseConfig({ EMBED_MODEL_DIR: model.dir }).local), batchSize: 32, now: () => performance.now(), metrics: noWorkerMetrics,
    });
    const bad: [unknown, RegExp][] = [
      [null, /not an object/],
      [[1], /not an object/],
      [{ texts: ['a'] }, /version missing/],
      [{ v: 2, texts: ['a'] }, /version 2 is not supported/],
      [{ v: 1, texts: 'a' }, /"texts" is not an array/],
      [{ v: 1, texts: ['a', 3] }, /texts\[1\] is not a string/],
      [{ v: 1, texts: Array.from({ length: 2049 }, () => 'a') }, /at most 2048/],
    ];
    for (const [event, message] of bad) {
      const answer: WorkerAnswer = await handler(event);
      assert.equal(answer.ok, false);
      assert.ok(!answer.ok && answer.code === 'bad_payload' && message.test(answer.message), JSON.stringify(answer));
    }
    assert.ok((await handler({ v: 1, texts: ['hello'] })).ok);
  });

  it('answers model_unavailable when its model is not in the package, never downloading it', async () => {
    for (const env of [{}, { EMBED_MODEL_DIR: `${model.dir}/missing` }]) {
      const handler = createEmbedWorker({ engine: loadWorkerEngine(parseConfig(env).local), batchSize: 32, now: () => performance.now(), metrics: noWorkerMetrics });
      const answer = await handler({ v: 1, texts: ['a'] });
      assert.ok(!answer.ok && answer.code === 'model_unavailable', JSON.stringify(answer));
      assert.match(answer.message, env.EMBED_MODEL_DIR === undefined ? /EMBED_MODEL_DIR is not set/ : /lacks an ONNX model/);
    }
  });
});
