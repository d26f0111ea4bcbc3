/**
 * The DJL Serving simulator against shared/reference/djl-serving.md: real HTTP on loopback, one
 * simulator per test, closed afterwards. The worker pool's cost model is checked with a fake clock.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import http, { type IncomingHttpHeaders } from 'node:http';
import type { Socket } from 'node:net';
import { after, describe, test, type TestContext } from 'node:test';
import { parseSimulatorCli } from '../../tools/djl-simulator/cli-args';
import { expectRun } from '../../shared/cli/command-line';
import {
  DJL_PROFILES,
  formatFloat32Java,
  simulatedEmbedding,
  startDjlSimulator,
  type DjlSimulator,
  type DjlSimulatorOptions,
} from '../../tools/djl-simulator/djl-simulator';
import { WorkerPool, type Scheduler } from '../../tools/djl-simulator/worker-pool';
import { eventually } from '../helpers/eventually';

const DIM = 384;
const MODEL = 'all_MiniLM_L6_v2';
const JSON_TYPE = { 'content-type': 'application/json' };
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const NORM_TOLERANCE = 1e-6;
const SOCKET_CLOSE_TIMEOUT_MS = 1_000;

const agent = new http.Agent({ keepAlive: true });
after(() => agent.destroy());

interface Reply {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly text: string;
  /** The client socket the response came on, to watch the server close it. */
  readonly socket: Socket;
}

interface SendInit {
  readonly method?: string;
  readonly headers?: Record<string, string>;
  readonly body?: string | Buffer;
  readonly timeoutMs?: number;
}

/** One request over a keep-alive agent, so a server-side close is visible. */
function send(url: string, init: SendInit = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: init.method ?? 'POST', headers: init.headers ?? {}, agent }, (res) => {
      const socket = res.socket;
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, headers: res.headers, text: Buffer.concat(chunks).toString('utf8'), socket }),
      );
      res.on('error', reject);
    });
    req.on('error', reject);
    if (init.timeoutMs !== undefined) {
      req.setTimeout(init.timeoutMs, () => req.destroy(Object.assign(new Error('client timeout'), { code: 'CLIENT_TIMEOUT' })));
    }
    req.end(init.body);
  });
}

const postJson = (url: string, value: unknown, headers: Record<string, string> = {}): Promise<Reply> =>
  send(url, { headers: { ...JSON_TYPE, ...headers }, body: JSON.stringify(value) });

async function simulator(t: TestContext, options: Partial<DjlSimulatorOptions> = {}): Promise<DjlSimulator> {
  const sim = await startDjlSimulator({ ...DJL_PROFILES.zero, ...options });
  t.after(() => sim.close());
  return sim;
}

async function assertServerCloses(socket: Socket): Promise<void> {
  if (socket.destroyed) return;
  const timeout = AbortSignal.timeout(SOCKET_CLOSE_TIMEOUT_MS);
  await once(socket, 'close', { signal: timeout });
}

/** Asserts DJL's error shape (pretty JSON, compact fields), `connection: close`, and the close. */
async function assertDjlError(reply: Reply, code: number, type: string, message?: string): Promise<void> {
  assert.equal(reply.status, code, reply.text);
  assert.equal(reply.headers['content-type'], 'application/json');
  assert.equal(reply.headers.connection, 'close');
  assert.match(String(reply.headers['x-request-id']), UUID);
  const body = JSON.parse(reply.text) as { code: number; type: string; message: string };
  assert.deepEqual(Object.keys(body), ['code', 'type', 'message']);
  assert.equal(body.code, code);
  assert.equal(body.type, type);
  if (message === undefined) assert.ok(body.message.length > 0);
  else assert.equal(body.message, message);
  await assertServerCloses(reply.socket);
}

