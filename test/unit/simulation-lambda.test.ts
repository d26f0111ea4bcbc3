/**
 * The simulator's Lambda overflow tier: environments started on demand with a billed init, the
 * reserved-concurrency cap, the scaling rate, idle reclaim, throughput from vCPUs and the price.
 * Time is the numbers passed in; nothing waits.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { LAMBDA_DEFAULTS, type LambdaModel } from '../../tools/simulate/defaults';
import { LambdaSim, lambdaInstanceModel, lambdaVcpus } from '../../tools/simulate/lambda-sim';
import { createRng } from '../../tools/simulate/rng';
import { parseScenario } from '../../tools/simulate/scenario';
import { simulateScenario } from '../../tools/simulate/simulate';

const MODEL: LambdaModel = {
  ...LAMBDA_DEFAULTS, memoryMb: 3_538, chunksPerSecondPerVcpu: 100, invokeOverheadMs: 20, handlerOverheadMs: 5,
  batchSize: 10, initSeconds: { min: 2, max: 2 }, idleMinutes: 5, scalingPer10Seconds: 3,
};
/** One request of 10 texts per index. */
const sim = (reservedConcurrency: number, requests = 20, model = MODEL) =>
  new LambdaSim(model, { reservedConcurrency }, new Int32Array(requests).fill(10), createRng(1));

