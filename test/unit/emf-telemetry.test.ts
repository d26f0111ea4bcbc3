/** The Lambda EMF sink: one valid EMF line per invocation, the cold-start line, and the runtime config it reads. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { EnvReader } from '../../shared/config/env-reader';
import { readRuntimeConfig, RUNTIME_DEFAULTS } from '../../shared/config/runtime-config';
import { createEmfTelemetry } from '../../shared/telemetry/emf-telemetry';
import type { FrontDoorColdStart, RequestRecord, Telemetry } from '../../shared/telemetry/telemetry';
import type { DispatchSnapshot, TierSnapshot } from '../../shared/core/dispatch-snapshot';

/** CloudWatch's StandardUnit list, from the EMF specification (kept here, independent of the sink). */
const ALLOWED_UNITS = new Set([
  'Seconds', 'Microseconds', 'Milliseconds', 'Bytes', 'Kilobytes', 'Megabytes', 'Gigabytes', 'Terabytes',
  'Bits', 'Kilobits', 'Megabits', 'Gigabits', 'Terabits', 'Percent', 'Count', 'Bytes/Second',
  'Kilobytes/Second', 'Megabytes/Second', 'Gigabytes/Second', 'Terabytes/Second', 'Bits/Second',
  'Kilobits/Second', 'Megabits/Second', 'Gigabits/Second', 'Terabits/Second', 'Count/Second', 'None',
]);
const MAX_DIMENSIONS_PER_SET = 30;
const MAX_METRICS_PER_DIRECTIVE = 100;
const NAMESPACE = 'EmbedFrontDoor';
const SERVICE = 'embed-front-door';
const START_MS = 1_700_000_000_000;

type EmfLine = Record<string, unknown> & {
  _aws: { Timestamp: number; CloudWatchMetrics: { Namespace: string; Dimensions: string[][]; Metrics: { Name: string; Unit?: string }[] }[] };
};

