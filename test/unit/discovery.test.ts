/**
 * Discovery bookkeeping on a fake clock: refresh timing with jitter, back-off (harder on
 * throttling), the last known endpoints kept on errors, Lambda-style refresh only when stale, and
 * endpoint ids reused so metric labels stay bounded.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { DiscoveryRefresher } from '../../shared/discovery/discovery-refresher';
import { EndpointIds, EndpointMembership } from '../../shared/discovery/endpoint-membership';
import { type DiscoveredEndpoint, DiscoveryError, type EndpointSource } from '../../shared/discovery/endpoint-source';
import { loadTierDiscovery } from '../../shared/discovery/load-tier-discovery';
import type { TierDiscovery } from '../../shared/discovery/tier-discovery';
import { TierDispatcher } from '../../shared/dispatch/tier-dispatcher';
import { createLogger, silentLogger } from '../../shared/logger';
import { FakeScheduler, settle } from '../helpers/fake-scheduler';
import { FakeUpstream } from '../helpers/fake-upstream';

/** A source the test scripts: each call answers the next scripted list or error. */
class ScriptedSource implements EndpointSource {
  readonly description = 'scripted://test';
  calls: number[] = [];
  answer: DiscoveredEndpoint[] | Error = [];

  constructor(private readonly scheduler: FakeScheduler) {}

  async discover(): Promise<DiscoveredEndpoint[]> {
    this.calls.push(this.scheduler.now());
    if (this.answer instanceof Error) throw this.answer;
    return this.answer;
  }
}

const endpoint = (n: number): DiscoveredEndpoint => ({ key: `task-${n}`, url: `http://10.0.0.${n}:8080/predictions/m` });

function refresher(background: boolean, random = () => 0.5) {
  const scheduler = new FakeScheduler(0);
  const source = new ScriptedSource(scheduler);
  const seen: (readonly DiscoveredEndpoint[])[] = [];
  const subject = new DiscoveryRefresher({
    source, scheduler, random, intervalMs: 10_000, maxBackoffMs: 300_000, background, logger: silentLogger,
    onEndpoints: (endpoints) => seen.push(endpoints),
  });
  return { scheduler, source, seen, subject };
}

describe('discovery refresher', () => {
  test('a server refreshes on timers at the interval, with jitter within ±20%', async () => {
    const { scheduler, source, subject } = refresher(true, () => 1);
    source.answer = [endpoint(1)];
    await subject.ready();
    await scheduler.advance(60_000);
    const gaps = source.calls.slice(1).map((at, i) => at - (source.calls[i] as number));
    assert.ok(gaps.length >= 4);
    for (const gap of gaps) assert.ok(Math.abs(gap - 12_000) < 1e-6, `gap ${gap}`);
    subject.stop();
  });

  test('errors keep the last endpoints and back off, throttling harder, up to the maximum', async () => {
    const { scheduler, source, seen, subject } = refresher(true);
    source.answer = [endpoint(1), endpoint(2)];
    await subject.ready();
    assert.equal(seen.length, 1);
    source.answer = new DiscoveryError('ListTasks failed: ThrottlingException', true);
    await scheduler.advance(10_000);
    const failedAt = source.calls.at(-1) as number;
    await scheduler.advance(39_999);
    assert.equal(source.calls.at(-1), failedAt, 'no call before 4x the interval after a throttle');
    await scheduler.advance(1);
    assert.equal(source.calls.length, 3);
    await scheduler.advance(160_000);
    assert.equal(source.calls.length, 4, 'then 16x');
    assert.equal(seen.length, 1, 'no endpoint list was replaced while failing');
    assert.equal(subject.errors, 3);
    source.answer = [endpoint(3)];
    await scheduler.advance(300_000);
    assert.deepEqual(seen.at(-1), [endpoint(3)]);
    subject.stop();
  });

  test('on Lambda nothing runs on timers; a stale cache starts one background refresh', async () => {
    const { scheduler, source, subject } = refresher(false);
    source.answer = [endpoint(1)];
    await subject.ready();
    await scheduler.advance(60_000);
    assert.equal(source.calls.length, 1, 'no timer-driven refresh');
    subject.refreshIfStale();
    subject.refreshIfStale();
    await settle();
    assert.equal(source.calls.length, 2, 'one refresh however many requests find it stale');
    subject.refreshIfStale();
    await settle();
    assert.equal(source.calls.length, 2, 'fresh again');
  });
});