async function rejectsWithCode(promise: Promise<unknown>, codes: readonly string[]): Promise<void> {
  await assert.rejects(promise, (error: NodeJS.ErrnoException) => {
    assert.ok(codes.includes(error.code ?? ''), `expected one of ${codes.join(', ')}, got ${error.code} ${error.message}`);
    return true;
  });
}

describe('simulatedEmbedding', () => {
  test('is deterministic, unit-norm, float32-exact and 384-dimensional', () => {
    const vector = simulatedEmbedding('hello world', DIM);
    assert.equal(vector.length, DIM);
    assert.deepEqual(simulatedEmbedding('hello world', DIM), vector);
    assert.notDeepEqual(simulatedEmbedding('hello world!', DIM), vector);
    assert.ok(Math.abs(Math.hypot(...vector) - 1) < NORM_TOLERANCE);
    assert.deepEqual(Array.from(Float32Array.from(vector)), vector);
    assert.equal(simulatedEmbedding('', 8).length, 8);
  });

  test('formats floats as Java Float.toString does, and they parse back to the float32', () => {
    assert.equal(formatFloat32Java(Math.fround(0.1)), '0.1');
    assert.equal(formatFloat32Java(1), '1.0');
    assert.equal(formatFloat32Java(Math.fround(-0.04811321)), '-0.04811321');
    assert.equal(formatFloat32Java(Math.fround(7.5421e-4)), '7.5421E-4');
    assert.equal(formatFloat32Java(Math.fround(123456789)), '1.2345679E8');
    for (const value of simulatedEmbedding('round trip', DIM)) {
      assert.equal(Math.fround(Number(formatFloat32Java(value))), value);
    }
  });
});

describe('inference requests', () => {
  test('a JSON list gets nested vectors in input order, with DJL headers', async (t) => {
    const sim = await simulator(t);
    const texts = ['first', 'second', '', 'fourth'];
    const reply = await postJson(sim.predictionsUrl, { inputs: texts }, { 'x-request-id': 'req-42' });
    assert.equal(reply.status, 200);
    assert.equal(reply.headers['content-type'], 'application/json');
    assert.equal(reply.headers['x-request-id'], 'req-42');
    assert.equal(reply.headers.connection, 'keep-alive');
    assert.equal(reply.headers['content-length'], String(Buffer.byteLength(reply.text)));
    assert.ok(!reply.text.includes(' ') && !reply.text.includes('\n'), 'compact JSON');
    assert.deepEqual(JSON.parse(reply.text), texts.map((text) => simulatedEmbedding(text, DIM)));
    const bare = await postJson(sim.predictionsUrl, ['b', 'a']);
    assert.deepEqual(JSON.parse(bare.text), [simulatedEmbedding('b', DIM), simulatedEmbedding('a', DIM)]);
  });

  test('one JSON string, {"inputs": "x"} and plain text get a flat vector', async (t) => {
    const sim = await simulator(t);
    const asObject = await postJson(sim.predictionsUrl, { inputs: 'x' });
    assert.deepEqual(JSON.parse(asObject.text), simulatedEmbedding('x', DIM));
    const asString = await postJson(sim.predictionsUrl, 'y');
    assert.deepEqual(JSON.parse(asString.text), simulatedEmbedding('y', DIM));
    const plain = await send(sim.predictionsUrl, { headers: { 'content-type': 'text/plain' }, body: '{"inputs": ["z"]}' });
    assert.deepEqual(JSON.parse(plain.text), simulatedEmbedding('{"inputs": ["z"]}', DIM));
    const untyped = await send(sim.predictionsUrl, { body: 'no content type' });
    assert.deepEqual(JSON.parse(untyped.text), simulatedEmbedding('no content type', DIM));
    const generated = await send(sim.predictionsUrl, { body: 'id' });
    assert.match(String(generated.headers['x-request-id']), UUID);
  });

  test('a charset suffix is stripped (DJL 0.30+), any other media type is one text', async (t) => {
    const sim = await simulator(t);
    const body = JSON.stringify({ inputs: ['a', 'b'] });
    const charset = await send(sim.predictionsUrl, { headers: { 'content-type': 'application/json; charset=utf-8' }, body });
    assert.deepEqual(JSON.parse(charset.text), [simulatedEmbedding('a', DIM), simulatedEmbedding('b', DIM)]);
    const textJson = await send(sim.predictionsUrl, { headers: { 'content-type': 'text/json' }, body });
    assert.deepEqual(JSON.parse(textJson.text), simulatedEmbedding(body, DIM));
  });

  test('/invocations, /models/{m}/invoke and versioned predictions reach the model', async (t) => {
    const sim = await startDjlSimulator({ ...DJL_PROFILES.zero, modelVersion: '2' });
    t.after(() => sim.close());
    const expected = [simulatedEmbedding('q', DIM)];
    for (const path of ['/invocations', `/invocations?model_name=${MODEL}`, `/models/${MODEL}/invoke`, `/predictions/${MODEL}/2`]) {
      const reply = await postJson(`${sim.url}${path}`, { inputs: ['q'] });
      assert.equal(reply.status, 200, path);
      assert.deepEqual(JSON.parse(reply.text), expected, path);
    }
    await assertDjlError(await postJson(`${sim.url}/predictions/${MODEL}/3`, ['q']), 404, 'ModelNotFoundException');
  });

  test('GET /models lists the model as DJL names it', async (t) => {
    const sim = await simulator(t);
    const reply = await send(`${sim.url}/models`, { method: 'GET' });
    assert.equal(reply.status, 200);
    assert.deepEqual(JSON.parse(reply.text), {
      models: [{ modelName: MODEL, modelUrl: sim.options.modelUrl, status: 'READY' }],
    });
  });
});

