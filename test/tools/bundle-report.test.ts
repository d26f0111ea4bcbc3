/** The bundle benchmark's pure helpers: statistics, order, verdicts, the banner, and the undici variant's source. */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { packageOf, serverlessBanner, transportVariantSource } from '../../tools/bench/bundle-build';
import {
  coldStartBudgetChecks, contentChecks, formatKb, formatRatio, issueCalibration, ratio, roundRobinOrder, sdkChunksLoaded, summarizeTimes,
  type ColdStartFigures, type VariantReport,
} from '../../tools/bench/bundle-report';
import { REPO_ROOT } from '../../tools/bench/repo-paths';

describe('summarizeTimes', () => {
  test('nearest-rank median and p90 of unsorted samples: each a real sample', () => {
    const summary = summarizeTimes([9, 1, 8, 2, 7, 3, 6, 4, 5, 10]);
    assert.deepEqual(summary, { count: 10, median: 5, p90: 9, min: 1, max: 10 });
  });

  test('no samples: NaN, never a fake 0', () => {
    const summary = summarizeTimes([]);
    assert.equal(summary.count, 0);
    assert.ok(Number.isNaN(summary.median) && Number.isNaN(summary.p90));
  });
});

describe('formatting and ratios', () => {
  test('ratio is NaN for a base that is not positive; formatting shows n/a', () => {
    assert.equal(ratio(30, 10), 3);
    assert.ok(Number.isNaN(ratio(30, 0)));
    assert.equal(formatRatio(1.8449), '1.84x');
    assert.equal(formatRatio(Number.NaN), 'n/a');
    assert.equal(formatKb(25_600), '25.0');
  });
});

describe('roundRobinOrder', () => {
  test('every round runs every variant once, each round starting one later', () => {
    const order = roundRobinOrder(3, 4);
    assert.deepEqual(order, [[0, 1, 2], [1, 2, 0], [2, 0, 1], [0, 1, 2]]);
  });
});

describe('coldStartBudgetChecks', () => {
  const times = (median: number, p90: number) => ({ count: 15, median, p90, min: median, max: p90 });
  /** A variant's figures: import medians way 1 (esm) and way 2 (cjs), and import + first request (way 1), when measured. */
  const figures = (esm: number, cjs: number, importPlusRequest?: number): ColdStartFigures => ({
    importMs: { esm: times(esm, esm + 2), cjs: times(cjs, cjs + 2) },
    ...(importPlusRequest === undefined ? {} : {
      firstRequest: { requestMs: times(importPlusRequest - esm, importPlusRequest - esm + 9), importPlusRequestMs: times(importPlusRequest, importPlusRequest + 10), statuses: [200] },
    }),
  });
  // [import + first request <= 2x (a)'s, way-1 import < 22 ms, way-2 import < 22 ms]
  const verdicts = (embed: ColdStartFigures, bare: ColdStartFigures) => coldStartBudgetChecks(embed, bare).map((check) => check.met);
  const bare = figures(3, 7, 30);

  test('all met: import + first request within 2x the bare handler, import under 22 ms both ways', () => {
    assert.deepEqual(verdicts(figures(11, 16, 55), bare), [true, true, true]);
    // At exactly 2x the ratio is met ("at most"); exactly 22 ms is not ("under").
    assert.deepEqual(verdicts(figures(21.9, 21.9, 60), bare), [true, true, true]);
    assert.deepEqual(verdicts(figures(22, 22, 60), bare), [true, false, false]);
  });

  test('import + first request over 2x misses, however large the import-only ratio (no longer a target)', () => {
    assert.deepEqual(verdicts(figures(11, 16, 61), bare), [false, true, true]);
    // 3.7x (a)'s import alone, as measured: not judged.
    assert.deepEqual(verdicts(figures(11, 16, 45), figures(3, 7, 30)), [true, true, true]);
  });

  test('each import way is judged on its own', () => {
    assert.deepEqual(verdicts(figures(11, 23, 55), bare), [true, true, false]);
    assert.deepEqual(verdicts(figures(25, 16, 55), bare), [true, false, true]);
  });

  test('no first request measured for either handler: the ratio is missed, never assumed', () => {
    assert.deepEqual(verdicts(figures(11, 16), bare), [false, true, true]);
    assert.deepEqual(verdicts(figures(11, 16, 55), figures(3, 7)), [false, true, true]);
    assert.match(coldStartBudgetChecks(figures(11, 16), bare)[0]?.measured ?? '', /not measured for \(b\)/);
  });

  test('names the decided budget, the way it judges, and the figures', () => {
    const [ratioCheck, esmImport, cjsImport] = coldStartBudgetChecks(figures(10.9, 16.5, 54.6), figures(3.2, 7, 30));
    for (const check of [ratioCheck, esmImport, cjsImport]) assert.match(check?.target ?? '', /^cold-start budget: /);
    assert.match(ratioCheck?.target ?? '', /import \+ first request median <= 2x, into a running ES module program/);
    assert.match(ratioCheck?.measured ?? '', /^54\.6 \/ 30\.0 ms = 1\.82x \(p90 ratio 1\.61x\)$/);
    assert.match(esmImport?.target ?? '', /import median < 22 ms, into a running ES module program/);
    assert.match(cjsImport?.target ?? '', /import median < 22 ms, first import\(\) of a CommonJS process/);
    assert.equal(cjsImport?.measured, '16.5 ms (p90 18.5)');
  });
});

