/** The scaling signal in a tier's snapshot (backlog, serving endpoints, estimated wait), on a fake clock. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { TierDispatcher, type TierPolicy } from '../../shared/dispatch/tier-dispatcher';
import type { EmbedResult } from '../../shared/embed/embedder';
import { silentLogger } from '../../shared/logger';
import { UpstreamError, UpstreamFailure } from '../../shared/upstream/upstream-error';
import { FakeScheduler, settle } from '../helpers/fake-scheduler';
import { FakeUpstream } from '../helpers/fake-upstream';

const POLICY: TierPolicy = {
  batchSize: 4,
  batchMaxChars: 0,
  coalesceWindowMs: 0,
  sendAheadMs: 0,
  queueMaxTexts: 1_000,
  tenantMaxTexts: 1_000,
  queueMaxChars: 1_000_000,
  upstreamTimeoutMs: 5_000,
  maxAttempts: 3,
  retryBudgetRatio: 0.2,
  retryMinPerSecond: 10,
  maxInFlight: 1,
  ejectAfterFailures: 1,
  ejectBaseMs: 1_000,
  ejectMaxMs: 8_000,
  slowStartMs: 0,
  loadWindowMs: 3_000,
};

function setup(endpoints: number) {
  const scheduler = new FakeScheduler();
  const upstreams = Array.from({ length: endpoints }, (_, index) => new FakeUpstream(`cpu-${index}`));
  const dispatcher = new TierDispatcher({ tier: 'cpu', upstreams, policy: POLICY, scheduler, random: () => 0.5, logger: silentLogger });
  const results: Promise<EmbedResult>[] = [];
  const embed = (texts: string[]): void => {
    const result = dispatcher.embed({ texts, requestId: `r-${texts[0]}`, deadline: scheduler.now() + 60_000 });
    result.catch(() => {});
    results.push(result);
  };
  return { scheduler, upstreams, dispatcher, embed };
}

const texts = (prefix: string, count: number): string[] => Array.from({ length: count }, (_, i) => `${prefix}-${i}`);

describe('scaling signal', () => {
  test('an idle tier: no backlog, every endpoint serving, no wait', () => {
    const { dispatcher } = setup(2);
    const snapshot = dispatcher.snapshot();
    assert.equal(snapshot.backlogTexts, 0);
    assert.equal(snapshot.servingEndpoints, 2);
    assert.equal(snapshot.estimatedWaitSeconds, 0);
  });

  test('backlog counts queued texts and texts in batches in flight, and falls as batches come back', async () => {
    const { upstreams: [up], dispatcher, embed } = setup(1);
    embed(texts('a', 4));
    embed(texts('b', 6));
    await settle();
    // One batch of 4 out (the endpoint holds one at a time), 6 waiting.
    assert.equal(up!.calls.length, 1);
    assert.equal(dispatcher.queuedTexts, 6);
    assert.equal(dispatcher.snapshot().backlogTexts, 10);

    up!.calls[0]!.resolve();
    await settle();
    assert.equal(dispatcher.snapshot().backlogTexts, 6, 'the next batch of 4 in flight, 2 queued');
    up!.calls[1]!.resolve();
    await settle();
    up!.calls[2]!.resolve();
    await settle();
    assert.equal(dispatcher.snapshot().backlogTexts, 0);
  });

  test('the wait is unknown before the endpoint is measured, then the queue over its measured speed', async () => {
    const { scheduler, upstreams: [up], dispatcher, embed } = setup(1);
    embed(texts('first', 4));
    embed(texts('queued', 4));
    await settle();
    assert.equal(dispatcher.snapshot().estimatedWaitSeconds, undefined, 'nothing measured yet, 4 texts queued');

    // Batches of 4 take 200 ms: 20 texts a second.
    await scheduler.advance(200);
    up!.calls[0]!.resolve();
    await settle();
    embed(texts('more', 8));
    await settle();
    // 4 in flight, 8 queued: the queue drains in 8 / 20 = 0.4 s.
    const snapshot = dispatcher.snapshot();
    assert.equal(snapshot.backlogTexts, 12);
    assert.ok(snapshot.estimatedWaitSeconds !== undefined && Math.abs(snapshot.estimatedWaitSeconds - 0.4) < 1e-9,
      `0.4 s of queued work, estimated ${snapshot.estimatedWaitSeconds}`);
    assert.equal(snapshot.estimatedWaitSeconds * 1000, dispatcher.estimatedWaitMs(0), 'the estimate admission control uses');
  });

  test('serving endpoints drop while one is ejected and come back when its ejection ends', async () => {
    const { scheduler, upstreams: [first, second], dispatcher, embed } = setup(2);
    embed(texts('x', 8));
    await settle();
    assert.equal(dispatcher.snapshot().servingEndpoints, 2);
    first!.calls[0]!.reject(new UpstreamError(UpstreamFailure.connect, 'refused'));
    await settle();
    const during = dispatcher.snapshot();
    assert.equal(during.servingEndpoints, 1);
    assert.equal(during.endpoints.length, 2, 'the ejected endpoint is still listed');
    assert.equal(during.backlogTexts, 8, 'the failed batch is queued again, none lost from the backlog');
    second!.calls[0]!.resolve();
    await scheduler.advance(POLICY.ejectBaseMs);
    assert.equal(dispatcher.snapshot().servingEndpoints, 2);
  });
});