describe('Lambda tier model', () => {
  test('CPU in proportion to memory: 1 vCPU at 1,769 MB, 6 at most', () => {
    assert.equal(lambdaVcpus(1_769), 1);
    assert.equal(lambdaVcpus(3_538), 2);
    assert.equal(lambdaVcpus(10_240), 10_240 / 1_769);
    assert.equal(lambdaVcpus(20_000), 6);
    // 100 chunks/s per vCPU at 2 vCPUs: 5 ms per text, plus 25 ms per invoke.
    const model = lambdaInstanceModel(MODEL);
    assert.equal(model.perTextMs, 5);
    assert.equal(model.baseMs, 25);
  });

  test('a new environment runs its init before the batch, and the init is billed; a warm one does not', () => {
    const lambda = sim(10);
    lambda.enqueue(0);
    const first = lambda.takeBatch(0);
    assert.ok(first);
    assert.equal(first.durationMs, 2_000 + 25 + 50);
    lambda.finishBatch(first.durationMs, first);
    lambda.enqueue(1);
    const second = lambda.takeBatch(3_000);
    assert.equal(second?.instance.id, first.instance.id, 'the idle environment is reused');
    assert.equal(second?.durationMs, 75);
    assert.equal(lambda.coldStarts, 1);
    assert.equal(lambda.invocations, 2);
    // Billed: init + handler time, not the 20 ms outside the function.
    assert.equal(lambda.billedMs, 2_000 + 5 + 50 + 5 + 50);
    const gbSeconds = (lambda.billedMs / 1_000) * (3_538 / 1_024);
    assert.equal(lambda.costDollars, gbSeconds * MODEL.dollarsPerGbSecond + 2 * MODEL.dollarsPerMillionRequests / 1e6);
  });

  test('reserved concurrency caps the environments, and the scaling rate caps how fast they start', () => {
    const capped = sim(2);
    for (let request = 0; request < 5; request++) capped.enqueue(request);
    assert.ok(capped.takeBatch(0));
    assert.ok(capped.takeBatch(0));
    assert.equal(capped.takeBatch(0), undefined, 'a third invoke would pass the reserved concurrency');
    assert.equal(capped.instances.length, 2);

    const rated = sim(100);
    for (let request = 0; request < 10; request++) rated.enqueue(request);
    for (let index = 0; index < 3; index++) assert.ok(rated.takeBatch(0));
    assert.equal(rated.takeBatch(9_999), undefined, 'three new environments per 10 s');
    assert.ok(rated.takeBatch(10_000), 'the next window allows more');
  });

  test('idle environments are reclaimed after idleMinutes, so the next invoke starts cold', () => {
    const lambda = sim(10);
    lambda.enqueue(0);
    const batch = lambda.takeBatch(0);
    assert.ok(batch);
    lambda.finishBatch(batch.durationMs, batch);
    lambda.reap(batch.durationMs + 5 * 60_000 - 1);
    assert.equal(lambda.instances.length, 1, 'kept while within the idle time');
    lambda.reap(batch.durationMs + 5 * 60_000 + 1);
    assert.equal(lambda.instances.length, 0);
    lambda.enqueue(1);
    assert.equal(lambda.takeBatch(400_000)?.durationMs, 2_075);
    assert.equal(lambda.coldStarts, 2);
  });

  test('the drain estimate counts all reserved slots, as the front door counts the endpoint\'s N slots', () => {
    const lambda = sim(4);
    // 40 texts over 4 slots of 10-text invokes: 10 / (25 + 50 ms) per slot.
    assert.equal(lambda.drainMs(40), 40 / (4 * (10 / 75)));
  });

  test('a policy with a Lambda overflow function spills to it, pays for it and costs nothing idle', () => {
    const scenario = (chunksPerSecond: number) => parseScenario(JSON.stringify({
      name: 't', hours: 0.25, slo: { latencyMs: 1000, maxShareOver: 0.01 },
      tiers: { lambda: { memoryMb: 1769, chunksPerSecondPerVcpu: 300, initSeconds: { min: 1, max: 1 } } },
      load: [{ kind: 'steady', chunksPerSecond, textsPerRequest: { min: 1, max: 64 } }],
      policies: [
        { name: 'cpu', cpu: { kind: 'fixed', instances: 2 } },
        { name: 'lambda', cpu: { kind: 'fixed', instances: 2 }, lambda: { reservedConcurrency: 50 }, overflow: true },
      ],
    }));
    const busy = simulateScenario(scenario(2_500));
    const [cpu, lambda] = busy.policies;
    assert.ok(cpu !== undefined && lambda !== undefined);
    assert.ok(cpu.rejected > 100, `CPU alone refuses (${cpu.rejected})`);
    assert.equal(lambda.rejected, 0);
    assert.ok(lambda.spilled > 0 && lambda.lambdaGbHours > 0 && lambda.lambdaCostDollars > 0);
    assert.equal(lambda.costDollars, cpu.costDollars + lambda.lambdaCostDollars);
    assert.ok(lambda.series.some((point) => point.lambdaEnvironments > 0));

    const idle = simulateScenario(scenario(0)).policies[1];
    assert.equal(idle?.lambdaCostDollars, 0, 'no invoke, no cost');
    assert.equal(idle?.costDollars, cpu.costDollars, 'the idle day costs the CPU tier alone');
  });

  test('a scenario refuses a Lambda function beside a GPU tier, or without overflow', () => {
    assert.throws(() => parseScenario(JSON.stringify({
      name: 't', slo: { latencyMs: 1000, maxShareOver: 0.01 }, load: [{ kind: 'steady', chunksPerSecond: 10, textsPerRequest: 1 }],
      tiers: { lambda: { memoryMb: 20_000 } },
      policies: [
        { name: 'both', cpu: { kind: 'fixed', instances: 1 }, gpu: { kind: 'fixed', instances: 1 }, lambda: { reservedConcurrency: 5 }, overflow: true },
        { name: 'no overflow', cpu: { kind: 'fixed', instances: 1 }, lambda: { reservedConcurrency: 5 } },
      ],
    })), (error: Error) => {
      for (const expected of ['tiers.lambda.memoryMb: 20000 is not valid', 'policies[0].lambda: takes the overflow tier', 'policies[1].lambda: is an overflow tier']) {
        assert.ok(error.message.includes(expected), `${expected} in\n${error.message}`);
      }
      return true;
    });
  });
});
