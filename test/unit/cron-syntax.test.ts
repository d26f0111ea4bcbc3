/** Cron syntax checked without a cron library: what cron-parser accepts passes, mistakes name the field. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { CronExpressionParser } from 'cron-parser';
import { cronSyntaxProblem } from '../../shared/warmup/cron-syntax';

const VALID = ['0 2 * * *', '*/15 * * * *', '30 9 * * 1-5', '0 8 * * mon-fri', '0 0 1 jan,jul *', '5,35 */2 * * *',
  '0 0 L * *', '0 3 ? * 1#2', '0 0 * * 7', '0-30/10 1-5 1-31/2 1-12 0-6'];

describe('cron syntax', () => {
  test('accepts the expressions cron-parser accepts', () => {
    for (const cron of VALID) {
      assert.equal(cronSyntaxProblem(cron), undefined, cron);
      assert.doesNotThrow(() => CronExpressionParser.parse(cron).next(), cron);
    }
  });

  test('names the field and what is wrong', () => {
    assert.equal(cronSyntaxProblem('0 25 * * *'), 'hour "25": 25 is outside 0-23');
    assert.equal(cronSyntaxProblem('0 0 2 * * *'), 'expected 5 fields, got 6');
    assert.equal(cronSyntaxProblem('60 * * * *'), 'minute "60": 60 is outside 0-59');
    assert.equal(cronSyntaxProblem('0 0 0 * *'), 'day-of-month "0": 0 is outside 1-31');
    assert.equal(cronSyntaxProblem('0 0 * 13 *'), 'month "13": 13 is outside 1-12');
    assert.equal(cronSyntaxProblem('0 0 * foo *'), 'month "foo": "foo" is not a number or a name');
    assert.equal(cronSyntaxProblem('*/0 * * * *'), 'minute "*/0": step "0" must be a whole number above 0');
    assert.equal(cronSyntaxProblem('0 5-1 * * *'), 'hour "5-1": range "5-1" runs backwards');
    assert.equal(cronSyntaxProblem('0 ? * * *'), 'hour "?": "?" is not a number');
  });
});
