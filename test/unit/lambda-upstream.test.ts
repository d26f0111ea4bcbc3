/**
 * The lambda:// tier's upstream with the real @aws-sdk/client-lambda against a loopback server
 * speaking Lambda's Invoke wire protocol (test/helpers/fake-lambda.ts): success with the real
 * worker logic answering, throttling, function errors, timeouts, refused connections, and answers
 * that must not be trusted. Also the entry's parsing and the payload split.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { parseBackendList } from '../../shared/config/backends';
import { parseConfig } from '../../shared/config/config';
import { createSdkLambdaInvoke } from '../../shared/aws/lambda-invoker';
import { createLambdaUpstream, splitForPayload } from '../../shared/aws/lambda-upstream';
import type { LambdaBackendSpec } from '../../shared/config/lambda-backend';
import { isCapacityRefusal } from '../../shared/dispatch/endpoint';
import { HealthState } from '../../shared/upstream/upstream';
import { UpstreamError, UpstreamFailure } from '../../shared/upstream/upstream-error';
import { createEmbedWorker } from '../../shared/worker/embed-worker';
import { noWorkerMetrics } from '../../shared/worker/worker-metrics';
import { encodeVectors } from '../../shared/worker/worker-payload';
import { deadPort } from '../helpers/dead-port';
import { type FakeLambdaAnswer, LAMBDA_TEST_CREDENTIALS, startFakeLambda } from '../helpers/fake-lambda';

const DIMENSION = 4;

/** A vector that names its text: its length, then fixed values, so answers can be checked. */
const vectorOf = (text: string): number[] => [text.length, 0.5, -0.25, 1];

/** The real worker logic over a fake engine, as the fake Lambda's function. */
function workerFunction(): (event: unknown) => Promise<unknown> {
  return createEmbedWorker({
    engine: Promise.resolve({ dimension: DIMENSION, embed: async (texts) => Float32Array.from(texts.flatMap(vectorOf)) }),
    batchSize: 2,
    now: () => performance.now(),
    metrics: noWorkerMetrics,
  });
}

function spec(entry: string): LambdaBackendSpec {
  const { specs, problems } = parseBackendList('GPU_BACKENDS', [entry]);
  assert.deepEqual(problems, []);
  return specs[0] as LambdaBackendSpec;
}

async function upstreamAgainst(answer: (payload: unknown) => FakeLambdaAnswer | Promise<FakeLambdaAnswer>, entry = 'lambda://embed-worker:live?concurrency=2') {
  const fake = await startFakeLambda((invoke) => answer(invoke.payload));
  const colds: number[] = [];
  const upstream = createLambdaUpstream({
    id: 'gpu-lambda-0', tier: 'gpu', spec: spec(entry), dimension: DIMENSION,
    invoke: createSdkLambdaInvoke(spec(entry), { endpoint: fake.endpoint, region: 'eu-west-1', credentials: LAMBDA_TEST_CREDENTIALS }),
    onColdStart: (ms) => colds.push(ms),
    now: () => performance.now(),
  });
  return { fake, upstream, colds };
}

const call = { requestId: 'r-1', timeoutMs: 10_000 };

async function rejection(promise: Promise<unknown>): Promise<UpstreamError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof UpstreamError, `expected an UpstreamError, got ${String(error)}`);
    assert.ok(!error.message.includes(LAMBDA_TEST_CREDENTIALS.secretAccessKey));
    return error;
  }
  assert.fail('expected a rejection');
}

