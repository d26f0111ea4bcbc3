/**
 * Discovery and warm-up outcomes: the refresher and the warm-up run report them through the
 * core's control events, and the Prometheus sink counts them (on a fake clock).
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { ControlEvents, DiscoveryOutcome, WarmupRecord } from '../../shared/core/control-events';
import type { TierSnapshot } from '../../shared/core/dispatch-snapshot';
import { DiscoveryRefresher } from '../../shared/discovery/discovery-refresher';
import { DiscoveryError, type DiscoveredEndpoint } from '../../shared/discovery/endpoint-source';
import { silentLogger } from '../../shared/logger';
import { createPrometheusTelemetry } from '../../shared/telemetry/prometheus-telemetry';
import { UpstreamError, UpstreamFailure } from '../../shared/upstream/upstream-error';
import { runWarmup } from '../../shared/warmup/run-warmup';
import { FakeScheduler } from '../helpers/fake-scheduler';
import { fakeVector, FakeUpstream } from '../helpers/fake-upstream';
import { parseExposition, valueOf } from '../helpers/prometheus-text';

function recorder() {
  const discoveries: DiscoveryOutcome[] = [];
  const warmups: WarmupRecord[] = [];
  const leads: number[] = [];
  const events: ControlEvents = {
    discovery: (_tier, outcome) => discoveries.push(outcome),
    warmup: (record) => warmups.push(record),
    warmupLead: (leadMs) => leads.push(leadMs),
  };
  return { events, discoveries, warmups, leads };
}

const refused = () => new UpstreamError(UpstreamFailure.connect, 'refused');

describe('control events', () => {
  test('a discovery refresh reports ok, error and throttled', async () => {
    const { events, discoveries } = recorder();
    const answers: (DiscoveredEndpoint[] | Error)[] = [[], new DiscoveryError('boom'), new DiscoveryError('slow down', true)];
    const scheduler = new FakeScheduler();
    const refresher = new DiscoveryRefresher({
      source: {
        description: 'test://source',
        discover: async () => {
          const answer = answers.shift() ?? [];
          if (answer instanceof Error) throw answer;
          return answer;
        },
      },
      scheduler,
      random: () => 0.5,
      intervalMs: 1_000,
      maxBackoffMs: 60_000,
      background: true,
      logger: silentLogger,
      onEndpoints: () => {},
      onOutcome: (outcome) => events.discovery('cpu', outcome),
    });
    await refresher.ready();
    await scheduler.advance(1_000);
    await scheduler.advance(2_000);
    refresher.stop();
    assert.deepEqual(discoveries, ['ok', 'error', 'throttled']);
  });

  test('a warm-up run reports its lead and each warm action as ok, late (warmed after the lead) or failed', async () => {
    const { events, warmups, leads } = recorder();
    const scheduler = new FakeScheduler(Date.UTC(2026, 0, 5, 9, 59, 30));
    const fast = new FakeUpstream('cpu-0');
    fast.auto = (texts) => texts.map(fakeVector);
    const slow = new FakeUpstream('cpu-1');
    let slowCalls = 0;
    // Refuses three times (a retry a second), then answers: warm 3 s after the start, past a 2 s lead.
    slow.auto = (texts) => (++slowCalls > 3 ? texts.map(fakeVector) : refused());
    const dead = new FakeUpstream('gpu-0', 'gpu');
    dead.auto = () => refused();
    const burst = { cron: '0 10 * * *', timezone: 'UTC', durationMinutes: 30, minInstances: 1 };
    const run = runWarmup({
      config: {
        schedule: [{ ...burst, name: 'cpu-burst', tier: 'cpu' }, { ...burst, name: 'gpu-burst', tier: 'gpu' }],
        leadSeconds: 60, leadMarginSeconds: 30, fallbackLeadSeconds: 120,
      },
      scalers: [],
      upstreams: (tier) => (tier === 'cpu' ? [fast, slow] : [dead]),
      coldStartP95Ms: () => undefined,
      scheduler,
      dryRun: false,
      warmBudgetMs: 5_000,
      write: () => {},
      events,
    });
    await scheduler.advance(10_000);
    const result = await run;
    assert.deepEqual(leads, [60_000]);
    assert.equal(result.results.length, 2);
    // 3 s of warming is within the 60 s lead: ok. The GPU endpoint never answered: failed.
    assert.deepEqual(warmups, [{ tier: 'cpu', action: 'warm', outcome: 'ok' }, { tier: 'gpu', action: 'warm', outcome: 'failed' }]);

    // The same run with a 2 s lead: the CPU tier warmed late.
    const late = recorder();
    slowCalls = 0;
    const again = runWarmup({
      config: { schedule: [{ ...burst, name: 'cpu-burst', tier: 'cpu' }], leadSeconds: 2, leadMarginSeconds: 30, fallbackLeadSeconds: 120 },
      scalers: [],
      upstreams: () => [fast, slow],
      coldStartP95Ms: () => undefined,
      scheduler,
      at: Date.UTC(2026, 0, 5, 9, 59, 59),
      dryRun: false,
      warmBudgetMs: 5_000,
      write: () => {},
      events: late.events,
    });
    await scheduler.advance(10_000);
    await again;
    assert.deepEqual(late.warmups, [{ tier: 'cpu', action: 'warm', outcome: 'late' }]);
  });

  test('the Prometheus sink starts every outcome at 0 and counts events; the lead is in seconds', async () => {
    const tier: TierSnapshot = { queuedTexts: 0, inFlightBatches: 0, endpoints: [], coldStarts: { count: 0, p50Ms: undefined, p95Ms: undefined },
      backlogTexts: 0, servingEndpoints: 0, estimatedWaitSeconds: 0 };
    const telemetry = createPrometheusTelemetry({ snapshot: () => ({ tiers: { cpu: tier, gpu: tier }, overflowActive: false }) });
    const before = parseExposition(await telemetry.render());
    assert.equal(valueOf(before, 'efd_discovery_refreshes_total', { tier: 'gpu', outcome: 'throttled' }), 0);
    assert.equal(valueOf(before, 'efd_warmup_actions_total', { tier: 'cpu', action: 'raise', outcome: 'late' }), 0);
    assert.equal(valueOf(before, 'efd_warmup_lead_seconds'), 0, '0: no run yet');
    telemetry.discovery('cpu', 'error');
    telemetry.discovery('cpu', 'error');
    telemetry.warmup({ tier: 'gpu', action: 'warm', outcome: 'late' });
    telemetry.warmupLead(90_000);
    const after = parseExposition(await telemetry.render());
    assert.equal(valueOf(after, 'efd_discovery_refreshes_total', { tier: 'cpu', outcome: 'error' }), 2);
    assert.equal(valueOf(after, 'efd_discovery_refreshes_total', { tier: 'cpu', outcome: 'ok' }), 0);
    assert.equal(valueOf(after, 'efd_warmup_actions_total', { tier: 'gpu', action: 'warm', outcome: 'late' }), 1);
    assert.equal(valueOf(after, 'efd_warmup_lead_seconds'), 90);
  });
});