describe('errors close the connection', () => {
  test('bad bodies get 400 TranslateException', async (t) => {
    const sim = await simulator(t);
    const cases: readonly [string, SendInit][] = [
      ['empty body', { headers: JSON_TYPE, body: '' }],
      ['empty plain body', { body: '' }],
      ['invalid JSON', { headers: JSON_TYPE, body: '{"inputs": [' }],
      ['missing inputs', { headers: JSON_TYPE, body: '{"text": "a"}' }],
      ['empty list', { headers: JSON_TYPE, body: '{"inputs": []}' }],
      ['null item', { headers: JSON_TYPE, body: '{"inputs": ["a", null]}' }],
      ['number item', { headers: JSON_TYPE, body: '["a", 1]' }],
      ['null inputs', { headers: JSON_TYPE, body: '{"inputs": null}' }],
    ];
    for (const [name, init] of cases) {
      await t.test(name, async () => {
        await assertDjlError(await send(sim.predictionsUrl, init), 400, 'TranslateException');
      });
    }
    assert.equal(sim.stats.errorsByStatus[400], cases.length);
  });

  test('unknown models and paths get 404 with DJL messages', async (t) => {
    const sim = await simulator(t);
    await assertDjlError(await postJson(`${sim.url}/predictions/all-MiniLM-L6-v2`, ['a']), 404, 'ModelNotFoundException', 'Model or workflow not found: all-MiniLM-L6-v2');
    await assertDjlError(await postJson(`${sim.url}/invocations?model_name=other`, ['a']), 404, 'ModelNotFoundException', 'Model or workflow not found: other');
    const notFound = 'Requested resource is not found, please refer to API document.';
    await assertDjlError(await postJson(`${sim.url}/predictions/`, ['a']), 404, 'ResourceNotFoundException', notFound);
    await assertDjlError(await postJson(`${sim.url}/v1/embeddings`, ['a']), 404, 'ResourceNotFoundException', notFound);
    await assertDjlError(await send(`${sim.url}/pingx`, { method: 'GET' }), 404, 'ResourceNotFoundException', notFound);
  });

  test('a body above maxRequestSize gets Netty\'s empty 413 and a close', async (t) => {
    const sim = await simulator(t, { maxRequestSize: 1024 });
    const reply = await send(sim.predictionsUrl, { headers: JSON_TYPE, body: JSON.stringify(['x'.repeat(2048)]) });
    assert.equal(reply.status, 413);
    assert.equal(reply.text, '');
    assert.equal(reply.headers.connection, 'close');
    await assertServerCloses(reply.socket);
    const fits = await postJson(sim.predictionsUrl, ['x'.repeat(1000)]);
    assert.equal(fits.status, 200);
    assert.equal(sim.stats.errorsByStatus[413], 1);
  });
});

