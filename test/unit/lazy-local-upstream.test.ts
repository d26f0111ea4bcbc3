/**
 * The in-process engine's loader on a fake clock: a failed load (the engine's code, or its model
 * in the workers) is tried again by the first call after a back-off that doubles to a cap, calls
 * during the back-off fail fast with the same error, and shutdown never fails because a load did.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseConfig } from '../../shared/config/config';
import { silentLogger } from '../../shared/logger';
import { ENGINE_RETRY_BASE_MS, ENGINE_RETRY_MAX_MS, createLazyLocalUpstream } from '../../shared/upstream/local/lazy-local-upstream';
import type { LocalUpstream } from '../../shared/upstream/local/local-upstream';
import { type EndpointHealth, HealthState, type Upstream } from '../../shared/upstream/upstream';
import { isUpstreamError, UpstreamError, UpstreamFailure } from '../../shared/upstream/upstream-error';
import { settle } from '../helpers/fake-scheduler';

const CALL = { requestId: 'r', timeoutMs: 1_000 };

/** An engine whose model loads, or fails to load, as the test says. */
class FakeEngine implements LocalUpstream {
  readonly id = 'cpu-0';
  readonly tier = 'cpu' as const;
  readonly dialect = 'local' as const;
  closed = 0;

  constructor(private readonly modelFailure?: Error) {}

  async ready(): Promise<void> {
    if (this.modelFailure !== undefined) throw this.modelFailure;
  }

  async embed(texts: readonly string[]): Promise<number[][]> {
    if (this.modelFailure !== undefined) throw new UpstreamError(UpstreamFailure.connect, 'the model could not be loaded');
    return texts.map((text) => [text.length]);
  }

  async ping(): Promise<EndpointHealth> {
    return { state: this.modelFailure === undefined ? HealthState.healthy : HealthState.failed };
  }

  async close(): Promise<void> {
    this.closed++;
  }
}

/** The loader under test, with a clock the test moves and engines (or failures) handed out in turn. */
function setup(outcomes: (FakeEngine | Error)[], last: FakeEngine | Error = new Error('the engine cannot load')) {
  const clock = { time: 0, now: () => clock.time };
  const builds: (FakeEngine | Error)[] = [];
  const upstream = createLazyLocalUpstream({ source: 'local', dialect: 'local' }, 'cpu-0', 'cpu', parseConfig({}), silentLogger, {
    clock,
    loadEngine: async () => {
      const outcome = outcomes.shift() ?? last;
      builds.push(outcome);
      if (outcome instanceof Error) throw outcome;
      return outcome;
    },
  });
  return { clock, builds, upstream };
}

/** The error a call failed with (the test fails if it succeeded). */
async function failure(upstream: Upstream): Promise<UpstreamError> {
  const error = await upstream.embed(['x'], CALL).then(() => undefined, (caught: unknown) => caught);
  assert.ok(isUpstreamError(error), `an UpstreamError, got ${String(error)}`);
  return error;
}

describe('lazy in-process engine', () => {
  test('a failed load is tried again by the first call after the back-off, which then succeeds', async () => {
    const cause = new Error('Cannot find module onnxruntime-node');
    const { clock, builds, upstream } = setup([cause, new FakeEngine()]);
    const first = await failure(upstream);
    assert.equal(first.reason, UpstreamFailure.connect);
    assert.equal(first.status, 503);
    assert.match(first.message, /in-process engine could not be loaded/);
    assert.equal(first.cause, cause);
    clock.time = ENGINE_RETRY_BASE_MS;
    assert.deepEqual(await upstream.embed(['abc'], CALL), [[3]]);
    assert.equal(builds.length, 2);
    await upstream.close?.();
  });

  test('calls during the back-off fail fast with the same error; the back-off doubles up to its cap', async () => {
    const { clock, builds, upstream } = setup([]);
    const first = await failure(upstream);
    const waits: number[] = [];
    let failedAt = 0;
    while (waits.length < 9) {
      // Find the next attempt: none before the back-off ends, one as soon as it does.
      const expected = Math.min(ENGINE_RETRY_MAX_MS, ENGINE_RETRY_BASE_MS * 2 ** waits.length);
      clock.time = failedAt + expected - 1;
      const early = await failure(upstream);
      assert.equal(builds.length, waits.length + 1, `no attempt ${expected - 1} ms after a failure`);
      assert.equal(early.message, first.message);
      assert.equal(early.reason, first.reason);
      assert.deepEqual(await upstream.ping({ timeoutMs: 1_000 }), { state: HealthState.failed, detail: 'the in-process engine could not be loaded' });
      assert.equal(builds.length, waits.length + 1, 'a probe during the back-off does not load either');
      clock.time = failedAt + expected;
      await failure(upstream);
      assert.equal(builds.length, waits.length + 2, `an attempt ${expected} ms after a failure`);
      waits.push(expected);
      failedAt = clock.time;
    }
    assert.deepEqual(waits, [1_000, 2_000, 4_000, 8_000, 16_000, 32_000, 60_000, 60_000, 60_000]);
  });

  test('an engine whose model fails to load is dropped, and a fresh one is built after the back-off', async () => {
    const broken = new FakeEngine(new Error('model.onnx is missing'));
    const fixed = new FakeEngine();
    const { clock, builds, upstream } = setup([broken, fixed]);
    await failure(upstream);
    await settle();
    assert.equal(broken.closed, 1, 'the failed engine was released');
    const fast = await failure(upstream);
    assert.match(fast.message, /in-process engine could not be loaded/);
    assert.equal((fast.cause as Error).message, 'model.onnx is missing');
    assert.equal(builds.length, 1);
    clock.time = ENGINE_RETRY_BASE_MS;
    assert.deepEqual(await upstream.embed(['ab'], CALL), [[2]]);
    assert.deepEqual(await upstream.ping({ timeoutMs: 1_000 }), { state: HealthState.healthy });
    await upstream.close?.();
    assert.equal(fixed.closed, 1);
  });

  test('close resolves after a failed load, during a load that then fails, and closes a loaded engine', async () => {
    const failed = setup([]);
    await failure(failed.upstream);
    await failed.upstream.close?.();

    let failLoad: (error: Error) => void = () => {};
    const during = createLazyLocalUpstream({ source: 'local', dialect: 'local' }, 'cpu-0', 'cpu', parseConfig({}), silentLogger, {
      loadEngine: () => new Promise<LocalUpstream>((_resolve, reject) => {
        failLoad = reject;
      }),
    });
    const call = during.embed(['x'], CALL).catch((error: unknown) => error);
    const closing = during.close?.();
    failLoad(new Error('worker ran out of memory'));
    await closing;
    assert.ok(isUpstreamError(await call));
    assert.ok(isUpstreamError(await during.embed(['x'], CALL).catch((error: unknown) => error)), 'no load starts after close');

    const engine = new FakeEngine();
    const loaded = setup([engine]);
    await loaded.upstream.embed(['x'], CALL);
    await loaded.upstream.close?.();
    assert.equal(engine.closed, 1);
  });
});