describe('lambda:// entries', () => {
  it('parses a name with an alias, a bare name and an ARN', () => {
    assert.deepEqual(spec('lambda://embed-worker:live?concurrency=20'), {
      source: 'lambda', dialect: 'lambda', functionName: 'embed-worker', qualifier: 'live', region: undefined, concurrency: 20,
      entry: 'lambda://embed-worker:live?concurrency=20',
    });
    assert.equal(spec('lambda://embed-worker?concurrency=1').qualifier, undefined);
    const arn = spec('lambda://arn:aws:lambda:eu-west-1:123456789012:function:embed-front-door-prod-embed-worker:7?concurrency=5');
    assert.equal(arn.functionName, 'arn:aws:lambda:eu-west-1:123456789012:function:embed-front-door-prod-embed-worker');
    assert.equal(arn.qualifier, '7');
    assert.equal(arn.region, 'eu-west-1');
  });

  it('lists every bad entry with what to write instead', () => {
    const bad = ['lambda://embed-worker', 'lambda://embed-worker?concurrency=0', 'lambda://embed-worker?concurrency=2&region=x',
      'lambda://bad name?concurrency=2', 'lambda://arn:aws:s3:::bucket?concurrency=2', 'lambda://a:b:c?concurrency=2'];
    const { specs, problems } = parseBackendList('GPU_BACKENDS', bad);
    assert.equal(specs.length, 0);
    assert.equal(problems.length, bad.length);
    assert.match(problems[0]!, /add \?concurrency=N/);
    assert.match(problems[1]!, /1 to 1000/);
    assert.match(problems[2]!, /unknown parameter region/);
    assert.match(problems[4]!, /not a Lambda function ARN/);
    assert.throws(() => parseConfig({ CPU_BACKENDS: 'http://10.0.0.5:8080/predictions/m', GPU_BACKENDS: 'lambda://embed-worker' }), /GPU_BACKENDS: lambda:\/\/embed-worker: add \?concurrency=N/);
  });

  it('splits a batch so each invoke fits the payload limit, and refuses a text alone over it', () => {
    const texts = Array.from({ length: 10 }, (_, index) => `${index}`.padEnd(100, 'x'));
    const runs = splitForPayload(texts, DIMENSION, 350);
    assert.deepEqual(runs.flat(), texts);
    assert.ok(runs.length > 1);
    for (const run of runs) assert.ok(Buffer.byteLength(JSON.stringify({ v: 1, texts: run })) <= 350);
    const error = (() => { try { splitForPayload(['y'.repeat(400)], DIMENSION, 350); } catch (caught) { return caught; } return undefined; })();
    assert.ok(error instanceof UpstreamError && error.upstreamStatus === 413);
  });
});

