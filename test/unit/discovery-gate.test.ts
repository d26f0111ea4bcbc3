/**
 * The first-discovery gate on a fake clock, with the real dispatcher and health checker: the
 * endpoints one discovery round finds (all of them in the first) take traffic together while
 * their first probes are still out, so a cold start's waiting burst is not packed onto the
 * first-listed task; a newcomer to a tier that already serves waits for its first good probe.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { EndpointIds, EndpointMembership } from '../../shared/discovery/endpoint-membership';
import type { DiscoveredEndpoint } from '../../shared/discovery/endpoint-source';
import { createDispatchEmbedder } from '../../shared/dispatch/dispatch-embedder';
import { EndpointStatus } from '../../shared/dispatch/endpoint';
import { TierDispatcher, type TierPolicy } from '../../shared/dispatch/tier-dispatcher';
import { silentLogger } from '../../shared/logger';
import { type EndpointHealth, HealthState } from '../../shared/upstream/upstream';
import { FakeScheduler, settle } from '../helpers/fake-scheduler';
import { fakeVector, FakeUpstream } from '../helpers/fake-upstream';

// One text per batch and one batch per endpoint: where each text goes shows which endpoints serve.
const POLICY: TierPolicy = {
  batchSize: 1, batchMaxChars: 0, coalesceWindowMs: 0, sendAheadMs: 0, queueMaxTexts: 1_000, tenantMaxTexts: 1_000, queueMaxChars: 1_000_000, upstreamTimeoutMs: 20_000,
  maxAttempts: 1, retryBudgetRatio: 0, retryMinPerSecond: 0, maxInFlight: 1,
  ejectAfterFailures: 3, ejectBaseMs: 1_000, ejectMaxMs: 30_000, slowStartMs: 0, loadWindowMs: 3_000,
};
const OVERFLOW = { spillWaitMs: 100, resumeWaitMs: 50, holdMs: 3_000, largeRequestTexts: 320, gpuBudgetRatio: 0.5, backendSpillWaitMs: 100 };

/** Answers batches at once; its probes stay out until the test answers them. */
class HeldProbeUpstream extends FakeUpstream {
  private readonly probes: ((health: EndpointHealth) => void)[] = [];

  override ping(): Promise<EndpointHealth> {
    return new Promise((resolve) => this.probes.push(resolve));
  }

  get probesOut(): number {
    return this.probes.length;
  }

  answerProbes(state: HealthState): void {
    for (const resolve of this.probes.splice(0)) resolve({ state });
  }
}

const task = (n: number): DiscoveredEndpoint => ({ key: `task-${n}`, url: `http://10.0.0.${n}:8080/predictions/m` });

function setup() {
  const scheduler = new FakeScheduler(0);
  const upstreams = new Map<string, HeldProbeUpstream>();
  const tier = (name: 'cpu' | 'gpu', discovered: boolean) =>
    new TierDispatcher({ tier: name, upstreams: [], policy: POLICY, scheduler, random: () => 0.5, logger: silentLogger, discovered });
  const cpu = tier('cpu', true);
  // An active checker listening, as on a server: the case where newcomers are held back.
  const embedder = createDispatchEmbedder({ cpu, gpu: tier('gpu', false), scheduler, healthIntervalMs: 5_000, coldProbeIntervalMs: 1_000, overflow: OVERFLOW });
  const membership = new EndpointMembership({
    ids: new EndpointIds('cpu', 0),
    target: cpu,
    createUpstream: (_url, id) => {
      const upstream = new HeldProbeUpstream(id);
      upstream.auto = (texts) => texts.map(fakeVector);
      upstreams.set(id, upstream);
      return upstream;
    },
  });
  const upstream = (id: string) => upstreams.get(id) as HeldProbeUpstream;
  const statuses = () => cpu.endpoints.map((endpoint) => endpoint.status(scheduler.now()));
  /** Ids of the endpoints that got each text of a request of `count` one-text batches. */
  const spread = async (count: number) => {
    const before = new Map([...upstreams].map(([id, fake]) => [id, fake.calls.length]));
    const result = embedder.embed({ texts: Array.from({ length: count }, (_, i) => `t${i}`), requestId: 'r', deadline: scheduler.now() + 10_000 });
    await settle();
    const served = [...upstreams].filter(([id, fake]) => fake.calls.length > (before.get(id) ?? 0)).map(([id]) => id);
    return { served, result };
  };
  return { scheduler, cpu, embedder, membership, upstream, statuses, spread };
}

describe('first discovery gate', () => {
  test('the first round: every endpoint found takes traffic at once, before any probe answers', async () => {
    const { embedder, membership, upstream, statuses, spread } = setup();
    membership.update([task(1), task(2), task(3)]);
    for (const id of ['cpu-0', 'cpu-1', 'cpu-2']) assert.equal(upstream(id).probesOut, 1, `${id} is being probed`);
    assert.deepEqual(statuses(), [EndpointStatus.ready, EndpointStatus.ready, EndpointStatus.ready]);
    const { served, result } = await spread(3);
    assert.deepEqual(served.sort(), ['cpu-0', 'cpu-1', 'cpu-2'], 'the burst went to every task, not the first alone');
    assert.equal((await result).vectors.length, 3);
    await embedder.close();
  });

  test('a later newcomer to a serving tier waits for its first probe to succeed', async () => {
    const { scheduler, embedder, membership, upstream, statuses, spread } = setup();
    membership.update([task(1), task(2)]);
    upstream('cpu-0').answerProbes(HealthState.healthy);
    upstream('cpu-1').answerProbes(HealthState.healthy);
    await settle();

    membership.update([task(1), task(2), task(3)]);
    assert.equal(upstream('cpu-2').probesOut, 1);
    assert.deepEqual(statuses(), [EndpointStatus.ready, EndpointStatus.ready, EndpointStatus.unhealthy]);
    const { served, result } = await spread(3);
    assert.deepEqual(served.sort(), ['cpu-0', 'cpu-1'], 'the newcomer took nothing before its probe');

    // Still loading its model: still held back.
    upstream('cpu-2').answerProbes(HealthState.pending);
    await settle();
    assert.equal(statuses()[2], EndpointStatus.unhealthy);
    assert.equal(upstream('cpu-2').calls.length, 0);

    assert.equal((await result).vectors.length, 3);

    // The next round finds it healthy: it takes its share.
    await scheduler.advance(5_000);
    for (const id of ['cpu-0', 'cpu-1', 'cpu-2']) upstream(id).answerProbes(HealthState.healthy);
    await settle();
    assert.deepEqual(statuses(), [EndpointStatus.ready, EndpointStatus.ready, EndpointStatus.ready]);
    const after = await spread(3);
    assert.ok(after.served.includes('cpu-2'), `served by ${after.served.join(', ')}`);
    assert.equal((await after.result).vectors.length, 3);
    await embedder.close();
  });
});
