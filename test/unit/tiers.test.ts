/**
 * The two tiers together on a fake clock: the GPU tier's failures fall back to CPU within the
 * request's budget, a cold endpoint gets no traffic and is probed until warm, and its cold start
 * is timed and counted.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Tier } from '../../shared/core/tier';
import { createDispatchEmbedder } from '../../shared/dispatch/dispatch-embedder';
import { TierDispatcher, type TierPolicy } from '../../shared/dispatch/tier-dispatcher';
import { FrontDoorError } from '../../shared/errors';
import { silentLogger } from '../../shared/logger';
import { noTelemetry } from '../../shared/telemetry/telemetry';
import type { DispatchEvents, OverflowReason } from '../../shared/core/dispatch-events';
import { type EndpointHealth, HealthState, type UpstreamCall } from '../../shared/upstream/upstream';
import { UpstreamError, UpstreamFailure } from '../../shared/upstream/upstream-error';
import { FakeScheduler, settle } from '../helpers/fake-scheduler';
import { fakeVector, FakeUpstream } from '../helpers/fake-upstream';

const POLICY: TierPolicy = {
  batchSize: 64, batchMaxChars: 0, coalesceWindowMs: 0, sendAheadMs: 0, queueMaxTexts: 10_000, tenantMaxTexts: 10_000, queueMaxChars: 1_000_000, upstreamTimeoutMs: 20_000,
  maxAttempts: 3, retryBudgetRatio: 0.2, retryMinPerSecond: 10, maxInFlight: 2,
  ejectAfterFailures: 3, ejectBaseMs: 1_000, ejectMaxMs: 30_000, slowStartMs: 10_000, loadWindowMs: 3_000,
};
const OVERFLOW = { spillWaitMs: 100, resumeWaitMs: 50, holdMs: 3_000, largeRequestTexts: 320, gpuBudgetRatio: 0.5, backendSpillWaitMs: 100 };

class ProbedUpstream extends FakeUpstream {
  pings = 0;
  /** When set, answers pings instead of `health` (a ping that takes time on the fake clock). */
  answerPing: ((timeoutMs: number) => Promise<EndpointHealth>) | undefined;
  override async ping(call?: Omit<UpstreamCall, 'requestId'>): Promise<EndpointHealth> {
    this.pings++;
    return this.answerPing?.(call?.timeoutMs ?? 0) ?? this.health;
  }
}

interface Recorded {
  overflows: [Tier, OverflowReason][];
  coldStarts: [Tier, string, number][];
}

interface SetupOptions {
  readonly cpu?: number;
  readonly gpu?: number;
  readonly healthIntervalMs?: number;
  /** Endpoints whose health is `down` from the start (before the first probe). */
  readonly down?: readonly string[];
  /**
   * Endpoints whose /ping waits its whole time limit, then reports the model loading: the
   * in-process engine while its model loads.
   */
  readonly loading?: readonly string[];
}

function setup(options: SetupOptions = {}) {
  const scheduler = new FakeScheduler();
  const recorded: Recorded = { overflows: [], coldStarts: [] };
  const events: DispatchEvents = {
    ...noTelemetry,
    overflow: (to, reason) => recorded.overflows.push([to, reason]),
    backendColdStart: (tier, endpoint, ms) => recorded.coldStarts.push([tier, endpoint, ms]),
  };
  const make = (tier: Tier, count: number) => {
    const upstreams = Array.from({ length: count }, (_, i) => new ProbedUpstream(`${tier}-${i}`, tier));
    for (const upstream of upstreams) if (options.down?.includes(upstream.id)) upstream.health = { state: HealthState.down };
    for (const upstream of upstreams) {
      if (!options.loading?.includes(upstream.id)) continue;
      upstream.answerPing = (timeoutMs) => new Promise((resolve) => {
        scheduler.setTimer(() => resolve({ state: HealthState.pending, detail: 'loading the model' }), timeoutMs);
      });
    }
    const dispatcher = new TierDispatcher({ tier, upstreams, policy: POLICY, scheduler, random: () => 0.5, logger: silentLogger, events });
    return { upstreams, dispatcher };
  };
  const cpu = make('cpu', options.cpu ?? 1);
  const gpu = make('gpu', options.gpu ?? 1);
  const embedder = createDispatchEmbedder({
    cpu: cpu.dispatcher,
    gpu: gpu.dispatcher,
    scheduler,
    healthIntervalMs: options.healthIntervalMs ?? 0,
    coldProbeIntervalMs: 1_000,
    overflow: OVERFLOW,
    events,
  });
  const texts = (count: number) => Array.from({ length: count }, (_, i) => `t${i}`);
  const embed = (count: number, budgetMs = 10_000) =>
    embedder.embed({ texts: texts(count), requestId: 'r', deadline: scheduler.now() + budgetMs });
  return { scheduler, cpu, gpu, embedder, embed, recorded };
}

