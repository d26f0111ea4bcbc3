/**
 * The committed scenario reproduces the seed's recommendation as numbers, for bursty on-demand load: CPU autoscaling with GPU overflow is the cheapest policy
 * that meets the SLO.
 * One file per scenario: each simulates a day on 1M requests (about 11 s).
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { cheapestMeetingSlo } from '../../tools/simulate/report';
import { parseScenario } from '../../tools/simulate/scenario';
import { simulateScenario } from '../../tools/simulate/simulate';

const load = (name: string) => simulateScenario(parseScenario(readFileSync(new URL(`../../tools/simulate/scenarios/${name}.json`, import.meta.url), 'utf8')));

describe('seed recommendation', () => {
  test('bursty on-demand: CPU autoscaling plus overflow is the cheapest policy meeting the SLO', () => {
    const result = load('bursty-on-demand');
    assert.equal(cheapestMeetingSlo(result), '+ GPU overflow (1 GPU)');
    const seed = result.policies.find((policy) => policy.name === 'CPU HPA 2-10 (seed)');
    assert.equal(seed?.meetsSlo, false, 'reactive CPU scaling alone misses the SLO in the unannounced spikes');
  });
});
