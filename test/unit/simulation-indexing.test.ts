/**
 * The committed scenario reproduces the seed's recommendation as numbers, for 24/7 indexing: a GPU is the cheapest policy that meets the SLO.
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
  test('24/7 indexing: a GPU is the cheapest policy meeting the SLO', () => {
    assert.equal(cheapestMeetingSlo(load('indexing-24-7')), 'GPU only, 1 fixed');
  });
});
