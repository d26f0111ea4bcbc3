/**
 * The cached series handles render what prom-client's own label-object calls render: the same
 * series, in the same order, with the same values, through a reset and a removal, and they throw
 * where prom-client throws.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Counter, Histogram, Registry } from 'prom-client';
import { CacheErrorKind, CacheResult, type CacheLookupRecord } from '../../shared/core/cache-events';
import type { DispatchSnapshot } from '../../shared/core/dispatch-snapshot';
import { type BatchRecord, OverflowReason, RejectReason } from '../../shared/core/dispatch-events';
import { Tier } from '../../shared/core/tier';
import { createCounterSeries, createHistogramSeries } from '../../shared/telemetry/prometheus-series';
import { createPrometheusTelemetry } from '../../shared/telemetry/prometheus-telemetry';
import type { RequestRecord } from '../../shared/telemetry/telemetry';

const TIERS = Object.values(Tier);
const EMPTY_TIER = {
  queuedTexts: 0, inFlightBatches: 0, endpoints: [], coldStarts: { count: 0, p50Ms: undefined, p95Ms: undefined },
  backlogTexts: 0, servingEndpoints: 0, estimatedWaitSeconds: 0,
};
const SNAPSHOT: DispatchSnapshot = { tiers: { cpu: EMPTY_TIER, gpu: EMPTY_TIER }, overflowActive: false };

/** The metrics the sink moves through cached series, by the labels they are declared with. */
const COUNTERS = {
  efd_requests_total: ['route', 'method', 'status', 'tier'],
  efd_overflow_total: ['tier', 'reason'],
  efd_rejected_requests_total: ['tier', 'reason'],
  efd_cache_requests_total: ['result'],
  efd_cache_texts_total: ['source'],
  efd_cache_errors_total: ['kind'],
} as const;
const HISTOGRAMS = {
  efd_request_duration_seconds: ['route', 'tier'],
  efd_queue_wait_seconds: ['tier'],
  efd_batch_size: ['tier'],
  efd_upstream_duration_seconds: ['tier', 'endpoint', 'outcome'],
} as const;

type Event =
  | { readonly kind: 'request'; readonly record: RequestRecord }
  | { readonly kind: 'batch'; readonly record: BatchRecord }
  | { readonly kind: 'queueWait'; readonly tier: Tier; readonly waitMs: number }
  | { readonly kind: 'rejected'; readonly tier: Tier; readonly reason: RejectReason }
  | { readonly kind: 'overflow'; readonly tier: Tier; readonly reason: OverflowReason }
  | { readonly kind: 'cacheLookup'; readonly record: CacheLookupRecord }
  | { readonly kind: 'cacheError'; readonly errorKind: CacheErrorKind }
  | { readonly kind: 'scrape' };

/** A fixed pseudo-random sequence (a linear congruential generator), so a failure replays. */
function createRandom(seed: number) {
  let state = seed;
  const next = (): number => {
    state = (state * 1_103_515_245 + 12_345) % 2 ** 31;
    return state / 2 ** 31;
  };
  return { next, pick: <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)] as T };
}

const ROUTES = ['/predictions/:model', '/v1/embeddings', '/embed', 'unmatched', '/health'];
const METHODS = ['POST', 'post', 'GET', 'PURGE', 'OPTIONS'];
const STATUSES = [200, 200, 200, 400, 429, 503, 404];