describe('/ping', () => {
  const pingBody = (status: string): string => `{\n  "${MODEL}": {\n    "status": "${status}"\n  }\n}\n`;

  test('says Healthy, or Unhealthy with status 200', async (t) => {
    const sim = await simulator(t);
    const healthy = await send(`${sim.url}/ping`, { method: 'GET' });
    assert.equal(healthy.status, 200);
    assert.equal(healthy.text, pingBody('Healthy'));
    sim.setFaults({ unhealthy: true });
    const unhealthy = await send(`${sim.url}/ping`, { method: 'GET' });
    assert.equal(unhealthy.status, 200);
    assert.equal(unhealthy.text, pingBody('Unhealthy'));
    const fromOption = await simulator(t, { unhealthy: true });
    assert.equal((await send(`${fromOption.url}/ping`, { method: 'GET' })).text, pingBody('Unhealthy'));
  });

  test('says PENDING while loading without waitModelLoading; predictions get 503 WlmException', async (t) => {
    const sim = await simulator(t, { coldStartMs: 500, waitModelLoading: false });
    const pending = await send(`${sim.url}/ping`, { method: 'GET' });
    assert.equal(pending.status, 200);
    assert.equal(pending.text, pingBody('PENDING'));
    assert.equal(JSON.parse((await send(`${sim.url}/models`, { method: 'GET' })).text).models[0].status, 'PENDING');
    await assertDjlError(await postJson(sim.predictionsUrl, ['a']), 503, 'WlmException', `Model is not ready: ${MODEL}`);
    await sim.whenReady();
    assert.equal((await send(`${sim.url}/ping`, { method: 'GET' })).text, pingBody('Healthy'));
    assert.equal((await postJson(sim.predictionsUrl, ['a'])).status, 200);

    const multi = await simulator(t, { coldStartMs: 300, waitModelLoading: false, allowMultiStatus: true });
    assert.equal((await send(`${multi.url}/ping`, { method: 'GET' })).status, 207);
  });
});

