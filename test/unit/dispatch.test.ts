/** The dispatch engine's core with a fake clock and hand-answered upstreams. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { TierDispatcher, type TierPolicy } from '../../shared/dispatch/tier-dispatcher';
import type { EmbedResult } from '../../shared/embed/embedder';
import { FrontDoorError } from '../../shared/errors';
import { silentLogger } from '../../shared/logger';
import { UpstreamError, UpstreamFailure } from '../../shared/upstream/upstream-error';
import { FakeScheduler, settle } from '../helpers/fake-scheduler';
import { fakeVector, FakeUpstream } from '../helpers/fake-upstream';

const POLICY: TierPolicy = {
  batchSize: 4,
  batchMaxChars: 0,
  coalesceWindowMs: 2,
  sendAheadMs: 0,
  queueMaxTexts: 100,
  tenantMaxTexts: 100,
  queueMaxChars: 1_000_000,
  upstreamTimeoutMs: 5_000,
  maxAttempts: 3,
  retryBudgetRatio: 0.2,
  retryMinPerSecond: 10,
  maxInFlight: 1,
  ejectAfterFailures: 3,
  ejectBaseMs: 1_000,
  ejectMaxMs: 8_000,
  slowStartMs: 0,
  loadWindowMs: 3_000,
};

function setup(endpoints = 1, policy: Partial<TierPolicy> = {}) {
  const scheduler = new FakeScheduler();
  const upstreams = Array.from({ length: endpoints }, (_, index) => new FakeUpstream(`cpu-${index}`));
  let seed = 1;
  const dispatcher = new TierDispatcher({
    tier: 'cpu',
    upstreams,
    policy: { ...POLICY, ...policy },
    scheduler,
    // Deterministic "random" for the balancer.
    random: () => ((seed = (seed * 16807) % 2147483647) / 2147483647),
    logger: silentLogger,
  });
  const embed = (texts: string[], deadlineMs = 10_000) =>
    dispatcher.embed({ texts, requestId: `r-${texts[0]}`, deadline: scheduler.now() + deadlineMs });
  return { scheduler, upstreams, dispatcher, embed };
}

/** Records how a promise settles without letting a rejection go unhandled. */
function track(promise: Promise<EmbedResult>) {
  const state: { result?: EmbedResult; error?: unknown } = {};
  promise.then((result) => (state.result = result), (error: unknown) => (state.error = error));
  return state;
}

const vectorsOf = (texts: string[]) => texts.map(fakeVector);