/** Parses `line` and checks it against the EMF specification's rules; returns the parsed line. */
function assertValidEmf(line: string): EmfLine {
  assert.ok(!line.includes('\n'), 'one line');
  const doc = JSON.parse(line) as Record<string, unknown>;
  const aws = doc._aws as Record<string, unknown> | undefined;
  assert.ok(aws !== undefined && typeof aws === 'object', '_aws metadata object');
  assert.ok(Number.isInteger(aws.Timestamp) && (aws.Timestamp as number) > 0, 'Timestamp in epoch ms');
  assert.ok(Array.isArray(aws.CloudWatchMetrics) && aws.CloudWatchMetrics.length > 0, 'CloudWatchMetrics array');
  for (const directive of aws.CloudWatchMetrics as Record<string, unknown>[]) {
    assert.equal(typeof directive.Namespace, 'string');
    assert.match(directive.Namespace as string, /^[0-9A-Za-z.\-_/#: ]{1,255}$/);
    assert.ok(Array.isArray(directive.Dimensions), 'Dimensions array');
    for (const set of directive.Dimensions as unknown[]) {
      assert.ok(Array.isArray(set) && set.length <= MAX_DIMENSIONS_PER_SET, 'dimension set of at most 30 keys');
      for (const name of set as unknown[]) {
        assert.equal(typeof name, 'string');
        assert.equal(typeof doc[name as string], 'string', `dimension ${String(name)} is a top-level string`);
        assert.notEqual(doc[name as string], '', `dimension ${String(name)} is not empty`);
      }
    }
    assert.ok(Array.isArray(directive.Metrics), 'Metrics array');
    const metrics = directive.Metrics as Record<string, unknown>[];
    assert.ok(metrics.length > 0 && metrics.length <= MAX_METRICS_PER_DIRECTIVE, 'one to 100 metrics');
    for (const metric of metrics) {
      assert.equal(typeof metric.Name, 'string');
      const value = doc[metric.Name as string];
      assert.ok(typeof value === 'number' && Number.isFinite(value), `metric ${String(metric.Name)} is a finite number at top level`);
      if (metric.Unit !== undefined) assert.ok(ALLOWED_UNITS.has(metric.Unit as string), `unit ${JSON.stringify(metric.Unit)} allowed`);
    }
  }
  // JSON has no NaN or Infinity: they would have become null.
  assert.ok(!line.includes('null'), 'no null (a non-finite number serialised)');
  return doc as EmfLine;
}

const metricNames = (line: EmfLine): string[] => line._aws.CloudWatchMetrics.flatMap((d) => d.Metrics.map((m) => m.Name));

function setup(options: { functionName?: string; snapshot?: () => DispatchSnapshot } = {}) {
  let now = START_MS;
  const lines: string[] = [];
  const telemetry = createEmfTelemetry({
    namespace: NAMESPACE,
    service: SERVICE,
    functionName: options.functionName ?? 'embed-fn',
    write: (line) => lines.push(line),
    now: () => now,
    ...(options.snapshot === undefined ? {} : { snapshot: options.snapshot }),
  });
  return { telemetry, lines, advance: (ms: number) => { now += ms; }, parsed: () => lines.map(assertValidEmf) };
}

const request = (overrides: Partial<RequestRecord> = {}): RequestRecord => ({
  route: '/v1/embeddings', method: 'POST', status: 200, tier: 'cpu', durationMs: 42, items: 3, ...overrides,
});
const coldStart = (overrides: Partial<FrontDoorColdStart> = {}): FrontDoorColdStart => ({
  initMs: 310, firstRequestMs: 320, initializationType: 'on-demand', ...overrides,
});

/** A busy invocation: two upstream calls, a retry, an overflow to the GPU tier, a backend cold start. */
function busyInvocation(telemetry: Telemetry): void {
  telemetry.queueWait('cpu', 7);
  telemetry.batchDone({ tier: 'cpu', endpoint: 'cpu-0', texts: 3, durationMs: 30, ok: false });
  telemetry.retry('cpu');
  telemetry.overflow('gpu', 'fallback');
  telemetry.queueWait('gpu', 2);
  telemetry.backendColdStart('gpu', 'gpu-0', 1_500);
  telemetry.batchDone({ tier: 'gpu', endpoint: 'gpu-0', texts: 3, durationMs: 12, ok: true });
}

describe('createEmfTelemetry', () => {
  test('the first invocation writes a ColdStart line with InitDuration and the init type; later ones do not', () => {
    const { telemetry, parsed } = setup();
    telemetry.frontDoorColdStart(coldStart());
    telemetry.requestDone(request());
    telemetry.requestDone(request());
    telemetry.requestDone(request());
    const lines = parsed();
    assert.equal(lines.length, 4);
    const [cold, ...requests] = lines;
    assert.ok(cold !== undefined);
    assert.equal(cold.ColdStart, 1);
    assert.equal(cold.InitDuration, 310);
    assert.equal(cold.InitializationType, 'on-demand');
    assert.equal(cold.FunctionName, 'embed-fn');
    assert.deepEqual(cold._aws.CloudWatchMetrics.map((d) => d.Dimensions), [[['Service', 'FunctionName']]]);
    assert.deepEqual(metricNames(cold).sort(), ['ColdStart', 'InitDuration']);
    for (const line of requests) {
      assert.ok(!metricNames(line).includes('ColdStart') && line.ColdStart === undefined);
      assert.equal(line.RequestLatency, 42);
    }
  });

  test('a cold start reported after the first request is written at once, and only once', () => {
    const { telemetry, lines, parsed } = setup();
    telemetry.requestDone(request());
    assert.equal(lines.length, 1);
    telemetry.frontDoorColdStart(coldStart({ initMs: 200 }));
    assert.equal(lines.length, 2);
    telemetry.frontDoorColdStart(coldStart({ initMs: 999 }));
    telemetry.requestDone(request());
    const all = parsed();
    assert.equal(all.filter((line) => line.ColdStart !== undefined).length, 1);
    assert.equal(all[1]?.InitDuration, 200);
  });

  test('a provisioned environment reports its init duration but counts no cold start a request waited for', () => {
    const { telemetry, parsed } = setup();
    telemetry.frontDoorColdStart(coldStart({ initializationType: 'provisioned-concurrency', firstRequestMs: 3_600_000 }));
    telemetry.requestDone(request());
    const [cold] = parsed();
    assert.equal(cold?.ColdStart, 0);
    assert.equal(cold?.InitDuration, 310);
    assert.equal(cold?.FirstRequestMs, 3_600_000);
    assert.equal(cold?.InitializationType, 'provisioned-concurrency');
  });

  test('without a function name the cold-start line has the Service dimension alone', () => {
    const { telemetry, parsed } = setup({ functionName: '' });
    telemetry.frontDoorColdStart(coldStart({ initializationType: undefined }));
    telemetry.requestDone(request());
    const [cold] = parsed();
    assert.deepEqual(cold?._aws.CloudWatchMetrics[0]?.Dimensions, [['Service']]);
    assert.ok(cold !== undefined && !('InitializationType' in cold) && !('FunctionName' in cold));
  });

  test('an invocation line carries its dispatch figures, with latency by Service and by Service and Route', () => {
    const { telemetry, parsed } = setup();
    busyInvocation(telemetry);
    telemetry.requestDone(request({ tier: 'gpu', durationMs: 1_600 }));
    const [line] = parsed();
    assert.ok(line !== undefined);
    assert.equal(line._aws.Timestamp, START_MS);
    assert.equal(line._aws.CloudWatchMetrics[0]?.Namespace, NAMESPACE);
    assert.deepEqual(line._aws.CloudWatchMetrics.map((d) => d.Dimensions), [[['Service']], [['Service', 'Route']]]);
    assert.deepEqual(line._aws.CloudWatchMetrics[1]?.Metrics, [{ Name: 'RequestLatency', Unit: 'Milliseconds' }]);
    assert.equal(line.Service, SERVICE);
    assert.equal(line.Route, '/v1/embeddings');
    assert.deepEqual(
      { RequestLatency: line.RequestLatency, UpstreamCalls: line.UpstreamCalls, UpstreamLatency: line.UpstreamLatency, QueueWait: line.QueueWait,
        Overflow: line.Overflow, Retries: line.Retries, Rejected: line.Rejected, BackendColdStarts: line.BackendColdStarts,
        BackendColdStartDuration: line.BackendColdStartDuration },
      { RequestLatency: 1_600, UpstreamCalls: 2, UpstreamLatency: 30, QueueWait: 9, Overflow: 1, Retries: 1, Rejected: 0,
        BackendColdStarts: 1, BackendColdStartDuration: 1_500 },
    );
    assert.equal(line.UpstreamLatencySumMs, 42);
    assert.equal(line.UpstreamFailures, 1);
    assert.equal(line.OverflowTier, 'gpu');
    assert.equal(line.OverflowReason, 'fallback');
    assert.equal(line.Status, 200);
    assert.equal(line.Tier, 'gpu');
  });

  test('figures of one invocation do not leak into the next', () => {
    const { telemetry, parsed, advance } = setup();
    busyInvocation(telemetry);
    telemetry.rejected('cpu', 'queue_full');
    telemetry.ejection('cpu', 'cpu-0');
    telemetry.requestDone(request());
    advance(1_000);
    telemetry.requestDone(request({ route: '/health', method: 'GET', tier: undefined, items: 0, durationMs: 1 }));
    const [, quiet] = parsed();
    assert.ok(quiet !== undefined);
    assert.equal(quiet._aws.Timestamp, START_MS + 1_000);
    for (const count of ['UpstreamCalls', 'Overflow', 'Retries', 'Rejected', 'BackendColdStarts', 'UpstreamFailures', 'Ejections']) {
      assert.equal(quiet[count], 0, count);
    }
    for (const absent of ['UpstreamLatency', 'QueueWait', 'BackendColdStartDuration', 'UpstreamLatencySumMs', 'OverflowTier', 'OverflowReason', 'RejectReason', 'Tier']) {
      assert.ok(!(absent in quiet), `${absent} absent`);
    }
    assert.deepEqual(metricNames(quiet).filter((name) => name !== 'RequestLatency').sort(),
      ['BackendColdStarts', 'Overflow', 'Rejected', 'Retries', 'UpstreamCalls']);
  });

  test('the scaling signal: one line per tier used, by Tier alone, at the busiest moment of the invocation', () => {
    const tier = (backlogTexts: number, servingEndpoints: number, estimatedWaitSeconds: number | undefined): TierSnapshot => ({
      queuedTexts: 0, inFlightBatches: 0, endpoints: [], coldStarts: { count: 0, p50Ms: undefined, p95Ms: undefined },
      backlogTexts, servingEndpoints, estimatedWaitSeconds,
    });
    let current: DispatchSnapshot = { tiers: { cpu: tier(40, 3, 0.5), gpu: tier(0, 1, 0) }, overflowActive: false };
    const { telemetry, parsed, lines } = setup({ snapshot: () => current });
    telemetry.queueWait('cpu', 3);
    current = { tiers: { cpu: tier(10, 2, 0.1), gpu: tier(0, 1, 0) }, overflowActive: false };
    telemetry.queueWait('cpu', 5);
    current = { tiers: { cpu: tier(0, 3, 0), gpu: tier(0, 1, 0) }, overflowActive: false };
    telemetry.requestDone(request());
    const [requestLine, cpuLine] = parsed();
    assert.equal(lines.length, 2, 'the request line and one tier line: the GPU tier saw no work');
    assert.ok(requestLine !== undefined && !('Backlog' in requestLine));
    assert.ok(cpuLine !== undefined);
    assert.deepEqual(cpuLine._aws.CloudWatchMetrics.map((d) => d.Dimensions), [[['Tier']]]);
    assert.deepEqual(cpuLine._aws.CloudWatchMetrics[0]?.Metrics, [
      { Name: 'Backlog', Unit: 'Count' }, { Name: 'ServingEndpoints', Unit: 'Count' }, { Name: 'EstimatedWait', Unit: 'Seconds' }]);
    assert.equal(cpuLine._aws.CloudWatchMetrics[0]?.Namespace, NAMESPACE);
    assert.deepEqual({ Tier: cpuLine.Tier, Backlog: cpuLine.Backlog, ServingEndpoints: cpuLine.ServingEndpoints, EstimatedWait: cpuLine.EstimatedWait },
      { Tier: 'cpu', Backlog: 40, ServingEndpoints: 3, EstimatedWait: 0.5 }, 'the sample with the largest backlog, not the last');

    // The next invocation starts over; a refusal samples too; an unknown wait is left out.
    current = { tiers: { cpu: tier(0, 0, 0), gpu: tier(7, 0, undefined) }, overflowActive: false };
    telemetry.rejected('gpu', 'unavailable');
    telemetry.requestDone(request({ status: 503, tier: undefined }));
    const gpuLine = parsed()[3];
    assert.equal(lines.length, 4);
    assert.ok(gpuLine !== undefined);
    assert.deepEqual({ Tier: gpuLine.Tier, Backlog: gpuLine.Backlog, ServingEndpoints: gpuLine.ServingEndpoints },
      { Tier: 'gpu', Backlog: 7, ServingEndpoints: 0 });
    assert.ok(!('EstimatedWait' in gpuLine));
  });

  test('non-finite and negative numbers are never written', () => {
    const { telemetry, parsed } = setup();
    telemetry.frontDoorColdStart(coldStart({ initMs: Number.NaN, firstRequestMs: Number.POSITIVE_INFINITY }));
    telemetry.queueWait('cpu', Number.NaN);
    telemetry.batchDone({ tier: 'cpu', endpoint: 'cpu-0', texts: 1, durationMs: Number.POSITIVE_INFINITY, ok: true });
    telemetry.backendColdStart('cpu', 'cpu-0', -5);
    telemetry.requestDone(request({ durationMs: Number.NaN, status: Number.NaN }));
    const [cold, line] = parsed();
    assert.ok(cold !== undefined && line !== undefined);
    assert.deepEqual(metricNames(cold), ['ColdStart']);
    assert.ok(!('FirstRequestMs' in cold));
    assert.ok(!metricNames(line).includes('RequestLatency') && !('RequestLatency' in line));
    assert.equal(line.UpstreamCalls, 1);
    assert.equal(line.BackendColdStarts, 1);
    for (const absent of ['UpstreamLatency', 'QueueWait', 'BackendColdStartDuration', 'Status']) assert.ok(!(absent in line), absent);
  });

  test('no request id, key or text reaches a line', () => {
    const { telemetry, lines } = setup();
    const secret = 'req-6f1c2b1e-secret-text-sk-live-123';
    // Records only have the fields telemetry.ts defines; extra ones (as a careless caller might pass) must not be copied.
    const record = { ...request(), requestId: secret, text: secret, apiKey: secret } as RequestRecord;
    telemetry.frontDoorColdStart({ ...coldStart(), requestId: secret } as FrontDoorColdStart);
    telemetry.batchDone({ tier: 'cpu', endpoint: secret, texts: 1, durationMs: 5, ok: true, requestId: secret } as never);
    telemetry.ejection('cpu', secret);
    telemetry.backendColdStart('cpu', secret, 10);
    telemetry.requestDone(record);
    assert.equal(lines.length, 2);
    for (const line of lines) {
      assertValidEmf(line);
      assert.ok(!line.includes(secret), line);
      assert.ok(!/request.?id/i.test(line), line);
    }
  });

  test('an odd route or service is cleaned into a valid dimension value', () => {
    const { parsed, telemetry } = setup();
    telemetry.requestDone(request({ route: '', method: 'PO\u00e9ST' }));
    const [line] = parsed();
    assert.equal(line?.Route, 'unmatched');
    assert.equal(line?.Method, 'PO_ST');
  });

  test('a namespace CloudWatch refuses is refused at construction', () => {
    for (const namespace of ['', 'AWS/Lambda', 'bad\u00e9', 'x'.repeat(256)]) {
      assert.throws(() => createEmfTelemetry({ namespace, service: SERVICE, write: () => {}, now: () => START_MS }), /EMF namespace/);
    }
  });
});

describe('readRuntimeConfig', () => {
  test('defaults off Lambda', () => {
    const read = new EnvReader({});
    assert.deepEqual(readRuntimeConfig(read), {
      initializationType: undefined, functionName: undefined, metricsNamespace: RUNTIME_DEFAULTS.metricsNamespace, emfMetrics: true,
    });
    assert.deepEqual(read.problems, []);
  });

  test("reads Lambda's variables, keeping unknown initialisation types", () => {
    const read = new EnvReader({
      AWS_LAMBDA_INITIALIZATION_TYPE: 'lambda-managed-instances', AWS_LAMBDA_FUNCTION_NAME: 'embed', METRICS_NAMESPACE: 'Team/Embed #1', EMF_METRICS: 'off',
    });
    assert.deepEqual(readRuntimeConfig(read), {
      initializationType: 'lambda-managed-instances', functionName: 'embed', metricsNamespace: 'Team/Embed #1', emfMetrics: false,
    });
    assert.deepEqual(read.problems, []);
  });

  test('a bad namespace or flag is a problem naming the key', () => {
    for (const namespace of ['Emb\u00e9d', 'AWS/Embed', 'x'.repeat(256), 'a;b']) {
      const read = new EnvReader({ METRICS_NAMESPACE: namespace, EMF_METRICS: 'maybe' });
      assert.equal(readRuntimeConfig(read).metricsNamespace, RUNTIME_DEFAULTS.metricsNamespace);
      assert.equal(read.problems.length, 2);
      assert.match(read.problems[0] ?? '', /^METRICS_NAMESPACE=/);
      assert.match(read.problems[1] ?? '', /^EMF_METRICS=/);
    }
    const ok = new EnvReader({ METRICS_NAMESPACE: 'x'.repeat(255) });
    readRuntimeConfig(ok);
    assert.deepEqual(ok.problems, []);
  });
});
