/** The soak benchmark's arithmetic: VmRSS parsing and growth after warm-up. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseVmRssMiB, renderSoakReport, rssGrowth } from '../../tools/bench/soak-report';

test('VmRSS is read from /proc/<pid>/status in MiB', () => {
  assert.equal(parseVmRssMiB('Name:\tnode\nVmPeak:\t  999 kB\nVmRSS:\t  204800 kB\nThreads:\t11\n'), 200);
  assert.equal(parseVmRssMiB('Name:\tzombie\n'), undefined);
});

test('RSS growth compares the medians of a window after warm-up and of the last window', () => {
  const samples = [{ atS: 1, rssMiB: 50 }, { atS: 30, rssMiB: 100 }, { atS: 31, rssMiB: 90 }, { atS: 32, rssMiB: 130 },
    { atS: 70, rssMiB: 105 }, { atS: 71, rssMiB: 160 }, { atS: 72, rssMiB: 100 }];
  assert.deepEqual(rssGrowth(samples, 30, 10), { from: 100, to: 105, percent: 5 });
  assert.deepEqual(rssGrowth([], 30), { from: undefined, to: undefined, percent: undefined });
});

test('the report says whether the targets were met', () => {
  const base = {
    date: 'd', durationS: 60, warmupS: 30, clients: 32, textsPerRequest: 8, offeredTextsPerS: 1905, capacityTextsPerS: 2381,
    requests: 10, okRequests: 10, textsPerS: 80, errors: {}, errorCount: 0, unfinished: 0, p50Ms: 1, p99Ms: 2,
    frontDoorCpuPercent: 20, rssAtStartMiB: 90, rssAfterWarmupMiB: 100, rssAtEndMiB: 105, rssMaxMiB: 106, rssGrowthPercent: 5, samples: [],
  };
  assert.match(renderSoakReport(base), /RSS growth after warm-up \| 5\.0% \| < 10% \(met\)/);
  assert.match(renderSoakReport({ ...base, errorCount: 1, errors: { 'status 503': 1 } }), /status 503: 1.*\(MISSED\)/);
});