describe('batching', () => {
  test('requests arriving in the same tick share one batch; each gets its own vectors in order', async () => {
    const { upstreams: [up], embed } = setup(1, { batchSize: 8 });
    const a = track(embed(['a1', 'a22']));
    const b = track(embed(['b333']));
    const c = track(embed(['c4444', 'c55555']));
    await settle();
    assert.equal(up!.calls.length, 1);
    assert.deepEqual(up!.calls[0]!.texts, ['a1', 'a22', 'b333', 'c4444', 'c55555']);
    up!.calls[0]!.resolve();
    await settle();
    assert.deepEqual(a.result?.vectors, vectorsOf(['a1', 'a22']));
    assert.deepEqual(b.result?.vectors, vectorsOf(['b333']));
    assert.deepEqual(c.result?.vectors, vectorsOf(['c4444', 'c55555']));
  });

  test('a large request is split into batches over several endpoints and put back in order', async () => {
    const { upstreams, embed } = setup(3, { batchSize: 4 });
    const texts = Array.from({ length: 10 }, (_, i) => `t${i}`.padEnd(i + 2, 'x'));
    const request = track(embed(texts));
    await settle();
    assert.deepEqual(upstreams.map((up) => up.calls.length), [1, 1, 1]);
    assert.deepEqual(upstreams.flatMap((up) => up.calls[0]!.texts).sort(), [...texts].sort());
    // Answer in reverse order: the result is still in input order.
    for (const up of [...upstreams].reverse()) up.calls[0]!.resolve();
    await settle();
    assert.deepEqual(request.result?.vectors, vectorsOf(texts));
  });

  test('identical texts are embedded once, within and across requests', async () => {
    const { upstreams: [up], embed } = setup(1, { batchSize: 8 });
    const a = track(embed(['same', 'other', 'same']));
    const b = track(embed(['same']));
    await settle();
    assert.deepEqual(up!.calls[0]!.texts, ['same', 'other']);
    up!.calls[0]!.resolve();
    await settle();
    assert.deepEqual(a.result?.vectors, vectorsOf(['same', 'other', 'same']));
    assert.deepEqual(b.result?.vectors, vectorsOf(['same']));
  });

  test('while a batch is in flight, a partial batch waits at most the coalescing window', async () => {
    const { scheduler, upstreams: [up], embed, dispatcher } = setup(1, { batchSize: 4, maxInFlight: 2 });
    // The endpoint has shown a DJL-like cost: 10 ms a batch plus 2 ms a text.
    for (const n of [1, 2, 3, 4]) dispatcher.endpoints[0]!.cost.record(n, 10 + 2 * n);
    track(embed(['f1', 'f2', 'f3', 'f4']));
    await settle();
    assert.equal(up!.calls.length, 1, 'an idle tier sends at once');
    // Five texts outstanding over two slots, one batch kept in reserve: a share is two
    // (5 / 3, and the fair share 3 is more), so the one queued text waits.
    track(embed(['second']));
    await settle();
    assert.equal(up!.calls.length, 1, 'the second waits for company');
    await scheduler.advance(1);
    assert.equal(up!.calls.length, 1);
    await scheduler.advance(1);
    assert.equal(up!.calls.length, 2, 'sent when the window closes');
    assert.deepEqual(up!.calls[1]!.texts, ['second']);
  });

  test('under load a batch takes its share and leaves the rest queued for the next free slot', async () => {
    const { upstreams: [up], embed, dispatcher } = setup(1, { batchSize: 8, maxInFlight: 2, coalesceWindowMs: 5 });
    for (const n of [1, 4, 8]) dispatcher.endpoints[0]!.cost.record(n, 10 + 2 * n);
    // A closed loop of 9 one-text clients over two slots: 9 / (2 + 1) is a share of 3.
    const first = Array.from({ length: 6 }, (_, i) => track(embed([`a${i}`])));
    await settle();
    assert.deepEqual(up!.calls.map((call) => call.texts.length), [6], 'an idle tier sends everything at once');
    for (let i = 0; i < 3; i++) track(embed([`b${i}`]));
    await settle();
    assert.deepEqual(up!.calls.map((call) => call.texts.length), [6, 3], 'the share is there: sent at once');
    up!.calls[0]!.resolve();
    await settle();
    assert.ok(first.every((state) => state.result !== undefined));
    // The six answered clients come back; the freed slot takes a share of three, not all six.
    for (let i = 0; i < 6; i++) track(embed([`c${i}`]));
    await settle();
    assert.deepEqual(up!.calls.map((call) => call.texts.length), [6, 3, 3]);
    assert.equal(dispatcher.queuedTexts, 3, 'one batch waits in reserve for the next free slot');
    up!.calls[1]!.resolve();
    await settle();
    assert.deepEqual(up!.calls.map((call) => call.texts.length), [6, 3, 3, 3], 'and goes the moment one frees');
  });

  test('no waiting for company when batches have no fixed cost to share', async () => {
    const { upstreams: [up], embed, dispatcher } = setup(1, { batchSize: 4, maxInFlight: 2 });
    for (const n of [1, 2, 3, 4]) dispatcher.endpoints[0]!.cost.record(n, 0.05 * n);
    track(embed(['first', 'f2', 'f3', 'f4']));
    await settle();
    track(embed(['second']));
    await settle();
    assert.equal(up!.calls.length, 2, 'sent as soon as a slot was free');
  });

  test('a character budget closes a batch early', async () => {
    const { upstreams: [up], embed } = setup(1, { batchSize: 10, batchMaxChars: 10, maxInFlight: 3 });
    track(embed(['aaaa', 'bbbb', 'cccc', 'dddddddddddddddd']));
    await settle();
    assert.deepEqual(up!.calls.map((call) => call.texts), [['aaaa', 'bbbb'], ['cccc'], ['dddddddddddddddd']]);
  });
});