describe('issueCalibration', () => {
  test("maps the two reference handlers onto the issue's 11 and 87 ms", () => {
    const { scale, fixedMs } = issueCalibration(3, 41);
    assert.equal(scale, 2);
    assert.equal(fixedMs, 5);
    assert.equal(fixedMs + scale * 3, 11);
    assert.equal(fixedMs + scale * 41, 87);
  });

  test('points that do not separate give NaN, never a made-up scale', () => {
    assert.ok(Number.isNaN(issueCalibration(5, 5).scale));
    assert.ok(Number.isNaN(issueCalibration(6, 5).fixedMs));
    assert.ok(Number.isNaN(issueCalibration(Number.NaN, 5).scale));
  });
});

describe('content checks', () => {
  const embed = (overrides: Partial<VariantReport>): VariantReport => ({
    id: 'embed', label: '(b)', entry: 'functions/embed/handler.ts', entryBytes: 1, eagerBytes: 1, eagerFiles: ['entry.mjs', 'chunk-A.mjs'],
    totalJsBytes: 1, sourceMapBytes: 1, zipBytes: 1, zipJsBytes: 1, importMs: { esm: summarizeTimes([1]), cjs: summarizeTimes([1]) }, readyMs: summarizeTimes([1]), samples: { esm: [1], cjs: [1] }, builtinsLoaded: [],
    loadedFiles: ['entry.mjs', 'chunk-A.mjs'], forbidden: [], packageCount: 1, eagerComposition: [], eagerBuiltins: [],
    firstRequest: { requestMs: summarizeTimes([5, 6]), importPlusRequestMs: summarizeTimes([15, 16]), statuses: [200] },
    chunks: [
      { file: 'entry.mjs', bytes: 10, eager: true, cloudSdk: [] },
      { file: 'ecs-source-X.mjs', bytes: 100, eager: false, cloudSdk: ['@aws-sdk'] },
    ],
    ...overrides,
  });

  test('an SDK chunk counts as loaded when it is eager or the trace saw it', () => {
    assert.deepEqual(sdkChunksLoaded(embed({})), []);
    assert.deepEqual(sdkChunksLoaded(embed({ loadedFiles: ['entry.mjs', 'ecs-source-X.mjs'] })), ['ecs-source-X.mjs']);
  });

  test('all met for a clean bundle; each missed when its fault is present', () => {
    assert.deepEqual(contentChecks(embed({})).map((check) => check.met), [true, true, true, true]);
    assert.deepEqual(contentChecks(embed({ forbidden: ['node_modules/openai/index.mjs'] })).map((check) => check.met), [false, true, true, true]);
    const loadedSdk = contentChecks(embed({ loadedFiles: ['entry.mjs', 'chunk-A.mjs', 'ecs-source-X.mjs'] })).map((check) => check.met);
    assert.deepEqual(loadedSdk, [true, false, true, false]);
    const failing = { requestMs: summarizeTimes([5]), importPlusRequestMs: summarizeTimes([15]), statuses: [200, 502] };
    assert.deepEqual(contentChecks(embed({ firstRequest: failing })).map((check) => check.met), [true, true, false, true]);
    const { firstRequest: _unmeasured, ...withoutFirstRequest } = embed({});
    assert.deepEqual(contentChecks(withoutFirstRequest).map((check) => check.met), [true, true, false, true]);
  });
});

describe('bundle inputs', () => {
  test("serverless.yml's banner gives the CommonJS globals without importing a built-in", () => {
    const banner = serverlessBanner(readFileSync(join(REPO_ROOT, 'serverless.yml'), 'utf8'));
    for (const name of ['require', '__filename', '__dirname']) assert.match(banner, new RegExp(`const ${name} = `));
    // An ESM import of a built-in builds a facade over its exports in every chunk: ~1.8 ms of the embed cold start.
    assert.doesNotMatch(banner, /\bimport\s*[{*\w]/);
    assert.throws(() => serverlessBanner('custom: {}'), /no custom.esbuild.banner.js/);
  });

  test('packageOf names scoped and plain packages, and nothing for project files', () => {
    assert.equal(packageOf('node_modules/@aws-sdk/client-ecs/dist-es/index.js'), '@aws-sdk/client-ecs');
    assert.equal(packageOf('node_modules/hono/dist/index.js'), 'hono');
    assert.equal(packageOf('node_modules/a/node_modules/luxon/build/luxon.js'), 'luxon');
    assert.equal(packageOf('shared/upstream/fetch-transport.ts'), undefined);
  });

  test('the transport variants swap only the transport and make imports absolute', () => {
    const source = [
      "import { handle } from 'hono/aws-lambda';",
      "import { createNodeHttpTransport } from '../../shared/upstream/node-http-transport';",
      'const deps = createDependencies(config, { transport: createNodeHttpTransport() });',
    ].join('\n');
    const undici = transportVariantSource(source, '/repo', 'undici');
    assert.match(undici, /import \{ createUndiciTransport \} from '\/repo\/shared\/upstream\/undici-transport';/);
    assert.match(undici, /transport: createUndiciTransport\(\{ connectionsPerOrigin: config\.upstream\.connectionsPerOrigin \}\)/);
    assert.match(undici, /from 'hono\/aws-lambda'/);
    assert.doesNotMatch(undici, /node-http-transport|createNodeHttpTransport/);
    const fetch = transportVariantSource(source, '/repo', 'fetch');
    assert.match(fetch, /import \{ createFetchTransport \} from '\/repo\/shared\/upstream\/fetch-transport';/);
    assert.match(fetch, /transport: createFetchTransport\(\)/);
    assert.throws(() => transportVariantSource('export {}', '/repo', 'fetch'), /no longer has/);
  });

  test('the deployed embed handler is what the variants are made from', () => {
    const handler = readFileSync(join(REPO_ROOT, 'functions/embed/handler.ts'), 'utf8');
    for (const transport of ['fetch', 'undici'] as const) assert.doesNotThrow(() => transportVariantSource(handler, REPO_ROOT, transport));
  });
});