/** Requests, batches, waits, refusals and cache events, with scrapes between; endpoints come and go. */
function eventSequence(count: number): Event[] {
  const random = createRandom(42);
  const events: Event[] = [];
  for (let index = 0; index < count; index++) {
    const tier = random.pick(TIERS);
    // Endpoints appear over time (discovery), so new upstream series start between scrapes.
    const endpoint = `${tier}-${Math.floor(random.next() * (1 + index / 100))}`;
    // Fractional milliseconds, exact bucket bounds, and values past the last bucket (only +Inf moves).
    const durationMs = random.pick([random.next() * 40, random.next() * 3_000, 2.5, 1_000, 45_000, 0]);
    const roll = random.next();
    if (roll < 0.35) {
      events.push({ kind: 'request', record: {
        route: random.pick(ROUTES), method: random.pick(METHODS), status: random.pick(STATUSES),
        tier: random.pick([tier, undefined]), durationMs, items: 1, cache: random.pick([undefined, CacheResult.hit, CacheResult.miss]),
      } });
    } else if (roll < 0.5) {
      events.push({ kind: 'queueWait', tier, waitMs: durationMs });
    } else if (roll < 0.6) {
      events.push({ kind: 'batch', record: { tier, endpoint, texts: random.pick([1, 3, 32, 5_000]), durationMs, ok: random.next() < 0.9 } });
    } else if (roll < 0.65) {
      events.push({ kind: 'rejected', tier, reason: random.pick(Object.values(RejectReason)) });
    } else if (roll < 0.7) {
      events.push({ kind: 'overflow', tier, reason: random.pick(Object.values(OverflowReason)) });
    } else if (roll < 0.9) {
      const texts = random.pick([1, 2, 8]);
      const memoryHits = Math.floor(random.next() * (texts + 1));
      const sharedHits = Math.floor(random.next() * (texts - memoryHits + 1));
      events.push({ kind: 'cacheLookup', record: { result: random.pick(Object.values(CacheResult)), texts, memoryHits, sharedHits } });
    } else if (roll < 0.95) {
      events.push({ kind: 'cacheError', errorKind: random.pick(Object.values(CacheErrorKind)) });
    } else {
      events.push({ kind: 'scrape' });
    }
  }
  events.push({ kind: 'scrape' });
  return events;
}

/** The exposition's blocks (`# HELP`, `# TYPE`, samples) by metric name. */
function blocksOf(text: string): Map<string, string> {
  const blocks = new Map<string, string>();
  for (const block of text.trimEnd().split('\n\n')) {
    const name = /^# HELP (\S+) /.exec(block)?.[1];
    if (name !== undefined) blocks.set(name, block);
  }
  return blocks;
}

function helpOf(blocks: ReadonlyMap<string, string>, name: string): string {
  const help = /^# HELP \S+ (.*)$/m.exec(blocks.get(name) ?? '')?.[1];
  assert.ok(help !== undefined, `${name} is missing from the exposition`);
  return help;
}