describe('load and faults', () => {
  test('a full job queue answers 503 WlmCapacityException', async (t) => {
    const sim = await simulator(t, { workers: 1, baseMs: 250, perItemMs: 0, jobQueueSize: 2 });
    const replies = await Promise.all(Array.from({ length: 5 }, (_, i) => postJson(sim.predictionsUrl, [`t${i}`])));
    const rejected = replies.filter((reply) => reply.status === 503);
    assert.equal(rejected.length, 2, 'one running, two queued, two refused');
    assert.equal(replies.filter((reply) => reply.status === 200).length, 3);
    for (const reply of rejected) {
      await assertDjlError(reply, 503, 'WlmCapacityException', `Worker queue capacity exceeded for model: ${MODEL}`);
    }
    assert.equal(sim.stats.maxQueueDepth, 2);
    assert.equal(sim.stats.jobs, 3);
  });

  test('a server-side batch runs as one job and fails together on one bad text', async (t) => {
    const sim = await simulator(t, { workers: 1, serverBatchSize: 4, maxBatchDelayMs: 1_000 });
    const good = await Promise.all(['a', 'b', 'c', 'd'].map((text) => postJson(sim.predictionsUrl, { inputs: [text] })));
    assert.deepEqual(good.map((reply) => JSON.parse(reply.text)), ['a', 'b', 'c', 'd'].map((text) => [simulatedEmbedding(text, DIM)]));
    assert.deepEqual(sim.stats.jobBatchSizes, { 4: 1 });

    const texts = ['e', 'f\u0000bad', 'g', 'h'];
    const mixed = await Promise.all(texts.map((text) => postJson(sim.predictionsUrl, { inputs: [text] })));
    for (const reply of mixed) await assertDjlError(reply, 400, 'TranslateException');
    assert.equal(sim.stats.jobs, 2);
    assert.equal(sim.stats.texts, 4, 'the failed batch embedded nothing');
  });

  test('without server batching a bad text fails only its own request', async (t) => {
    const sim = await simulator(t, { badTextMarker: 'POISON' });
    const [bad, good] = await Promise.all([postJson(sim.predictionsUrl, ['ok', 'has POISON']), postJson(sim.predictionsUrl, ['fine'])]);
    await assertDjlError(bad, 400, 'TranslateException');
    assert.deepEqual(JSON.parse((good).text), [simulatedEmbedding('fine', DIM)]);
  });

  test('errorRate 1 answers 503 until the fault is cleared', async (t) => {
    const sim = await simulator(t, { errorRate: 1 });
    await assertDjlError(await postJson(sim.predictionsUrl, ['a']), 503, 'WlmCapacityException');
    sim.setFaults({ errorRate: 0 });
    assert.equal((await postJson(sim.predictionsUrl, ['a'])).status, 200);
    assert.throws(() => sim.setFaults({ errorRate: 2, hangRate: -1 }), /errorRate.*\n.*hangRate/);
  });

  test('hangRate 1 never answers; close() ends the hung request', async (t) => {
    const sim = await simulator(t, { hangRate: 1 });
    await rejectsWithCode(send(sim.predictionsUrl, { body: 'a', timeoutMs: 100 }), ['CLIENT_TIMEOUT']);
    assert.equal(sim.stats.hung, 1);
    const hung = send(sim.predictionsUrl, { body: 'b' });
    await eventually(() => sim.stats.hung === 2, { message: 'the second request to hang' });
    const hangsUp = rejectsWithCode(hung, ['ECONNRESET']);
    await sim.close();
    await hangsUp;
    assert.equal(sim.stats.inFlight, 0);
  });

  test('coldStartMs keeps the port closed, then serves', async (t) => {
    // Long enough that the refused connection below still lands inside it on a loaded machine.
    const coldStartMs = 1_000;
    const started = performance.now();
    const sim = await simulator(t, { coldStartMs });
    assert.ok(sim.port > 0);
    await rejectsWithCode(send(`${sim.url}/ping`, { method: 'GET' }), ['ECONNREFUSED']);
    await sim.whenReady();
    assert.ok(performance.now() - started >= coldStartMs - 10);
    const reply = await postJson(sim.predictionsUrl, ['warm']);
    assert.deepEqual(JSON.parse(reply.text), [simulatedEmbedding('warm', DIM)]);
  });

  test('crash() kills open requests and refuses connections; restart() serves on the same port', async (t) => {
    const sim = await simulator(t, { hangRate: 1 });
    const pending = postJson(sim.predictionsUrl, ['stuck']);
    await eventually(() => sim.stats.inFlight === 1, { message: 'the request to be in flight' });
    sim.crash();
    await rejectsWithCode(pending, ['ECONNRESET']);
    await rejectsWithCode(postJson(sim.predictionsUrl, ['a']), ['ECONNREFUSED']);
    const port = sim.port;
    await sim.restart();
    assert.equal(sim.port, port);
    sim.setFaults({ hangRate: 0 });
    const reply = await postJson(sim.predictionsUrl, ['again']);
    assert.deepEqual(JSON.parse(reply.text), [simulatedEmbedding('again', DIM)]);
  });

  test('stats count requests, texts, batch sizes and connections; resetStats zeroes them', async (t) => {
    const sim = await simulator(t);
    await postJson(sim.predictionsUrl, ['a', 'b', 'c']);
    await postJson(sim.predictionsUrl, ['d']);
    await send(`${sim.url}/ping`, { method: 'GET' });
    const stats = sim.stats;
    assert.equal(stats.requests, 2);
    assert.equal(stats.texts, 4);
    assert.equal(stats.pings, 1);
    assert.deepEqual(stats.requestBatchSizes, { 1: 1, 3: 1 });
    assert.equal(stats.connections, 1, 'keep-alive reuses the connection');
    assert.equal(stats.inFlight, 0);
    sim.resetStats();
    assert.equal(sim.stats.requests, 0);
    assert.deepEqual(sim.stats.requestBatchSizes, {});
  });

  test('options are validated, every problem listed', async () => {
    await assert.rejects(
      startDjlSimulator({ workers: 0, errorRate: 2, modelName: 'a/b' }),
      (error: Error) => /workers/.test(error.message) && /errorRate/.test(error.message) && /modelName/.test(error.message),
    );
    await assert.rejects(startDjlSimulator({ profile: 'gpu' } as Partial<DjlSimulatorOptions>), /profile: not an option/);
  });
});