describe('sending ahead', () => {
  /** One endpoint of one slot whose cost model reads 10 ms a batch plus 2 ms a text. */
  function measured(policy: Partial<TierPolicy> = {}) {
    const context = setup(1, { batchSize: 4, maxInFlight: 1, sendAheadMs: 2, ...policy });
    for (const n of [1, 2, 3, 4]) context.dispatcher.endpoints[0]!.cost.record(n, 10 + 2 * n);
    return context;
  }

  test('a full endpoint takes one batch more when its batch is predicted to end within the lead', async () => {
    const { scheduler, upstreams: [up], embed, dispatcher } = measured();
    const first = track(embed(['a1', 'a2', 'a3', 'a4']));
    await settle();
    // Predicted back 18 ms from now (10 + 2 x 4): the next batch may go from 16 ms.
    track(embed(['b1']));
    await scheduler.advance(15);
    assert.equal(up!.calls.length, 1, 'too early: the queue stays in the front door');
    await scheduler.advance(1);
    assert.deepEqual(up!.calls.map((call) => call.texts), [['a1', 'a2', 'a3', 'a4'], ['b1']], 'sent ahead, to wait in the backend\'s queue');
    track(embed(['c1']));
    await scheduler.advance(1);
    assert.equal(up!.calls.length, 2, 'one batch ahead at most');
    up!.calls[0]!.resolve();
    await settle();
    assert.ok(first.result !== undefined);
    // The batch ahead now holds the slot: predicted to start at 18 ms and to end 12 ms later.
    assert.equal(dispatcher.endpoints[0]!.inFlight, 1);
    await scheduler.advance(10);
    assert.equal(up!.calls.length, 2);
    await scheduler.advance(1);
    assert.deepEqual(up!.calls[2]?.texts, ['c1'], 'the next goes ahead of it in turn');
  });

  test('nothing goes ahead of a batch later than its prediction, before it is measured, of a backend without a fixed cost, or when turned off', async () => {
    const late = measured();
    track(late.embed(['a1', 'a2', 'a3', 'a4']));
    await settle();
    await late.scheduler.advance(21);
    track(late.embed(['b1']));
    await late.scheduler.advance(5);
    assert.equal(late.upstreams[0]!.calls.length, 1, '3 ms past its predicted end: the backend is slower than its model');

    const unmeasured = setup(1, { batchSize: 4, maxInFlight: 1, sendAheadMs: 2 });
    track(unmeasured.embed(['a1']));
    await settle();
    track(unmeasured.embed(['b1']));
    await unmeasured.scheduler.advance(100);
    assert.equal(unmeasured.upstreams[0]!.calls.length, 1, 'no prediction without a cost model');

    const cheap = setup(1, { batchSize: 4, maxInFlight: 1, sendAheadMs: 2 });
    for (const n of [1, 2, 3, 4]) cheap.dispatcher.endpoints[0]!.cost.record(n, 1 + 2 * n);
    track(cheap.embed(['a1', 'a2', 'a3', 'a4']));
    await settle();
    track(cheap.embed(['b1']));
    await cheap.scheduler.advance(8);
    assert.equal(cheap.upstreams[0]!.calls.length, 1, 'a fixed cost of 1 ms, under the 2 ms window: nothing to share');

    for (const off of [measured({ sendAheadMs: 0 }), measured({ coalesceWindowMs: 0 })]) {
      track(off.embed(['a1', 'a2', 'a3', 'a4']));
      await settle();
      track(off.embed(['b1']));
      await off.scheduler.advance(17);
      assert.equal(off.upstreams[0]!.calls.length, 1, 'SEND_AHEAD_MS=0, or COALESCE_WINDOW_MS=0');
    }
  });

  test('an endpoint paid per call (a Lambda function) never takes a batch ahead', async () => {
    const { scheduler, upstreams: [up], embed } = measured();
    Object.assign(up!, { payPerCall: true });
    track(embed(['a1', 'a2', 'a3', 'a4']));
    await settle();
    track(embed(['b1']));
    await scheduler.advance(17);
    assert.equal(up!.calls.length, 1);
  });

  test('the cost model learns from when a batch sent ahead could start, not from when it was sent', async () => {
    const { scheduler, upstreams: [up], embed, dispatcher } = measured();
    track(embed(['a1', 'a2', 'a3', 'a4']));
    await settle();
    track(embed(['b1', 'b2', 'b3', 'b4']));
    await scheduler.advance(16);
    assert.equal(up!.calls.length, 2);
    await scheduler.advance(2);
    up!.calls[0]!.resolve();
    await scheduler.advance(18);
    up!.calls[1]!.resolve();
    await settle();
    // Both took 18 ms of backend time: the second's 2 ms in the backend's queue are not counted.
    const model = dispatcher.endpoints[0]!.cost.estimate()!;
    assert.ok(Math.abs(model.baseMs + 4 * model.perItemMs - 18) < 0.01, `predicts ${model.baseMs + 4 * model.perItemMs} ms for 4 texts`);
  });
});