const answerAll = (upstream: FakeUpstream) => {
  upstream.auto = (texts) => texts.map(fakeVector);
};

describe('tiers', () => {
  test('a GPU tier that cannot serve falls back to the CPU tier, which answers', async () => {
    const { cpu, gpu, embed, recorded, embedder } = setup();
    answerAll(cpu.upstreams[0] as FakeUpstream);
    (gpu.upstreams[0] as FakeUpstream).auto = () => new UpstreamError(UpstreamFailure.connect, 'refused');
    // 400 texts: a large request, which the (unmeasured) GPU tier gets first.
    const result = await embed(400);
    assert.equal(result.tier, 'cpu');
    assert.equal(result.vectors.length, 400);
    assert.deepEqual(recorded.overflows, [['gpu', 'large_request'], ['cpu', 'fallback']]);
    await embedder.close();
  });

  test('an overflow attempt gets part of the budget, so a hanging GPU tier still leaves the CPU tier time', async () => {
    const { scheduler, cpu, gpu, embed, embedder } = setup();
    answerAll(cpu.upstreams[0] as FakeUpstream);
    const pending = embed(400, 10_000);
    await settle();
    const gpuCall = (gpu.upstreams[0] as FakeUpstream).calls[0];
    assert.ok(gpuCall !== undefined, 'the GPU tier was asked first');
    assert.ok(gpuCall.call.timeoutMs <= 5_000, `GPU call budget ${gpuCall.call.timeoutMs} ms`);
    await scheduler.advance(5_000);
    const result = await pending;
    assert.equal(result.tier, 'cpu');
    await embedder.close();
  });

  test('with no warm CPU endpoint the GPU tier serves with the whole budget', async () => {
    const { scheduler, gpu, embed, embedder, recorded } = setup({ healthIntervalMs: 5_000, down: ['cpu-0'] });
    answerAll(gpu.upstreams[0] as FakeUpstream);
    await scheduler.advance(10);
    const result = await embed(4);
    assert.equal(result.tier, 'gpu');
    assert.equal(result.overflowReason, 'no_warm_endpoint');
    assert.deepEqual(recorded.overflows, [['gpu', 'no_warm_endpoint']]);
    await embedder.close();
  });

  test('a cold endpoint gets no traffic, is probed every second until warm, and its cold start is recorded', async () => {
    const { scheduler, cpu, embed, embedder, recorded } = setup({ cpu: 2, gpu: 0, healthIntervalMs: 5_000, down: ['cpu-1'] });
    const [warm, cold] = cpu.upstreams as [ProbedUpstream, ProbedUpstream];
    answerAll(warm);
    answerAll(cold);
    await scheduler.advance(10);
    assert.equal(embedder.snapshot().tiers.cpu.endpoints[1]?.warmth, 'cold');

    for (let i = 0; i < 20; i++) await embed(4);
    assert.equal(cold.calls.length, 0, 'no client traffic to the cold endpoint');

    await scheduler.advance(10_000);
    // Probed on the short period while cold; the warm one only on the regular one.
    assert.ok(cold.pings >= 10, `cold endpoint probed ${cold.pings} times`);
    assert.ok(warm.pings <= 4, `warm endpoint probed ${warm.pings} times`);

    cold.health = { state: HealthState.pending }; // port bound, model loading
    await scheduler.advance(20_000);
    assert.equal(embedder.snapshot().tiers.cpu.endpoints[1]?.warmth, 'cold');
    cold.health = { state: HealthState.healthy };
    await scheduler.advance(1_000);

    const snapshot = embedder.snapshot().tiers.cpu;
    assert.equal(snapshot.endpoints[1]?.warmth, 'warming');
    assert.equal(snapshot.coldStarts.count, 1);
    // First seen at start-up, first good answer about 31 s later (within one probe period).
    const duration = snapshot.coldStarts.p50Ms ?? 0;
    assert.ok(duration >= 30_000 && duration <= 31_100, `cold start ${duration} ms`);
    assert.deepEqual(recorded.coldStarts.map(([tier, id]) => [tier, id]), [['cpu', 'cpu-1']]);

    for (let i = 0; i < 40; i++) await embed(4);
    assert.ok(cold.calls.length > 0, 'the endpoint takes traffic once warm');
    await scheduler.advance(10_000);
    assert.equal(embedder.snapshot().tiers.cpu.endpoints[1]?.warmth, 'warm');
    await embedder.close();
  });

  test('a lone endpoint that answers a batch after a probe found it loading serves the next request at once', async () => {
    // The in-process engine on a loaded machine: the first request waits for the model while
    // the first /ping gives up at its time limit with "loading", then the batch comes back.
    const { scheduler, cpu, embed, embedder, recorded } = setup({ cpu: 1, gpu: 0, healthIntervalMs: 5_000, loading: ['cpu-0'] });
    const [engine] = cpu.upstreams as [ProbedUpstream];
    const first = embed(2);
    await settle();
    assert.equal(engine.calls.length, 1, 'admitted before any verdict');
    await scheduler.advance(2_000);
    assert.equal(embedder.snapshot().tiers.cpu.endpoints[0]?.warmth, 'cold', 'the probe gave up while the model loaded');

    engine.calls[0]!.resolve();
    assert.equal((await first).vectors.length, 2);
    // No probe has run since; before the fix this was a 503 until the next one.
    engine.answerPing = undefined;
    answerAll(engine);
    const second = await embed(3);
    assert.equal(second.vectors.length, 3);
    assert.equal(embedder.snapshot().tiers.cpu.endpoints[0]?.warmth, 'warming');
    assert.deepEqual(recorded.coldStarts.map(([tier, id]) => [tier, id]), [['cpu', 'cpu-0']]);
    await embedder.close();
  });

  test('a batch answered does not overrule a backend that reports itself unhealthy', async () => {
    const { scheduler, cpu, embed, embedder } = setup({ cpu: 1, gpu: 0, healthIntervalMs: 5_000 });
    const [backend] = cpu.upstreams as [ProbedUpstream];
    const first = embed(2);
    await settle();
    backend.health = { state: HealthState.unhealthy };
    await scheduler.advance(5_000);
    assert.equal(embedder.snapshot().tiers.cpu.endpoints[0]?.warmth, 'unhealthy');
    backend.calls[0]!.resolve();
    await first;
    await assert.rejects(embed(1), (error: unknown) => error instanceof FrontDoorError && error.status === 503);
    await embedder.close();
  });

  test('an endpoint that dies and comes back records a cold start, timed from when it was seen down', async () => {
    const { scheduler, cpu, embedder } = setup({ cpu: 2, gpu: 0, healthIntervalMs: 5_000 });
    const flaky = cpu.upstreams[1] as ProbedUpstream;
    await scheduler.advance(60_000);
    assert.equal(embedder.snapshot().tiers.cpu.coldStarts.count, 0, 'warm from the start: no cold start');
    flaky.health = { state: HealthState.down };
    await scheduler.advance(5_000);
    const downAt = scheduler.now();
    flaky.health = { state: HealthState.healthy };
    await scheduler.advance(2_000);
    const stats = embedder.snapshot().tiers.cpu.coldStarts;
    assert.equal(stats.count, 1);
    assert.ok((stats.p50Ms ?? 0) <= scheduler.now() - downAt + 5_000 && (stats.p50Ms ?? 0) >= 1_000, `cold start ${stats.p50Ms} ms`);
    await embedder.close();
  });
});