describe('cost model', () => {
  /** Timers that fire only when the test advances the clock. */
  class FakeScheduler implements Scheduler {
    private time = 0;
    private timers: { at: number; run: () => void }[] = [];
    now(): number {
      return this.time;
    }
    schedule(delayMs: number, run: () => void): () => void {
      const timer = { at: this.time + Math.max(0, delayMs), run };
      this.timers.push(timer);
      return () => {
        this.timers = this.timers.filter((other) => other !== timer);
      };
    }
    /** Moves to `time`, firing due timers in order: on time, or all at `time` (a busy loop). */
    advanceTo(time: number, late = false): void {
      if (late) this.time = time;
      for (;;) {
        const due = this.timers.filter((timer) => timer.at <= time).sort((a, b) => a.at - b.at)[0];
        if (due === undefined) break;
        this.timers = this.timers.filter((timer) => timer !== due);
        this.time = Math.max(this.time, due.at);
        due.run();
      }
      this.time = time;
    }
  }

  function fakePool(config: { workers: number; batchSize?: number; maxBatchDelayMs?: number }, costMs: (n: number) => number) {
    const clock = new FakeScheduler();
    const finished: { items: string[]; at: number }[] = [];
    const pool = new WorkerPool<string>(
      { workers: config.workers, queueCapacity: 100, batchSize: config.batchSize ?? 1, maxBatchDelayMs: config.maxBatchDelayMs ?? 0 },
      { startJob: (batch) => ({ durationMs: costMs(batch.length), finish: () => finished.push({ items: [...batch], at: clock.now() }) }) },
      clock,
    );
    return { clock, pool, finished };
  }

  test('a job of n texts holds a worker for baseMs + perItemMs * n, on `workers` workers', () => {
    const { baseMs, perItemMs, workers } = DJL_PROFILES.cpu;
    const batchOf32 = baseMs + perItemMs * 32;
    assert.ok(Math.abs(batchOf32 - 91.44) < 1e-9);
    const { clock, pool, finished } = fakePool({ workers }, () => batchOf32);
    for (const id of ['a', 'b', 'c', 'd']) assert.ok(pool.submit(id));
    assert.equal(pool.queueDepth, 2);
    clock.advanceTo(1_000);
    assert.deepEqual(finished.map(({ items }) => items[0]), ['a', 'b', 'c', 'd']);
    assert.deepEqual(finished.map(({ at }) => at), [batchOf32, batchOf32, 2 * batchOf32, 2 * batchOf32]);
    // Throughput at batch 32 on two workers: about 700 chunks/s, as calibrated.
    assert.equal(Math.round((workers * 32 * 1000) / batchOf32), 700);
  });

  test('late timers do not slow a busy worker down', () => {
    const { clock, pool, finished } = fakePool({ workers: 1 }, () => 10);
    pool.submit('a');
    pool.submit('b');
    clock.advanceTo(14, true);
    assert.deepEqual(finished.map(({ at }) => at), [14], 'a\'s timer fired 4 ms late');
    clock.advanceTo(20);
    assert.deepEqual(finished.map(({ at }) => at), [14, 20], 'b started when a should have ended');
  });

  test('server batching gathers until batchSize or maxBatchDelayMs', () => {
    const { clock, pool, finished } = fakePool({ workers: 1, batchSize: 3, maxBatchDelayMs: 50 }, (n) => n);
    pool.submit('a');
    clock.advanceTo(10);
    pool.submit('b');
    clock.advanceTo(60);
    assert.deepEqual(finished, [{ items: ['a', 'b'], at: 52 }]);
    pool.submit('c');
    pool.submit('d');
    pool.submit('e');
    clock.advanceTo(100);
    assert.deepEqual(finished.at(-1), { items: ['c', 'd', 'e'], at: 63 });
  });

  test('a real batch of 32 on the cpu profile takes at least baseMs + 32 * perItemMs', async (t) => {
    const sim = await simulator(t, { ...DJL_PROFILES.cpu });
    const texts = Array.from({ length: 32 }, (_, i) => `chunk ${i}`);
    const started = performance.now();
    const reply = await postJson(sim.predictionsUrl, { inputs: texts });
    const elapsed = performance.now() - started;
    assert.equal(reply.status, 200);
    assert.ok(elapsed >= DJL_PROFILES.cpu.baseMs + 32 * DJL_PROFILES.cpu.perItemMs - 1, `took ${elapsed} ms`);
  });
});