describe('failures', () => {
  test('one bad text is isolated: its request fails with 400 naming it, the others succeed', async () => {
    const { upstreams: [up], embed } = setup(1, { batchSize: 8, maxInFlight: 4 });
    up!.auto = (texts) => texts.includes('bad')
      ? new UpstreamError(UpstreamFailure.status, 'the backend answered 400 TranslateException', { upstreamStatus: 400, upstreamType: 'TranslateException' })
      : texts.map(fakeVector);
    const good = track(embed(['g1', 'g2']));
    const bad = track(embed(['ok', 'bad', 'fine']));
    const other = track(embed(['g3']));
    await settle();
    await settle();
    assert.deepEqual(good.result?.vectors, vectorsOf(['g1', 'g2']));
    assert.deepEqual(other.result?.vectors, vectorsOf(['g3']));
    assert.ok(bad.error instanceof FrontDoorError);
    assert.equal(bad.error.status, 400);
    assert.equal(bad.error.code, 'input_rejected');
    assert.match(bad.error.message, /index 1 \(400 TranslateException\)/);
  });

  test('a failed batch is retried on another endpoint; a refused connection ejects at once', async () => {
    const { scheduler, upstreams: [a, b], embed, dispatcher } = setup(2);
    const refused = new UpstreamError(UpstreamFailure.connect, 'could not connect (ECONNREFUSED)');
    a!.auto = () => refused;
    b!.auto = (texts) => texts.map(fakeVector);
    const results = [track(embed(['x'])), track(embed(['y'])), track(embed(['z']))];
    await scheduler.advance(10);
    for (const result of results) assert.ok(result.result, String(result.error));
    assert.equal(dispatcher.endpoints[0]!.status(scheduler.now()), 'ejected');
    assert.ok(dispatcher.counters.retries >= 1);
    assert.equal(a!.calls.length, 1, 'no more traffic to the ejected endpoint');
  });

  test('an answer past its size cap is a bad answer: retried on another endpoint like one, never as a reset', async () => {
    const { scheduler, upstreams: [a, b], embed, dispatcher } = setup(2);
    const tooLarge = new UpstreamError(UpstreamFailure.tooLarge, 'the answer passed its cap');
    assert.equal(tooLarge.isRetryable, false, 'not a connection failure');
    a!.auto = () => tooLarge;
    b!.auto = (texts) => texts.map(fakeVector);
    const results = [track(embed(['x'])), track(embed(['y'])), track(embed(['z']))];
    await scheduler.advance(10);
    for (const result of results) assert.ok(result.result, String(result.error));
    assert.ok(a!.calls.length >= 1, 'the oversized endpoint was asked');
    assert.ok(dispatcher.counters.retries >= 1, 'the bad answer was retried elsewhere');
  });

  test('an answer past its size cap from every endpoint: 502 backend_response_too_large after maxAttempts', async () => {
    const { scheduler, upstreams: [a], embed } = setup(1);
    a!.auto = () => new UpstreamError(UpstreamFailure.tooLarge, 'the answer passed its cap');
    const result = track(embed(['x']));
    await scheduler.advance(100);
    assert.ok(result.error instanceof UpstreamError, String(result.error));
    assert.equal(result.error.status, 502);
    assert.equal(result.error.code, 'backend_response_too_large');
    assert.ok(a!.calls.length <= POLICY.maxAttempts, `asked ${a!.calls.length} times`);
  });

  test('ejection backs off exponentially while failing, and never ejects the last endpoint', async () => {
    const { scheduler, upstreams: [a, b], embed, dispatcher } = setup(2, { ejectAfterFailures: 1, maxAttempts: 1 });
    const down = new UpstreamError(UpstreamFailure.connect, 'refused');
    a!.auto = () => down;
    b!.auto = () => down;
    const first = track(embed(['1']));
    await scheduler.advance(0);
    assert.ok(first.error);
    const [ea, eb] = dispatcher.endpoints as [typeof dispatcher.endpoints[0] & object, typeof dispatcher.endpoints[0] & object];
    const ejectedCount = () => [ea, eb].filter((e) => e.status(scheduler.now()) === 'ejected').length;
    assert.equal(ejectedCount(), 1, 'one ejected, the other kept: never all at once');
    const ejected = ea.status(scheduler.now()) === 'ejected' ? ea : eb;
    assert.equal(ejected.ejectedUntil - scheduler.now(), 1_000);
    // Back after 1 s, fails again: 2 s this time, then 4 s.
    await scheduler.advance(1_000);
    b!.auto = (texts) => texts.map(fakeVector);
    a!.auto = () => down;
    for (const backoff of [2_000, 4_000]) {
      const other = ea === ejected ? eb : ea;
      other.inFlight = 1; // busy: the next batch goes to the recovered endpoint
      track(embed([`again-${backoff}`]));
      await scheduler.advance(0);
      other.inFlight = 0;
      assert.equal(ejected.ejectedUntil - scheduler.now(), backoff);
      await scheduler.advance(backoff);
    }
  });

  test('a recovered endpoint ramps up over the slow-start period', () => {
    const { scheduler, dispatcher } = setup(1, { maxInFlight: 10, slowStartMs: 10_000 });
    const endpoint = dispatcher.endpoints[0]!;
    endpoint.eject(scheduler.now());
    const back = endpoint.ejectedUntil;
    assert.equal(endpoint.capacity(back), 1);
    assert.equal(endpoint.capacity(back + 5_000), 5);
    assert.equal(endpoint.capacity(back + 10_000), 10);
  });

  test('the retry budget stops retry storms: at most ~20% extra plus a small floor', async () => {
    const { scheduler, upstreams: [a, b], embed, dispatcher } = setup(2, { ejectAfterFailures: 1_000, retryMinPerSecond: 1, maxInFlight: 100 });
    const overloaded = new UpstreamError(UpstreamFailure.overloaded, '503', { upstreamStatus: 503 });
    a!.auto = () => overloaded;
    b!.auto = () => overloaded;
    const results = Array.from({ length: 100 }, (_, i) => track(embed([`t${i}`])));
    await scheduler.advance(0);
    for (let i = 0; i < 20; i++) await scheduler.advance(5);
    assert.equal(results.filter((r) => r.error).length, 100);
    const calls = a!.calls.length + b!.calls.length;
    assert.ok(dispatcher.counters.retries <= 1 + Math.ceil(0.2 * dispatcher.counters.batches), `retries ${dispatcher.counters.retries}`);
    assert.ok(calls < 150, `calls ${calls} stay near the first attempts`);
  });

  test('the request deadline fails a queued request with 504 and drops its texts before dispatch', async () => {
    const { scheduler, upstreams: [up], embed } = setup(1);
    track(embed(['busy']));
    await settle();
    const late = track(embed(['late'], 50));
    await scheduler.advance(50);
    assert.ok(late.error instanceof FrontDoorError);
    assert.equal(late.error.status, 504);
    up!.calls[0]!.resolve();
    await scheduler.advance(10);
    assert.equal(up!.calls.length, 1, 'the expired text was never sent');
  });

  test('no serving endpoint: a fast 503 with Retry-After', async () => {
    const { scheduler, embed, dispatcher } = setup(2);
    for (const endpoint of dispatcher.endpoints) endpoint.ejectedUntil = scheduler.now() + 3_000;
    assert.throws(() => embed(['x']), (error: unknown) => {
      assert.ok(error instanceof FrontDoorError);
      assert.equal(error.status, 503);
      assert.equal(error.retryAfterSeconds, 3);
      return true;
    });
  });
});

