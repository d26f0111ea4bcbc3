/**
 * The engine pool's queueing and failure handling, with fake engine workers (real worker threads
 * running a few lines of script instead of ONNX Runtime), so crashes and slow batches are cheap
 * to stage.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Worker } from 'node:worker_threads';
import { createEnginePool, PoolState } from '../../shared/upstream/local/engine-pool';
import { isLocalModelError } from '../../shared/upstream/local/local-model-error';
import { createLocalUpstream } from '../../shared/upstream/local/local-upstream';
import { isUpstreamError } from '../../shared/upstream/upstream-error';

/** How long a `meet` batch waits for its partner: far longer than a worker takes to start on a loaded machine. */
const MEET_TIMEOUT_MS = 10_000;

/**
 * A worker speaking the engine protocol: ready with dimension 2, and for each text the vector
 * (length, worker id). Texts steer it: `crash` exits mid-batch, `slow` takes 300 ms, `fail`
 * reports an inference error, `meet` answers only once another worker of its pool holds a `meet`
 * batch too (or after MEET_TIMEOUT_MS), so two such batches come back at once only if they ran at
 * once. `workerData.modelDir === 'broken'` fails to load; `close` ends it.
 */
const FAKE_WORKER = `
const { parentPort, workerData, threadId } = require('node:worker_threads');
if (workerData.modelDir === 'broken') {
  parentPort.postMessage({ type: 'load_failed', code: 'local_model_invalid', message: 'the fake model is broken' });
} else {
  parentPort.postMessage({ type: 'ready', dimension: 2 });
  parentPort.on('message', (job) => {
    if (job.type === 'close') return parentPort.close();
    if (job.texts.includes('crash')) process.exit(3);
    if (job.texts.includes('fail')) return parentPort.postMessage({ type: 'embed_failed', id: job.id, message: 'fake failure' });
    if (job.texts.includes('meet')) {
      const meeting = new Int32Array(workerData.meeting);
      Atomics.add(meeting, 0, 1);
      Atomics.notify(meeting, 0);
      const deadline = Date.now() + ${MEET_TIMEOUT_MS};
      for (let seen; (seen = Atomics.load(meeting, 0)) < 2 && Date.now() < deadline;) Atomics.wait(meeting, 0, seen, deadline - Date.now());
    }
    const vectors = Float32Array.from(job.texts.flatMap((text) => [text.length, threadId]));
    setTimeout(() => parentPort.postMessage({ type: 'embedded', id: job.id, vectors, dimension: 2 }, [vectors.buffer]),
      job.texts.includes('slow') ? 300 : 0);
  });
}`;

let spawned = 0;
const spawnFake = (data: unknown): Worker => {
  spawned++;
  return new Worker(FAKE_WORKER, { eval: true, workerData: data });
};
const pool = (workers: number, modelDir = 'fake') => {
  // One meeting point per pool, shared by its workers (see `meet`).
  const meeting = new SharedArrayBuffer(Int32Array.BYTES_PER_ELEMENT);
  return createEnginePool({ modelDir, workers, maxTokens: 8, spawn: (data) => spawnFake({ ...data, meeting }) });
};