describe('npm run sim', () => {
  test('flags give consecutive ports and the profile; bad flags are all reported', () => {
    const plan = expectRun(parseSimulatorCli(['--profile', 'gpu', '--port', '9001', '--instances', '3', '--workers', '4']));
    assert.deepEqual(plan.instances.map((options) => options.port), [9001, 9002, 9003]);
    assert.equal(plan.instances[0]?.workers, 4);
    assert.equal(plan.instances[0]?.baseMs, DJL_PROFILES.gpu.baseMs);
    assert.throws(
      () => expectRun(parseSimulatorCli(['--profile', 'tpu', '--instances', 'x', '--error-rate', '2'])),
      (error: Error) => /--profile/.test(error.message) && /--instances/.test(error.message) && /--error-rate/.test(error.message),
    );
    assert.throws(() => expectRun(parseSimulatorCli(['--nope'])), /nope/);
  });

  test('prints each predictions URL and a CPU_BACKENDS line, and stops on SIGTERM', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'tools/djl-simulator/cli.ts', '--port', '0', '--instances', '2', '--profile', 'zero'], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let output = '';
    child.stdout.setEncoding('utf8');
    const backends = await new Promise<string[]>((resolve, reject) => {
      child.once('exit', (code) => reject(new Error(`exited early with ${code}: ${output}`)));
      child.stdout.on('data', (chunk: string) => {
        output += chunk;
        const line = /^CPU_BACKENDS=(.+)$/m.exec(output);
        if (line?.[1] !== undefined) resolve(line[1].split(','));
      });
    });
    assert.equal(backends.length, 2);
    for (const url of backends) {
      assert.match(url, new RegExp(`^http://127\\.0\\.0\\.1:\\d+/predictions/${MODEL}$`));
      assert.ok(output.includes(`: ${url}`), 'one line per instance');
      assert.equal((await postJson(url, ['cli'])).status, 200);
    }
    child.removeAllListeners('exit');
    const exited = once(child, 'exit');
    child.kill('SIGTERM');
    const [code] = await exited;
    assert.equal(code, 0);
  });
});