describe('the Lambda upstream over the real SDK', () => {
  const closers: (() => Promise<void>)[] = [];
  after(async () => { await Promise.all(closers.map((close) => close())); });

  it('invokes RequestResponse with the alias, reads the worker\'s vectors in order, and times the cold invoke once', async () => {
    const worker = workerFunction();
    const { fake, upstream, colds } = await upstreamAgainst(async (payload) => ({ body: await worker(payload) }));
    closers.push(() => fake.close());
    const texts = ['a', 'three', 'xy'];
    assert.deepEqual(await upstream.embed(texts, call), texts.map(vectorOf));
    assert.deepEqual(await upstream.embed(['four'], call), [vectorOf('four')]);
    assert.equal(colds.length, 1);
    assert.equal(fake.invokes[0]!.functionName, 'embed-worker');
    assert.equal(fake.invokes[0]!.qualifier, 'live');
    assert.equal(fake.invokes[0]!.invocationType, 'RequestResponse');
    assert.match(fake.invokes[0]!.authorization ?? '', /^AWS4-HMAC-SHA256 Credential=AKIDFAKELAMBDATEST\/\d+\/eu-west-1\/lambda\//);
    assert.deepEqual(fake.invokes[0]!.payload, { v: 1, texts });
    assert.equal(upstream.capacity, 2);
    assert.equal(upstream.payPerCall, true);
  });

  it('maps throttling to a retryable capacity refusal', async () => {
    const { fake, upstream } = await upstreamAgainst(() => ({
      status: 429, headers: { 'x-amzn-errortype': 'TooManyRequestsException' },
      body: { Reason: 'ReservedFunctionConcurrentInvocationLimitExceeded', Type: 'User', message: 'Rate Exceeded.' },
    }));
    closers.push(() => fake.close());
    const error = await rejection(upstream.embed(['a'], call));
    assert.equal(error.reason, UpstreamFailure.overloaded);
    assert.equal(error.upstreamType, 'TooManyRequestsException');
    assert.ok(error.isRetryable);
    assert.ok(isCapacityRefusal(error));
    assert.equal(fake.invokes.length, 1, 'the SDK does not retry on its own');
  });

  it('maps Unhandled and Handled function errors to a retryable 5xx, and a function timeout to a timeout', async () => {
    for (const kind of ['Unhandled', 'Handled']) {
      const { fake, upstream } = await upstreamAgainst(() => ({ headers: { 'x-amz-function-error': kind }, body: { errorType: 'Error', errorMessage: 'boom' } }));
      closers.push(() => fake.close());
      const error = await rejection(upstream.embed(['a'], call));
      assert.equal(error.reason, UpstreamFailure.status);
      assert.equal(error.upstreamStatus, 502);
      assert.ok(error.isRetryable, kind);
      assert.doesNotMatch(error.message, /boom/);
    }
    const { fake, upstream } = await upstreamAgainst(() => ({
      headers: { 'x-amz-function-error': 'Unhandled' }, body: { errorType: 'Sandbox.Timedout', errorMessage: 'Task timed out after 30.00 seconds' },
    }));
    closers.push(() => fake.close());
    assert.equal((await rejection(upstream.embed(['a'], call))).reason, UpstreamFailure.timeout);
  });

  it('gives up on an invoke past the call\'s time budget, as a timeout', async () => {
    const { fake, upstream } = await upstreamAgainst(() => ({ hang: true, body: '' }));
    closers.push(() => fake.close());
    const error = await rejection(upstream.embed(['a'], { requestId: 'r', timeoutMs: 300 }));
    assert.equal(error.reason, UpstreamFailure.timeout);
    assert.ok(error.isRetryable);
  });

  it('maps a missing function to a non-retryable error and a refused connection to connect', async () => {
    const { fake, upstream } = await upstreamAgainst(() => ({
      status: 404, headers: { 'x-amzn-errortype': 'ResourceNotFoundException' }, body: { Type: 'User', Message: 'Function not found: arn:aws:lambda:...' },
    }));
    closers.push(() => fake.close());
    const missing = await rejection(upstream.embed(['a'], call));
    assert.equal(missing.reason, UpstreamFailure.status);
    assert.equal(missing.upstreamStatus, undefined);
    assert.ok(!missing.isRetryable);

    const port = await deadPort();
    const entry = spec('lambda://embed-worker?concurrency=1');
    const refused = createLambdaUpstream({
      id: 'x', tier: 'gpu', spec: entry, dimension: DIMENSION, onColdStart: () => {}, now: () => performance.now(),
      invoke: createSdkLambdaInvoke(entry, { endpoint: `http://127.0.0.1:${port}`, region: 'eu-west-1', credentials: LAMBDA_TEST_CREDENTIALS }),
    });
    assert.equal((await rejection(refused.embed(['a'], call))).reason, UpstreamFailure.connect);
    // After a failure the probe asks the worker itself, which is not there.
    assert.equal((await refused.ping({ timeoutMs: 5_000 })).state, HealthState.down);
  });

  it('distrusts the worker\'s answer: version, count, dimension, bytes and finite numbers', async () => {
    const good = { v: 1, ok: true, count: 1, dimension: DIMENSION, vectors: encodeVectors(Float32Array.from(vectorOf('a'))), cold: false, computeMs: 1 };
    const cases: [string, unknown, UpstreamFailure][] = [
      ['another version', { ...good, v: 2 }, UpstreamFailure.badResponse],
      ['a wrong count', { ...good, count: 2 }, UpstreamFailure.badResponse],
      ['a wrong dimension', { ...good, dimension: 3, vectors: encodeVectors(new Float32Array(3)) }, UpstreamFailure.badResponse],
      ['too few bytes', { ...good, vectors: encodeVectors(new Float32Array(3)) }, UpstreamFailure.badResponse],
      ['a NaN', { ...good, vectors: encodeVectors(Float32Array.from([1, Number.NaN, 0, 0])) }, UpstreamFailure.badResponse],
      ['an infinity', { ...good, vectors: encodeVectors(Float32Array.from([1, Number.POSITIVE_INFINITY, 0, 0])) }, UpstreamFailure.badResponse],
      ['not JSON', 'not json', UpstreamFailure.badResponse],
      ['a worker without its model', { v: 1, ok: false, code: 'model_unavailable', message: 'x', cold: true }, UpstreamFailure.status],
    ];
    for (const [what, body, reason] of cases) {
      const { fake, upstream } = await upstreamAgainst(() => ({ body }));
      closers.push(() => fake.close());
      assert.equal((await rejection(upstream.embed(['a'], call))).reason, reason, what);
    }
    const { fake, upstream } = await upstreamAgainst(() => ({ body: { v: 1, ok: false, code: 'model_unavailable', message: 'x', cold: true } }));
    closers.push(() => fake.close());
    assert.ok((await rejection(upstream.embed(['a'], call))).isRetryable, 'another environment may have its model');
  });

  it('probes without an invoke while healthy, with an empty one after a failure', async () => {
    let fail = true;
    const worker = workerFunction();
    const { fake, upstream } = await upstreamAgainst(async (payload) => (fail
      ? { status: 429, headers: { 'x-amzn-errortype': 'TooManyRequestsException' }, body: {} }
      : { body: await worker(payload) }));
    closers.push(() => fake.close());
    assert.equal((await upstream.ping({ timeoutMs: 5_000 })).state, HealthState.healthy);
    assert.equal(fake.invokes.length, 0);
    await rejection(upstream.embed(['a'], call));
    assert.equal((await upstream.ping({ timeoutMs: 5_000 })).state, HealthState.unhealthy);
    fail = false;
    assert.equal((await upstream.ping({ timeoutMs: 5_000 })).state, HealthState.healthy);
    assert.deepEqual(fake.invokes.at(-1)!.payload, { v: 1, texts: [] });
    const invokes = fake.invokes.length;
    assert.equal((await upstream.ping({ timeoutMs: 5_000 })).state, HealthState.healthy);
    assert.equal(fake.invokes.length, invokes);
  });
});