describe('endpoint membership', () => {
  function membership() {
    const added: string[] = [];
    const removed: string[] = [];
    const ids = new EndpointIds('cpu', 1);
    const subject = new EndpointMembership({
      ids,
      target: {
        addEndpoints: (joining) => void added.push(...joining.map(({ upstream }) => upstream.id)),
        removeEndpoint: (id: string) => removed.push(id),
      },
      createUpstream: (_url, id) => new FakeUpstream(id),
    });
    return { added, removed, subject };
  }

  test('new keys join after the fixed endpoints, missing keys leave, freed ids are reused', () => {
    const { added, removed, subject } = membership();
    assert.deepEqual(subject.update([endpoint(1), endpoint(2)]), { added: 2, removed: 0 });
    assert.deepEqual(added, ['cpu-1', 'cpu-2']);
    assert.deepEqual(subject.update([endpoint(2), endpoint(3)]), { added: 1, removed: 1 });
    assert.deepEqual(removed, ['cpu-1']);
    assert.deepEqual(added, ['cpu-1', 'cpu-2', 'cpu-1'], 'task-3 reuses the id task-1 freed');
    assert.deepEqual(subject.update([endpoint(2), endpoint(3)]), { added: 0, removed: 0 });
  });

  test('a source that knows an endpoint capacity (a Cloud Run service) sizes its batch slots', () => {
    const scheduler = new FakeScheduler(0);
    const tier = new TierDispatcher({
      tier: 'cpu', upstreams: [], scheduler, random: () => 0.5, logger: silentLogger, discovered: true,
      policy: {
        batchSize: 32, batchMaxChars: 0, coalesceWindowMs: 0, sendAheadMs: 0, queueMaxTexts: 100, tenantMaxTexts: 100, queueMaxChars: 1_000_000, upstreamTimeoutMs: 1_000, maxAttempts: 1,
        retryBudgetRatio: 0, retryMinPerSecond: 0, maxInFlight: 2, ejectAfterFailures: 3, ejectBaseMs: 1, ejectMaxMs: 1, slowStartMs: 0, loadWindowMs: 1,
      },
    });
    const subject = new EndpointMembership({ ids: new EndpointIds('cpu', 0), target: tier, createUpstream: (_url, id) => new FakeUpstream(id) });
    subject.update([{ key: 'run-eu', url: 'https://eu.run.app/predictions/m', capacity: 40 }, endpoint(1)]);
    assert.deepEqual(tier.endpoints.map((added) => added.capacity(0)), [40, 2]);
    // Balanced per slot: the same outstanding work is a lighter load on the bigger service.
    for (const added of tier.endpoints) added.begin(10);
    const [service, task] = tier.endpoints;
    assert.ok((service?.load(0) ?? Infinity) < (task?.load(0) ?? 0));
  });

  test('one round joins in one call, so the target decides once for all its newcomers', () => {
    const rounds: string[][] = [];
    const subject = new EndpointMembership({
      ids: new EndpointIds('cpu', 0),
      target: { addEndpoints: (joining) => void rounds.push(joining.map(({ upstream }) => upstream.id)), removeEndpoint: () => {} },
      createUpstream: (_url, id) => new FakeUpstream(id),
    });
    subject.update([endpoint(1), endpoint(2), endpoint(3)]);
    subject.update([endpoint(1), endpoint(2), endpoint(3), endpoint(4)]);
    assert.deepEqual(rounds, [['cpu-0', 'cpu-1', 'cpu-2'], ['cpu-3']]);
  });

  test('an endpoint whose URL changed under the same key is replaced', () => {
    const { added, removed, subject } = membership();
    subject.update([endpoint(1)]);
    subject.update([{ key: 'task-1', url: 'http://10.0.0.9:8080/predictions/m' }]);
    assert.deepEqual(removed, ['cpu-1']);
    assert.deepEqual(added, ['cpu-1', 'cpu-1']);
  });
});

describe('discovery loaded on demand', () => {
  test('builds the real discovery from its module and forwards to it once loaded', async () => {
    const calls: string[] = [];
    const real: TierDiscovery = {
      isReady: true,
      ready: async () => void calls.push('ready'),
      refreshIfStale: () => void calls.push('refresh'),
      errors: 2,
      stop: () => void calls.push('stop'),
    };
    const discovery = loadTierDiscovery((module) => {
      assert.equal(typeof module.createTierDiscovery, 'function');
      assert.equal(typeof module.createEndpointSource, 'function');
      return real;
    }, silentLogger);
    assert.equal(discovery.isReady, false);
    await discovery.ready();
    await settle();
    assert.equal(discovery.isReady, true);
    discovery.refreshIfStale();
    discovery.stop();
    assert.equal(discovery.errors, 2);
    assert.deepEqual(calls, ['ready', 'refresh', 'stop']);
  });

  test('a failed build is logged and counted; discovery is then done with nothing found', async () => {
    const lines: string[] = [];
    const discovery = loadTierDiscovery(() => {
      throw new Error('no SDK');
    }, createLogger('info', (line) => lines.push(line)));
    await discovery.ready();
    assert.equal(discovery.errors, 1);
    assert.match(lines.join('\n'), /"event":"discovery_unavailable".*no SDK/);
    discovery.refreshIfStale();
  });

  test('stopped before the module is in: the real discovery is stopped as soon as it is built', async () => {
    let stopped = 0;
    const discovery = loadTierDiscovery(() => ({ isReady: true, ready: async () => {}, refreshIfStale: () => {}, errors: 0, stop: () => void (stopped += 1) }), silentLogger);
    discovery.stop();
    await discovery.ready();
    assert.equal(stopped, 1);
  });
});
