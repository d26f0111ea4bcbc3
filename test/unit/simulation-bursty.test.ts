/**
 * The committed scenario reproduces the seed's recommendation as numbers, for bursty on-demand load, and what
 * issues 18 and 19 add to it: reactive CPU scaling alone misses the SLO in the unannounced spikes;
 * backlog scaling misses it by less; an overflow tier meets it, and a Lambda function does so for
 * at most 60% of the always-on GPU's daily cost.
 * One file per scenario: each simulates a day on 1M requests (about 25 s for this one's nine policies).
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { cheapestMeetingSlo } from '../../tools/simulate/report';
import { parseScenario } from '../../tools/simulate/scenario';
import { simulateScenario } from '../../tools/simulate/simulate';

const load = (name: string) => simulateScenario(parseScenario(readFileSync(new URL(`../../tools/simulate/scenarios/${name}.json`, import.meta.url), 'utf8')));
/** Issue 19's target: Lambda overflow meets the SLO at no more than this share of the GPU overflow's cost. */
const LAMBDA_COST_SHARE = 0.6;

describe('seed recommendation', () => {
  const result = load('bursty-on-demand');
  const policy = (name: string) => {
    const found = result.policies.find((item) => item.name === name);
    assert.ok(found, name);
    return found;
  };

  test('bursty on-demand: an overflow tier is needed; Lambda overflow is the cheapest policy meeting the SLO', () => {
    assert.equal(cheapestMeetingSlo(result), 'backlog + Lambda, 250 ms');
    assert.equal(policy('CPU HPA 2-10 (seed)').meetsSlo, false, 'reactive CPU scaling alone misses the SLO in the unannounced spikes');
    assert.equal(policy('+ GPU overflow (1 GPU)').meetsSlo, true);
  });

  test('backlog scaling refuses fewer requests than the seed\'s CPU HPA with the same warm-up, for a little more', () => {
    const hpa = policy('+ scheduled warm-up');
    const backlog = policy('CPU backlog 2-10 + warm-up');
    assert.ok(backlog.rejected < hpa.rejected / 2, `429s: backlog ${backlog.rejected}, HPA ${hpa.rejected}`);
    assert.ok(backlog.shareOverSlo < hpa.shareOverSlo / 2);
    assert.ok(backlog.costDollars > hpa.costDollars, 'it starts instances sooner, so it pays for them sooner');
  });

  test('Lambda overflow meets the SLO at no more than 60% of the GPU overflow\'s daily cost', () => {
    const gpu = policy('+ GPU overflow (1 GPU)');
    for (const name of ['+ Lambda, spill at 250 ms', 'backlog + Lambda, 250 ms']) {
      const lambda = policy(name);
      assert.equal(lambda.meetsSlo, true, name);
      assert.equal(lambda.rejected, 0, name);
      assert.ok(lambda.costDollars <= gpu.costDollars * LAMBDA_COST_SHARE, `${name}: $${lambda.costDollars} against $${gpu.costDollars}`);
      assert.ok(lambda.lambdaCostDollars > 0 && lambda.instanceHours.gpu === 0, name);
    }
  });
});