describe('backpressure', () => {
  test('a full queue answers 429 with Retry-After at once', async () => {
    const { embed } = setup(1, { queueMaxTexts: 5 });
    track(embed(['in flight']));
    await settle();
    track(embed(['a', 'b', 'c']));
    assert.throws(() => embed(['d', 'e', 'f']), (error: unknown) => {
      assert.ok(error instanceof FrontDoorError);
      assert.equal(error.status, 429);
      assert.equal(error.code, 'overloaded');
      assert.ok((error.retryAfterSeconds ?? 0) >= 1);
      return true;
    });
  });

  test('the queue\'s characters are bounded too: long texts fill it before their count does', async () => {
    const { embed, dispatcher } = setup(1, { queueMaxTexts: 100, queueMaxChars: 3_000 });
    track(embed(['in flight']));
    await settle();
    track(embed(['a'.repeat(1_000), 'b'.repeat(1_000)]));
    assert.equal(dispatcher.queuedChars, 2_000);
    assert.throws(() => embed(['c'.repeat(600), 'd'.repeat(600)]), (error: unknown) =>
      error instanceof FrontDoorError && error.status === 429 && /queue is full \(2 texts, 2000 characters waiting\)/.test(error.message));
    assert.doesNotThrow(() => track(embed(['e'.repeat(1_000)])));
    assert.equal(dispatcher.queuedChars, 3_000);
  });

  test('work that cannot finish before its deadline is refused with 429, from the measured speed', async () => {
    const { scheduler, upstreams: [up], embed, dispatcher } = setup(1, { batchSize: 10 });
    // Teach the endpoint its speed: 100 ms per batch of 10.
    for (let i = 0; i < 3; i++) {
      const r = track(embed(Array.from({ length: 10 }, (_, j) => `warm-${i}-${j}`)));
      await settle();
      await scheduler.advance(100);
      up!.calls.at(-1)!.resolve();
      await settle();
      assert.ok(r.result);
    }
    track(embed(['busy']));
    await settle();
    for (let i = 0; i < 5; i++) track(embed(Array.from({ length: 10 }, (_, j) => `q-${i}-${j}`)));
    const wait = dispatcher.estimatedWaitMs(10) ?? 0;
    assert.ok(wait >= 500 && wait <= 700, `~600 ms of queued work, estimated ${wait}`);
    assert.throws(() => embed(['hurry'], 200), (error: unknown) => error instanceof FrontDoorError && error.status === 429);
    assert.doesNotThrow(() => track(embed(['patient'], 5_000)));
  });
});