function bucketsOf(blocks: ReadonlyMap<string, string>, name: string): number[] {
  const bounds = [...(blocks.get(name) ?? '').matchAll(/^\S+_bucket\{le="([^"]+)"/gm)].map((match) => match[1]);
  const first = bounds.slice(0, bounds.indexOf('+Inf')).map(Number);
  assert.ok(first.length > 0, `${name} has no series to read its buckets from`);
  return first;
}

/**
 * The prior sink: every event written through prom-client with label objects, in a fresh registry
 * (help texts and buckets read from the sink's exposition, which this change does not touch).
 */
function createReference(blocks: ReadonlyMap<string, string>) {
  const register = new Registry();
  const registers = [register];
  const counter = (name: keyof typeof COUNTERS) =>
    new Counter({ name, help: helpOf(blocks, name), labelNames: COUNTERS[name], registers });
  const histogram = (name: keyof typeof HISTOGRAMS) =>
    new Histogram({ name, help: helpOf(blocks, name), labelNames: HISTOGRAMS[name], buckets: bucketsOf(blocks, name), registers });
  const cacheRequests = counter('efd_cache_requests_total');
  const cacheTexts = counter('efd_cache_texts_total');
  const cacheErrors = counter('efd_cache_errors_total');
  for (const result of Object.values(CacheResult)) cacheRequests.inc({ result }, 0);
  for (const source of ['memory', 'shared', 'miss']) cacheTexts.inc({ source }, 0);
  for (const kind of Object.values(CacheErrorKind)) cacheErrors.inc({ kind }, 0);
  const requests = counter('efd_requests_total');
  const requestDuration = histogram('efd_request_duration_seconds');
  const queueWait = histogram('efd_queue_wait_seconds');
  const batchSize = histogram('efd_batch_size');
  const upstreamDuration = histogram('efd_upstream_duration_seconds');
  const overflows = counter('efd_overflow_total');
  const rejected = counter('efd_rejected_requests_total');
  for (const tier of TIERS) {
    for (const reason of Object.values(RejectReason)) rejected.inc({ tier, reason }, 0);
    for (const reason of Object.values(OverflowReason)) overflows.inc({ tier, reason }, 0);
    queueWait.zero({ tier });
    batchSize.zero({ tier });
  }
  const known = new Set(['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS']);
  const apply = (event: Event): void => {
    switch (event.kind) {
      case 'request': {
        const { route, method, status, tier, durationMs, cache } = event.record;
        const served = tier ?? (cache === CacheResult.hit ? 'cache' : 'none');
        const upper = method.toUpperCase();
        requests.inc({ route, method: known.has(upper) ? upper : 'OTHER', status: String(status), tier: served });
        requestDuration.observe({ route, tier: served }, durationMs / 1_000);
        return;
      }
      case 'batch': {
        const { tier, endpoint, texts, durationMs, ok } = event.record;
        batchSize.observe({ tier }, texts);
        upstreamDuration.observe({ tier, endpoint, outcome: ok ? 'ok' : 'error' }, durationMs / 1_000);
        return;
      }
      case 'queueWait': queueWait.observe({ tier: event.tier }, event.waitMs / 1_000); return;
      case 'rejected': rejected.inc({ tier: event.tier, reason: event.reason }); return;
      case 'overflow': overflows.inc({ tier: event.tier, reason: event.reason }); return;
      case 'cacheLookup': {
        const { result, texts, memoryHits, sharedHits } = event.record;
        cacheRequests.inc({ result });
        if (memoryHits > 0) cacheTexts.inc({ source: 'memory' }, memoryHits);
        if (sharedHits > 0) cacheTexts.inc({ source: 'shared' }, sharedHits);
        if (texts - memoryHits - sharedHits > 0) cacheTexts.inc({ source: 'miss' }, texts - memoryHits - sharedHits);
        return;
      }
      case 'cacheError': cacheErrors.inc({ kind: event.errorKind }); return;
      case 'scrape': return;
    }
  };
  return { apply, render: () => register.metrics() };
}

describe('prometheus series handles', () => {
  test('the sink renders, at every scrape, what label-object calls on prom-client render for the same events', async () => {
    const events = eventSequence(6_000);
    const telemetry = createPrometheusTelemetry({ snapshot: () => SNAPSHOT, cache: () => undefined });
    const renders: string[] = [];
    for (const event of events) {
      switch (event.kind) {
        case 'request': telemetry.requestDone(event.record); break;
        case 'batch': telemetry.batchDone(event.record); break;
        case 'queueWait': telemetry.queueWait(event.tier, event.waitMs); break;
        case 'rejected': telemetry.rejected(event.tier, event.reason); break;
        case 'overflow': telemetry.overflow(event.tier, event.reason); break;
        case 'cacheLookup': telemetry.cacheLookup(event.record); break;
        case 'cacheError': telemetry.cacheError(event.errorKind); break;
        case 'scrape': renders.push(await telemetry.render()); break;
      }
    }
    assert.ok(renders.length > 100, `${renders.length} scrapes`);
    const reference = createReference(blocksOf(renders.at(-1) ?? ''));
    let scrape = 0;
    for (const event of events) {
      reference.apply(event);
      if (event.kind !== 'scrape') continue;
      const expected = blocksOf(await reference.render());
      const actual = blocksOf(renders[scrape] ?? '');
      for (const name of [...Object.keys(COUNTERS), ...Object.keys(HISTOGRAMS)]) {
        assert.equal(actual.get(name), expected.get(name), `${name} at scrape ${scrape}`);
      }
      scrape += 1;
    }
    const final = blocksOf(renders.at(-1) ?? '');
    // The sequence reached what it means to cover: endpoints found late, folded methods, the cache tier.
    assert.match(final.get('efd_upstream_duration_seconds') ?? '', /endpoint="cpu-50"/);
    assert.match(final.get('efd_requests_total') ?? '', /method="OTHER".*tier="cache"|tier="cache".*method="OTHER"/);
  });

  test('after reset() and after remove() with clear(), handles write to the live series', async () => {
    const buckets = [0.5, 1, 2];
    const build = () => {
      const register = new Registry();
      const counter = new Counter({ name: 'c_total', help: 'c', labelNames: ['a', 'b'] as const, registers: [register] });
      const histogram = new Histogram({ name: 'h', help: 'h', labelNames: ['a'] as const, buckets, registers: [register] });
      return { register, counter, histogram };
    };
    const cached = build();
    const counts = createCounterSeries(cached.counter, ['a', 'b']);
    const times = createHistogramSeries(cached.histogram, ['a'], buckets);
    const direct = build();
    const both = (step: (metrics: ReturnType<typeof build>, viaSeries: boolean) => void) => {
      step(cached, true);
      step(direct, false);
    };
    const write = (a: string, b: string, value: number) => both((metrics, viaSeries) => {
      if (viaSeries) {
        counts.inc([a, b]);
        times.observe([a], value);
      } else {
        metrics.counter.inc({ a, b });
        metrics.histogram.observe({ a }, value);
      }
    });
    const assertSame = async (when: string) =>
      assert.equal(await cached.register.metrics(), await direct.register.metrics(), when);

    write('x', '1', 0.3);
    write('y', '2', 1.7);
    write('x', '1', 9);
    await assertSame('before the reset');
    both(({ counter, histogram }) => { counter.reset(); histogram.reset(); });
    write('y', '2', 0.1);
    write('x', '1', 0.2);
    await assertSame('after the reset');
    both(({ counter, histogram }, viaSeries) => {
      counter.remove({ a: 'y', b: '2' });
      histogram.remove({ a: 'y' });
      if (viaSeries) {
        counts.clear();
        times.clear();
      }
    });
    write('y', '2', 1);
    write('x', '1', 2);
    await assertSame('after the removal');
    assert.match(await cached.register.metrics(), /c_total\{a="y",b="2"\} 1/);
  });

  test('after its first event a series is written without going through prom-client, and refusals still throw as there', () => {
    const register = new Registry();
    const counter = new Counter({ name: 'c_total', help: 'c', labelNames: ['a'] as const, registers: [register] });
    const histogram = new Histogram({ name: 'h', help: 'h', labelNames: ['a'] as const, buckets: [1], registers: [register] });
    let calls = 0;
    const countCall = <T extends (...args: never[]) => unknown>(method: T) =>
      ((...args: Parameters<T>) => { calls += 1; return method(...args); }) as T;
    counter.inc = countCall(counter.inc.bind(counter));
    histogram.observe = countCall(histogram.observe.bind(histogram));
    const counts = createCounterSeries(counter, ['a']);
    const times = createHistogramSeries(histogram, ['a'], [1]);
    for (let index = 0; index < 10; index++) {
      counts.inc(['x']);
      times.observe(['x'], index);
    }
    assert.equal(calls, 2, 'one prom-client call per series, for its first event');

    assert.throws(() => counts.inc(['x'], -1), /not possible to decrease a counter/);
    assert.throws(() => counts.inc(['x'], Number.POSITIVE_INFINITY), /Value is not a valid number/);
    assert.throws(() => times.observe(['x'], Number.POSITIVE_INFINITY), /Value is not a valid number/);
    assert.throws(() => times.observe(['y'], Number.NaN), /Value is not a valid number/);
  });
});
