/**
 * The dispatch engine end to end: the real front door over simulated DJL CPU instances (the
 * calibrated cost model), under concurrent load, with instances failing.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { DispatchEmbedder } from '../../shared/dispatch/dispatch-embedder';
import { eventually } from '../helpers/eventually';
import { post, startFrontDoor, type TestFrontDoor } from '../helpers/front-door';
import { DJL_PROFILES, type DjlSimulator, simulatedEmbedding, startDjlSimulator } from '../../tools/djl-simulator/djl-simulator';

const DIM = 384;

async function withCluster(
  count: number,
  simOptions: Parameters<typeof startDjlSimulator>[0],
  env: Record<string, string>,
  run: (door: TestFrontDoor, sims: DjlSimulator[]) => Promise<void>,
): Promise<void> {
  const sims = await Promise.all(Array.from({ length: count }, () => startDjlSimulator(simOptions)));
  const door = await startFrontDoor({ CPU_BACKENDS: sims.map((sim) => sim.predictionsUrl).join(','), ...env });
  try {
    await run(door, sims);
  } finally {
    await door.close();
    await Promise.all(sims.map((sim) => sim.close()));
  }
}

interface Outcome {
  status: number;
  ok: boolean;
}

/**
 * `clients` closed-loop clients, each sending `textsPerRequest` distinct texts per request while
 * `keepGoing(requests it has sent)` says so, checking every vector. Returns every outcome.
 */
async function loadWhile(door: TestFrontDoor, clients: number, keepGoing: (sent: number) => boolean, textsPerRequest = 1): Promise<Outcome[]> {
  const outcomes: Outcome[] = [];
  await Promise.all(Array.from({ length: clients }, async (_, client) => {
    for (let n = 0; keepGoing(n); n++) {
      const texts = Array.from({ length: textsPerRequest }, (_, i) => `client ${client} request ${n} text ${i}`);
      const { status, body } = await post(`${door.url}/embed`, { inputs: texts });
      const ok = status === 200 && texts.every((text, i) => body[i]?.[0] === simulatedEmbedding(text, DIM)[0]);
      outcomes.push({ status, ok });
    }
  }));
  return outcomes;
}

/**
 * {@link loadWhile} for `requests` requests a client: counted, not timed, so a slow machine sends
 * as many (a second's worth of requests from 48 clients was sometimes fewer than 48 under load).
 */
function load(door: TestFrontDoor, clients: number, requests: number, textsPerRequest = 1): Promise<Outcome[]> {
  return loadWhile(door, clients, (sent) => sent < requests, textsPerRequest);
}

async function healthyCpuEndpoints(door: TestFrontDoor): Promise<number> {
  const info = await (await fetch(`${door.url}/info`)).json() as { tiers: { cpu: { healthy: number } } };
  return info.tiers.cpu.healthy;
}

/** Waits until the front door's CPU tier has a batch out. */
async function untilInFlight(door: TestFrontDoor): Promise<void> {
  const cpu = (door.deps.embedder as DispatchEmbedder).tiers.cpu;
  await eventually(() => assert.ok(cpu.inFlightBatches > 0, 'a batch is in flight'));
}

/** Waits until the front door's CPU queue holds at least `texts` texts (requests have arrived). */
async function untilQueued(door: TestFrontDoor, texts: number): Promise<void> {
  const cpu = (door.deps.embedder as DispatchEmbedder).tiers.cpu;
  await eventually(() => assert.ok(cpu.queuedTexts >= texts, `queue holds ${cpu.queuedTexts} texts`));
}

const summary = (outcomes: Outcome[]) =>
  outcomes.reduce<Record<string, number>>((counts, { status }) => ({ ...counts, [status]: (counts[status] ?? 0) + 1 }), {});