describe('fair share across API keys', () => {
  const embedAs = (dispatcher: TierDispatcher, scheduler: FakeScheduler, tenant: string | undefined, texts: string[], deadlineMs = 10_000) =>
    dispatcher.embed({ texts, requestId: `r-${texts[0]}`, deadline: scheduler.now() + deadlineMs, ...(tenant === undefined ? {} : { tenant }) });

  test('batches take texts round-robin across keys, in arrival order within a key', async () => {
    const { scheduler, upstreams: [up], dispatcher } = setup(1, { batchSize: 4 });
    track(embedAs(dispatcher, scheduler, 'flood', ['busy']));
    await settle();
    const flood = Array.from({ length: 5 }, (_, i) => track(embedAs(dispatcher, scheduler, 'flood', [`f${i}a`, `f${i}b`, `f${i}c`, `f${i}d`])));
    const victim = track(embedAs(dispatcher, scheduler, 'victim', ['v1', 'v2']));
    const anonymous = track(embedAs(dispatcher, scheduler, undefined, ['n1']));
    up!.calls[0]!.resolve();
    await settle();
    // The key that arrived last with nothing waiting is served first, then one text a key a turn.
    assert.deepEqual(up!.calls[1]!.texts, ['n1', 'v1', 'f0a', 'v2']);
    up!.calls[1]!.resolve();
    await settle();
    assert.ok(victim.result && anonymous.result, 'the light clients are answered by the first batch after the one in flight');
    assert.deepEqual(up!.calls[2]!.texts, ['f0b', 'f0c', 'f0d', 'f1a']);
    assert.equal(flood.filter((request) => request.result !== undefined).length, 0);
  });

  test('clients without a key share one turn', async () => {
    const { scheduler, upstreams: [up], dispatcher } = setup(1, { batchSize: 4 });
    track(embedAs(dispatcher, scheduler, undefined, ['busy']));
    await settle();
    track(embedAs(dispatcher, scheduler, undefined, ['a1', 'a2', 'a3']));
    track(embedAs(dispatcher, scheduler, undefined, ['b1']));
    track(embedAs(dispatcher, scheduler, 'key', ['k1', 'k2']));
    up!.calls[0]!.resolve();
    await settle();
    assert.deepEqual(up!.calls[1]!.texts, ['k1', 'a1', 'k2', 'a2']);
  });

  test('the deadline check counts only the work served before the key\'s own texts', async () => {
    const { scheduler, upstreams: [up], dispatcher } = setup(1, { batchSize: 10, queueMaxTexts: 1_000, tenantMaxTexts: 1_000 });
    for (let i = 0; i < 3; i++) {
      const r = track(embedAs(dispatcher, scheduler, 'flood', Array.from({ length: 10 }, (_, j) => `warm-${i}-${j}`)));
      await settle();
      await scheduler.advance(100);
      up!.calls.at(-1)!.resolve();
      await settle();
      assert.ok(r.result);
    }
    track(embedAs(dispatcher, scheduler, 'flood', ['busy']));
    await settle();
    for (let i = 0; i < 20; i++) track(embedAs(dispatcher, scheduler, 'flood', Array.from({ length: 10 }, (_, j) => `q-${i}-${j}`)));
    // 200 texts queued: about 2 s for the flood, about 20 ms of it before another key's one text.
    assert.throws(() => embedAs(dispatcher, scheduler, 'flood', ['more'], 1_000), (error: unknown) =>
      error instanceof FrontDoorError && error.status === 429);
    assert.doesNotThrow(() => track(embedAs(dispatcher, scheduler, 'victim', ['one'], 1_000)));
    const wait = dispatcher.estimatedWaitMs(1, scheduler.now(), 'other') ?? Infinity;
    assert.ok(wait < 100, `another key waits for about two texts of the flood, estimated ${wait} ms`);
  });

  test('a full queue sheds the largest holder\'s newest request for a key holding less, with a 429', async () => {
    const { scheduler, upstreams: [up], dispatcher } = setup(1, { batchSize: 4, queueMaxTexts: 12, tenantMaxTexts: 12 });
    track(embedAs(dispatcher, scheduler, 'flood', ['busy']));
    await settle();
    const flood = [0, 1, 2].map((i) => track(embedAs(dispatcher, scheduler, 'flood', [`f${i}a`, `f${i}b`, `f${i}c`, `f${i}d`])));
    // The queue is full: the flood itself is refused, not shed for.
    assert.throws(() => embedAs(dispatcher, scheduler, 'flood', ['x']), (error: unknown) =>
      error instanceof FrontDoorError && error.status === 429 && /queue is full/.test(error.message));
    const victim = track(embedAs(dispatcher, scheduler, 'victim', ['v1', 'v2']));
    await settle();
    assert.ok(flood[2]!.error instanceof FrontDoorError, 'the flood\'s newest request gave way');
    assert.equal(flood[2]!.error.status, 429);
    assert.match(flood[2]!.error.message, /gave way to other clients' work/);
    assert.equal(flood[0]!.error, undefined);
    assert.equal(flood[1]!.error, undefined);
    assert.equal(dispatcher.queuedTexts, 10);
    assert.equal(dispatcher.counters.rejectedOverload, 2);
    for (let i = 0; i < 4; i++) {
      up!.calls.at(-1)!.resolve();
      await settle();
    }
    assert.deepEqual(victim.result?.vectors, vectorsOf(['v1', 'v2']));
    assert.ok(flood[0]!.result && flood[1]!.result);
  });

  test('a key over QUEUE_MAX_TEXTS_PER_KEY is refused while another key is admitted', async () => {
    const { scheduler, dispatcher } = setup(1, { batchSize: 4, queueMaxTexts: 100, tenantMaxTexts: 8 });
    track(embedAs(dispatcher, scheduler, 'flood', ['busy']));
    await settle();
    track(embedAs(dispatcher, scheduler, 'flood', ['a', 'b', 'c', 'd', 'e', 'f']));
    assert.throws(() => embedAs(dispatcher, scheduler, 'flood', ['g', 'h', 'i']), (error: unknown) => {
      assert.ok(error instanceof FrontDoorError);
      assert.equal(error.status, 429);
      assert.match(error.message, /this API key already has 6 texts waiting .* at most 8 may wait per key \(QUEUE_MAX_TEXTS_PER_KEY\)/);
      return true;
    });
    assert.doesNotThrow(() => track(embedAs(dispatcher, scheduler, 'other', ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'])));
    // A key with nothing waiting may send one request above its quota.
    assert.doesNotThrow(() => track(embedAs(dispatcher, scheduler, 'third', Array.from({ length: 12 }, (_, i) => `t${i}`))));
  });
});
