/** The cache benchmark's pure parts: its workloads' share of repeats, and the targets' verdicts. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { CACHE_WORKLOADS, type CacheCell, CacheWorkloadId, judgeCache, REPEAT_POOL, workloadTexts } from '../../tools/bench/cache-workload';

const workload = (id: CacheWorkloadId) => CACHE_WORKLOADS.find((item) => item.id === id)!;

describe('cache benchmark workloads', () => {
  test('half the texts come from the repeated pool, none in the other workload', () => {
    const texts = Array.from({ length: 500 }, (_, sequence) => workloadTexts(workload(CacheWorkloadId.half), 3, sequence, 8)).flat();
    const repeated = texts.filter((text) => text.startsWith('client -1 '));
    assert.ok(Math.abs(repeated.length / texts.length - 0.5) < 0.05, `${repeated.length} of ${texts.length}`);
    assert.ok(new Set(repeated).size <= REPEAT_POOL);
    const unique = texts.filter((text) => !text.startsWith('client -1 '));
    assert.equal(new Set(unique).size, unique.length, 'the rest never repeat');
    const none = Array.from({ length: 100 }, (_, sequence) => workloadTexts(workload(CacheWorkloadId.none), 3, sequence, 8)).flat();
    assert.equal(new Set(none).size, none.length);
  });

  test('verdicts: the speed-up at equal or lower p99, and the cost with no repeats', () => {
    const cell = (workloadId: CacheWorkloadId, setup: CacheCell['setup'], chunksPerS: number, p99Ms: number): CacheCell => ({
      workload: workloadId, setup, chunksPerS, p50Ms: 1, p99Ms, requests: 1, errors: 0, cacheHeaders: {},
    });
    const verdicts = judgeCache([
      cell(CacheWorkloadId.half, 'none', 1000, 100), cell(CacheWorkloadId.half, 'memory', 1900, 90), cell(CacheWorkloadId.half, 'shared', 1900, 120),
      cell(CacheWorkloadId.none, 'none', 1000, 100), cell(CacheWorkloadId.none, 'memory', 960, 100), cell(CacheWorkloadId.none, 'shared', 940, 100),
    ]);
    assert.deepEqual(verdicts.map((verdict) => verdict.met), [true, true, false, false]);
  });
});