describe('dispatch engine over simulated DJL instances', () => {
  test('texts that arrive while every slot is busy leave together in one batch', async () => {
    // One slot, held 3 s by the first request: everything arriving meanwhile must share the next
    // batch. (At 1 s, the twenty requests sometimes had not all arrived on a loaded machine.)
    await withCluster(1, { ...DJL_PROFILES.cpu, workers: 1, baseMs: 3_000 }, { CPU_MAX_INFLIGHT: '1' }, async (door, [sim]) => {
      const first = post(`${door.url}/embed`, { inputs: ['first'] });
      await untilInFlight(door);
      const texts = Array.from({ length: 20 }, (_, i) => `waiting ${i}`);
      const later = Promise.all(texts.map((text) => post(`${door.url}/embed`, { inputs: [text] })));
      await untilQueued(door, texts.length);
      assert.equal((await first).status, 200);
      const answers = await later;
      answers.forEach((answer, i) => assert.deepEqual(answer.body, [simulatedEmbedding(texts[i] as string, DIM)]));
      assert.equal(sim!.stats.requests, 2, 'one upstream call for the first text, one for the twenty');
    });
  });

  test('a full instance gets its next batch ahead, which waits in its own queue: one at most', async () => {
    // One worker of 80 ms a batch. The lead is wide (40 ms before the batch in flight is predicted
    // to end) so that the batch sent ahead reaches the instance before its worker frees however
    // loaded the machine; the default is 3 ms.
    const slow = { ...DJL_PROFILES.cpu, workers: 1, baseMs: 80, perItemMs: 1 };
    await withCluster(1, slow, { CPU_MAX_INFLIGHT: '1', SEND_AHEAD_MS: '40' }, async (door, [sim]) => {
      // Batches of three sizes first, so the cost model tells the fixed cost from the per-text one.
      for (const size of [1, 4, 8]) {
        const warm = await post(`${door.url}/embed`, { inputs: Array.from({ length: size }, (_, i) => `warm-up ${size} ${i}`) });
        assert.equal(warm.status, 200);
      }
      assert.equal(sim!.stats.maxQueueDepth, 0, 'one request at a time: nothing waited');
      const outcomes = await load(door, 8, 6);
      assert.ok(outcomes.every((o) => o.ok), JSON.stringify(summary(outcomes)));
      assert.equal(sim!.stats.maxQueueDepth, 1, 'a batch waited in the instance\'s queue for its worker, never two');
      assert.equal(sim!.stats.maxInFlight, 2, 'the one it ran and the one sent ahead');
      const info = await (await fetch(`${door.url}/info`)).json() as { tiers: { cpu: { activity: { sentAhead: number } } } };
      assert.ok(info.tiers.cpu.activity.sentAhead >= 1, '/info counts the batches sent ahead');
    });
  });

  test('under concurrent load every vector goes back to its own client, and batches carry several texts', async () => {
    // One 50 ms slot per instance: the instances, not the test's own client, are the bottleneck, so
    // texts queue and coalesce however slow the machine (at the CPU profile's six 13 ms slots a
    // loaded machine's clients could not fill them, and every batch carried one text).
    const bottleneck = { ...DJL_PROFILES.cpu, workers: 1, baseMs: 50 };
    await withCluster(3, bottleneck, { CPU_MAX_INFLIGHT: '1' }, async (door, sims) => {
      const outcomes = await load(door, 48, 10);
      assert.equal(outcomes.length, 48 * 10);
      assert.ok(outcomes.every((o) => o.ok), JSON.stringify(summary(outcomes)));
      const texts = sims.reduce((sum, sim) => sum + sim.stats.texts, 0);
      const requests = sims.reduce((sum, sim) => sum + sim.stats.requests, 0);
      // Without coalescing every upstream request would carry exactly one text.
      assert.ok(texts / requests > 1.2, `upstream batches average ${(texts / requests).toFixed(1)} texts`);
    });
  });

  test('one bad text fails only its own request, even inside a shared batch', async () => {
    await withCluster(1, { ...DJL_PROFILES.zero }, { COALESCE_WINDOW_MS: '20' }, async (door) => {
      const texts = ['alpha', 'beta', 'gamma', 'delta'];
      const [bad, ...good] = await Promise.all([
        post(`${door.url}/v1/embeddings`, { input: ['fine', 'poison \u0000bad here', 'also fine'], model: 'm' }),
        ...texts.map((text) => post(`${door.url}/embed`, { inputs: [text] })),
      ]);
      assert.equal(bad.status, 400);
      assert.equal(bad.body.error.code, 'input_rejected');
      assert.match(bad.body.error.message, /index 1/);
      good.forEach((response, i) => {
        assert.equal(response.status, 200);
        assert.deepEqual(response.body, [simulatedEmbedding(texts[i] as string, DIM)]);
      });
    });
  });

  test("DJL's server-side batches fail together; the front door still isolates the bad text", async () => {
    await withCluster(1, { ...DJL_PROFILES.zero, serverBatchSize: 8, maxBatchDelayMs: 20 }, { CPU_MAX_INFLIGHT: '4', CPU_BATCH_SIZE: '2' }, async (door) => {
      const responses = await Promise.all([
        post(`${door.url}/embed`, { inputs: ['x \u0000bad'] }),
        ...['p', 'q', 'r', 's', 't', 'u'].map((text) => post(`${door.url}/embed`, { inputs: [text] })),
      ]);
      assert.equal(responses[0].status, 422);
      assert.deepEqual(responses.slice(1).map((r) => r.status), [200, 200, 200, 200, 200, 200]);
    });
  });

  test('one instance killed under load: zero client errors', async () => {
    await withCluster(3, { ...DJL_PROFILES.cpu }, {}, async (door, sims) => {
      const killed = sims[1]!;
      let stopped = false;
      const running = loadWhile(door, 32, () => !stopped);
      try {
        // Killed while it holds requests, so some are cut off mid-flight.
        await eventually(() => killed.stats.inFlight > 0, { message: 'the instance to hold requests' });
        killed.crash();
        // The load keeps going until the front door has taken the instance out.
        await eventually(async () => assert.equal(await healthyCpuEndpoints(door), 2), { message: 'the killed instance to be taken out' });
      } finally {
        stopped = true;
      }
      const outcomes = await running;
      assert.ok(outcomes.length >= 32, `served ${outcomes.length}`);
      assert.deepEqual(summary(outcomes), { 200: outcomes.length });
      assert.ok(outcomes.every((o) => o.ok));
      assert.equal(await healthyCpuEndpoints(door), 2, 'the killed instance is out');
    });
  });

  test('one instance answering 20% 503s: zero client errors', async () => {
    await withCluster(3, { ...DJL_PROFILES.cpu }, {}, async (door, sims) => {
      sims[0]!.setFaults({ errorRate: 0.2 });
      const outcomes = await load(door, 32, 20);
      assert.deepEqual(summary(outcomes), { 200: 32 * 20 });
      assert.ok((sims[0]!.stats.errorsByStatus[503] ?? 0) > 0, 'the faulty instance did answer 503s');
    });
  });

  test('all instances down: fast 503s', async () => {
    await withCluster(3, { ...DJL_PROFILES.zero }, {}, async (door, sims) => {
      for (const sim of sims) sim.crash();
      const started = performance.now();
      const responses = await Promise.all(Array.from({ length: 10 }, () => post(`${door.url}/v1/embeddings`, { input: 'x', model: 'm' })));
      const elapsed = performance.now() - started;
      assert.deepEqual(responses.map((r) => r.status), Array(10).fill(503));
      // Fast: refused connections, no waiting for the 20 s upstream timeout (loose bound for busy CI).
      assert.ok(elapsed < 5_000, `answered in ${elapsed.toFixed(0)} ms`);
      assert.ok(responses.every((r) => r.body.error.code === 'backend_unavailable'));
    });
  });

  test('overload: 429 with Retry-After in each dialect, at once, while admitted work completes', async () => {
    // Each batch takes over half a second, so three refusals in a row beat the queued request on a
    // loaded machine too (at the CPU profile's ~110 ms a batch, they raced it).
    const slowBatches = { ...DJL_PROFILES.cpu, workers: 1, baseMs: 500 };
    await withCluster(1, slowBatches, { QUEUE_MAX_TEXTS: '64', CPU_MAX_INFLIGHT: '1' }, async (door) => {
      const texts = (tag: string) => Array.from({ length: 40 }, (_, i) => `${tag} ${i}`);
      const admitted = post(`${door.url}/embed`, { inputs: texts('first') });
      let queuedDoneAt = Number.POSITIVE_INFINITY;
      const queued = post(`${door.url}/embed`, { inputs: texts('second') }).then((response) => {
        queuedDoneAt = performance.now();
        return response;
      });
      await untilQueued(door, 40);
      const openai = await post(`${door.url}/v1/embeddings`, { input: texts('third'), model: 'm' });
      const tei = await post(`${door.url}/embed`, { inputs: texts('third') });
      const djl = await post(`${door.url}/predictions/all_MiniLM_L6_v2`, texts('third'));
      // "At once": refused before the queue ahead of them drained, not after waiting in it.
      assert.ok(performance.now() < queuedDoneAt, 'the 429s came before the queued request was served');
      for (const response of [openai, tei, djl]) {
        assert.equal(response.status, 429);
        assert.ok(Number(response.headers.get('retry-after')) >= 1);
      }
      assert.equal(openai.body.error.type, 'rate_limit_error');
      assert.equal(tei.body.error_type, 'Overloaded');
      assert.equal(djl.body.type, 'WlmCapacityException');
      assert.equal((await admitted).status, 200);
      assert.equal((await queued).status, 200);
    });
  });

  test('a client deadline shorter than the queue wait gets a fast 429, a bad header a 400', async () => {
    // Batches of 32 take about 230 ms, so the backlog below stays queued long enough for its eight
    // requests to arrive on a loaded machine (at the CPU profile's 91 ms it sometimes drained first).
    await withCluster(1, { ...DJL_PROFILES.cpu, workers: 1, baseMs: 150 }, { CPU_MAX_INFLIGHT: '1' }, async (door) => {
      // Teach the front door the instance's speed, then queue ~2 s of work.
      for (let i = 0; i < 3; i++) await post(`${door.url}/embed`, { inputs: Array.from({ length: 32 }, (_, j) => `warm ${i} ${j}`) });
      const backlog = Array.from({ length: 8 }, (_, i) => post(`${door.url}/embed`, { inputs: Array.from({ length: 32 }, (_, j) => `b ${i} ${j}`) }));
      // Three batches waiting: about 700 ms, far past the 100 ms deadline below.
      await untilQueued(door, 3 * 32);
      const hurried = await post(`${door.url}/embed`, { inputs: ['now'] }, { 'x-request-timeout-ms': '100' });
      assert.equal(hurried.status, 429);
      const invalid = await post(`${door.url}/embed`, { inputs: ['now'] }, { 'x-request-timeout-ms': 'soon' });
      assert.equal(invalid.status, 422);
      assert.match(invalid.body.error, /x-request-timeout-ms/);
      assert.deepEqual((await Promise.all(backlog)).map((r) => r.status), Array(8).fill(200));
    });
  });
});