describe('engine pool', () => {
  test('batches go to free workers in parallel and come back whole', async () => {
    const engine = pool(2);
    try {
      assert.equal(engine.status().state, PoolState.idle, 'nothing starts before it is needed');
      // Each batch waits for the other: on one worker the first would wait out MEET_TIMEOUT_MS and
      // the two would share a thread id; a fixed delay instead raced the second worker's start.
      const [a, b] = await Promise.all([engine.run(['one', 'meet']), engine.run(['three', 'meet'])]);
      assert.deepEqual([a.vectors[0], a.vectors[2], b.vectors[0]], [3, 4, 5]);
      assert.notEqual(a.vectors[1], b.vectors[1], 'two batches at once ran on two workers');
      assert.equal(engine.status().state, PoolState.ready);
    } finally {
      await engine.close();
    }
  });

  test('a worker that dies mid-batch fails that batch only (retryable), and is replaced', async () => {
    const engine = pool(1);
    try {
      await engine.ready();
      const before = spawned;
      await assert.rejects(engine.run(['crash']), (error: unknown) => isUpstreamError(error) && error.reason === 'reset' && error.isRetryable);
      const after = await engine.run(['fine']);
      assert.equal(after.vectors[0], 4);
      assert.equal(spawned, before + 1);
    } finally {
      await engine.close();
    }
  });

  test('an inference error fails its batch as a non-retryable backend error', async () => {
    const engine = pool(1);
    try {
      await assert.rejects(engine.run(['fail']), (error: unknown) => isUpstreamError(error) && error.reason === 'status' && !error.isRetryable);
      assert.equal((await engine.run(['ok'])).vectors[0], 2);
    } finally {
      await engine.close();
    }
  });

  test('a model that cannot load fails the pool: queued and later batches get a 503 that another backend may take', async () => {
    const engine = pool(2, 'broken');
    const queued = assert.rejects(engine.run(['x']), (error: unknown) => isUpstreamError(error) && error.reason === 'connect' && error.status === 503);
    await assert.rejects(engine.ready(), (error: unknown) => isLocalModelError(error) && error.message === 'the fake model is broken');
    await queued;
    await assert.rejects(engine.run(['y']), (error: unknown) => isUpstreamError(error) && error.reason === 'connect');
    assert.deepEqual(engine.status(), { state: PoolState.failed, detail: 'the fake model is broken' });
  });

  test('a cancelled batch leaves the queue at once; the busy worker finishes the one before it', async () => {
    const engine = pool(1);
    try {
      await engine.ready();
      const slow = engine.run(['slow']);
      const controller = new AbortController();
      const cancelled = engine.run(['next'], controller.signal);
      controller.abort();
      await assert.rejects(cancelled, (error: unknown) => isUpstreamError(error) && error.reason === 'aborted');
      assert.equal((await slow).vectors[0], 4);
    } finally {
      await engine.close();
    }
  });

  test('close rejects what is queued and stops the workers', async () => {
    const engine = pool(1);
    await engine.ready();
    const running = assert.rejects(engine.run(['slow']), (error: unknown) => isUpstreamError(error) && error.reason === 'connect');
    await engine.close();
    await running;
    assert.equal(engine.status().state, PoolState.closed);
  });
});

describe('local upstream over the pool', () => {
  const upstream = (batchSize: number, dimension = 2) => createLocalUpstream({
    id: 'cpu-0', tier: 'cpu', dimension, modelDir: 'fake', workers: 2, maxTokens: 8, batchSize, pool: pool(2),
  });
  const call = { requestId: 'r', timeoutMs: 5_000 };

  test('splits into batches, sorted by length, and answers in input order', async () => {
    const local = upstream(2);
    try {
      const texts = ['a', 'cccc', 'bb', 'eeeee', 'ddd'];
      const vectors = await local.embed(texts, call);
      assert.deepEqual(vectors.map((vector) => vector[0]), [1, 4, 2, 5, 3]);
      // Longest first: (eeeee, cccc), (ddd, bb), (a): two batches run at once on two workers.
      assert.equal(vectors[3]![1], vectors[1]![1], 'the two longest shared a batch');
    } finally {
      await local.close();
    }
  });

  test('a model of another dimension than MODEL_DIMENSION is a bad response, not vectors', async () => {
    const local = upstream(8, 384);
    try {
      await assert.rejects(local.embed(['x'], call), (error: unknown) =>
        isUpstreamError(error) && error.reason === 'bad_response' && /gives 2-dimension vectors, expected 384/.test(error.message));
    } finally {
      await local.close();
    }
  });

  test('too slow is a timeout; ping reports loading, then healthy', async () => {
    const local = upstream(8);
    try {
      await assert.rejects(local.embed(['slow'], { requestId: 'r', timeoutMs: 50 }), (error: unknown) => isUpstreamError(error) && error.reason === 'timeout');
      assert.equal((await local.ping({ timeoutMs: 2_000 })).state, 'healthy');
    } finally {
      await local.close();
    }
  });
});
