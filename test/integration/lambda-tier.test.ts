/**
 * The lambda:// tier end to end, locally: the embedding worker runs under serverless-offline with
 * the tiny test model, a front door's CPU tier is one slow, one-slot simulated DJL instance and its
 * overflow tier `lambda://embed-front-door-dev-embed-worker?concurrency=2`, reached through the real
 * @aws-sdk/client-lambda at serverless-offline's invoke API (AWS_ENDPOINT_URL_LAMBDA, dummy
 * credentials). A burst beyond the CPU tier's capacity is answered with no error, partly by the
 * worker (its vectors are the tiny model's, the simulator's are not), the worker's cold start is
 * recorded, and once the burst is over traffic returns to the CPU tier.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { DJL_PROFILES, type DjlSimulator, simulatedEmbedding, startDjlSimulator } from '../../tools/djl-simulator/djl-simulator';
import { expectedVector, TINY_CASES, TINY_DIMENSION, type TinyModelDir, writeTinyModel } from '../../tools/fixtures/tiny-model';
import { eventually } from '../helpers/eventually';
import { post, startFrontDoor, type TestFrontDoor } from '../helpers/front-door';
import { OFFLINE_READY_TIMEOUT_MS, type ServerlessOffline, startServerlessOffline } from '../helpers/serverless-offline';

/** The name serverless-offline gives the function, as a deploy would: service-stage-function. */
const WORKER_FUNCTION = 'embed-front-door-dev-embed-worker';
const BURST_REQUESTS = 24;
const TEXTS_PER_REQUEST = 3;
const TOLERANCE = 1e-5;
/** The vector each backend gives a text: the tiny model's (worker) or the simulator's. */
const CASES = TINY_CASES.filter((entry) => entry.text !== ''); // the API refuses empty texts
const WORKER_VECTORS = new Map(CASES.map((entry) => [entry.text, expectedVector(entry.ids)]));

function close(actual: readonly number[], expected: readonly number[]): boolean {
  return actual.length === expected.length && actual.every((x, index) => Math.abs(x - expected[index]!) < TOLERANCE);
}

describe('the lambda:// overflow tier under serverless-offline', { timeout: OFFLINE_READY_TIMEOUT_MS + 120_000 }, () => {
  let model: TinyModelDir;
  let offline: ServerlessOffline;
  let sim: DjlSimulator;
  let frontDoor: TestFrontDoor;

  before(async () => {
    model = await writeTinyModel();
    offline = await startServerlessOffline({ WORKER_MODEL_DIR: model.dir, LOG_LEVEL: 'warn' });
    // Read by the SDK's own configuration chain when the first invoke builds the client.
    Object.assign(process.env, {
      AWS_ENDPOINT_URL_LAMBDA: offline.lambdaUrl, AWS_REGION: 'us-east-1', AWS_ACCESS_KEY_ID: 'AKIDOFFLINE', AWS_SECRET_ACCESS_KEY: 'offline-secret',
    });
    // Slow and one batch at a time: a burst queues behind it.
    sim = await startDjlSimulator({ ...DJL_PROFILES.zero, workers: 1, baseMs: 120, perItemMs: 10, dimension: TINY_DIMENSION });
    frontDoor = await startFrontDoor({
      CPU_BACKENDS: sim.predictionsUrl,
      GPU_BACKENDS: `lambda://${WORKER_FUNCTION}?concurrency=2`,
      MODEL_DIMENSION: String(TINY_DIMENSION),
      CPU_MAX_INFLIGHT: '1',
      CPU_BATCH_SIZE: '4',
      GPU_BATCH_SIZE: '8',
      OVERFLOW_WAIT_MS: '100',
      OVERFLOW_RESUME_WAIT_MS: '50',
      OVERFLOW_HOLD_MS: '1000',
      // A loaded machine's serverless-offline can take seconds for the worker's first invoke.
      REQUEST_TIMEOUT_MS: '60000',
      GPU_BUDGET_PERCENT: '90',
    });
  });

  after(async () => {
    await frontDoor?.close();
    await sim?.close();
    await offline?.stop();
    await model?.remove();
  });

  const embed = async (texts: string[]) => {
    const response = await post(`${frontDoor.url}/embed`, { inputs: texts });
    assert.equal(response.status, 200, response.text);
    const tier = response.headers.get('x-embed-tier');
    const vectors = response.body as number[][];
    texts.forEach((text, index) => {
      const expected = tier === 'gpu' ? WORKER_VECTORS.get(text)! : simulatedEmbedding(text, TINY_DIMENSION);
      assert.ok(close(vectors[index]!, expected), `${tier} answered ${JSON.stringify(vectors[index])} for "${text}"`);
    });
    return tier;
  };
  const textsFor = (request: number): string[] =>
    Array.from({ length: TEXTS_PER_REQUEST }, (_, index) => CASES[(request + index) % CASES.length]!.text);

  test('a burst spills to the worker with no error, and traffic returns to the CPU tier after it', async (t) => {
    // The CPU tier's speed is measured before the burst: the policy spills on its estimated wait.
    for (let request = 0; request < 3; request++) assert.equal(await embed(textsFor(request)), 'cpu');

    const tiers = await Promise.all(Array.from({ length: BURST_REQUESTS }, (_, request) => embed(textsFor(request))));
    const byWorker = tiers.filter((tier) => tier === 'gpu').length;
    t.diagnostic(`${byWorker} of ${BURST_REQUESTS} burst requests answered by the worker; cold starts ${JSON.stringify(frontDoor.deps.tiers.gpu.coldStarts.stats())}`);
    assert.ok(byWorker > 0, `no request of the burst reached the worker: ${tiers.join(', ')}`);
    assert.ok(tiers.includes('cpu'), 'the CPU tier kept serving during the burst');
    assert.ok(frontDoor.deps.tiers.gpu.coldStarts.stats().count >= 1, 'the worker\'s cold start was recorded');
    assert.match(offline.output(), /embed-worker/);

    await eventually(async () => {
      const info = await (await fetch(`${frontDoor.url}/info`)).json() as { overflow_active?: boolean };
      assert.equal(info.overflow_active, false);
    }, { message: 'the overflow to end after the burst' });
    for (let request = 0; request < 3; request++) assert.equal(await embed(textsFor(request)), 'cpu');
  });
});
