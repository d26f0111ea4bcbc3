/**
 * The JSON pre-scan: nesting, the input list's items and the values of a body, counted in one
 * pass before JSON.parse, stopping at the first bound passed.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseJsonBody } from '../../shared/dialects/read-texts';
import { FrontDoorError } from '../../shared/errors';
import { scanJson } from '../../shared/security/json-depth';

const list = (count: number, item = '"a"'): string => Array(count).fill(item).join(',');

function refusal(fn: () => unknown): FrontDoorError {
  try {
    fn();
  } catch (error) {
    assert.ok(error instanceof FrontDoorError, `expected FrontDoorError, got ${String(error)}`);
    return error;
  }
  assert.fail('expected a refusal');
}

describe('JSON pre-scan', () => {
  test('counts the items of input, inputs and a bare list, outside strings only', () => {
    assert.deepEqual(scanJson(`{"input": [${list(5)}], "model": "m"}`), { depth: 2, items: 5, itemsField: 'input', values: 7 });
    assert.equal(scanJson(`{"inputs":[${list(3, '{"a":[1,2]}')}]}`).items, 3);
    assert.deepEqual(scanJson(`[${list(4)}]`).items, 4);
    assert.equal(scanJson(`[${list(4)}]`).itemsField, undefined);
    assert.equal(scanJson('{"input": [ ]}').items, 0);
    assert.equal(scanJson('{"input": ["x"]}').items, 1);
    // Commas, brackets and escaped quotes inside texts are not items.
    assert.equal(scanJson(JSON.stringify({ input: ['a, b, [c]', 'quote " and \\ ,', '\\', 'd'] })).items, 4);
    // Only the list of texts counts: another key's list, a nested list, a string value named input.
    assert.equal(scanJson(`{"other": [${list(9)}], "input": ["a"]}`).items, 1);
    assert.equal(scanJson(`{"input": [[${list(9)}]]}`).items, 1);
    assert.equal(scanJson(`{"model": "input", "x": [${list(9)}]}`).items, 0);
  });

  test('stops at the first item past maxItems, and at the first value past maxValues', () => {
    const huge = `{"input":[${list(100_000, '{}')}]}`;
    assert.deepEqual(scanJson(huge, { maxItems: 10 }), { depth: 3, items: 11, itemsField: 'input', values: 22 });
    assert.equal(scanJson(`{"input":[[${list(100_000, '{}')}]]}`, { maxItems: 10, maxValues: 50 }).values, 51);
    assert.equal(scanJson('['.repeat(100_000), { maxDepth: 64 }).depth, 65);
  });

  test('parseJsonBody refuses too many items with 400 naming the field and MAX_ITEMS_PER_REQUEST, before parsing', () => {
    // The tail is not JSON: JSON.parse would answer invalid_json, so the answer proves it never ran.
    const error = refusal(() => parseJsonBody(`{"inputs": [${list(5)}, oops`, 4));
    assert.deepEqual([error.status, error.code, error.param], [400, 'too_many_items', 'inputs']);
    assert.match(error.message, /`inputs` has more than the 4 items allowed per request \(MAX_ITEMS_PER_REQUEST\)/);
    const values = refusal(() => parseJsonBody(`{"input": ["a"], "junk": [${list(10_000, '{}')}] oops`, 4));
    assert.deepEqual([values.status, values.code], [400, 'too_many_items']);
    assert.match(values.message, /MAX_ITEMS_PER_REQUEST/);
    // At the limit, the body is parsed as before.
    assert.deepEqual(parseJsonBody(`{"input": [${list(4)}]}`, 4), { input: ['a', 'a', 'a', 'a'] });
    assert.equal(refusal(() => parseJsonBody(`{"input": [${list(4)}], oops`, 4)).code, 'invalid_json');
  });
});
