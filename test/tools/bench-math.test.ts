/**
 * The benchmark's pure parts: percentiles, the vector counter, flags both ways, tables, nginx's
 * configuration and the target verdicts. The benchmark itself runs with `npm run bench`, not here.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { describe, test } from 'node:test';
import { parseListeningLine } from '../../tools/bench/front-door-process';
import { percentile } from '../../shared/stats/percentile';
import { summarizeLatencies } from '../../tools/load/load-summary';
import { parseLoadResultLine } from '../../tools/bench/load-generator-process';
import type { LoadResult } from '../../tools/bench/load-loop';
import { LOAD_PLAN_DEFAULTS, loadPlanArgs, parseLoadPlan, type LoadPlan } from '../../tools/bench/load-plan';
import { renderNginxConfig } from '../../tools/bench/nginx-config';
import { cpuSecondsOf, mainThreadCpuSeconds, parseMachineBusy, parseProcStat } from '../../tools/bench/process-cpu';
import { cpuPerRequestTable, cpuPerRequestUs, formatCpu, formatErrors, resultsTable } from '../../tools/bench/report-table';
import { formatNumber, formatTable } from '../../tools/report/tables';
import { parseRunOptions } from '../../tools/bench/run-options';
import { expectRun, UsageError } from '../../shared/cli/command-line';
import { parseBackendsLine } from '../../tools/bench/simulator-process';
import { checkTargets, overheadVsDirect } from '../../tools/bench/target-checks';
import { CHUNK_CHARS, chunkText, requestBody } from '../../tools/bench/texts';
import { countTopLevelItems, TopLevelItemCounter } from '../../tools/bench/vector-count';
import { closedLoopLimit, physicalLimit, setupsOf, WORKLOADS, type Cell, type SetupId, type WorkloadId } from '../../tools/bench/workloads';
import { nodeFloorNote } from '../../tools/bench/report-document';

/** A load result with only the figures a test cares about set. */
function result(figures: { chunksPerS?: number; requestsPerS?: number; p50?: number; p99?: number; errorCount?: number }): LoadResult {
  const p50 = figures.p50 ?? 10;
  const p99 = figures.p99 ?? 20;
  return {
    clients: 1, textsPerRequest: 1, intervalMs: 0, targets: 1, windowS: 10,
    requests: 100, okRequests: 100, chunks: 100,
    chunksPerS: figures.chunksPerS ?? 100,
    requestsPerS: figures.requestsPerS ?? 100,
    latencyMs: { count: 100, mean: p50, p50, p90: p99, p99, max: p99 },
    errors: figures.errorCount ? { 'status 503': figures.errorCount } : {},
    errorCount: figures.errorCount ?? 0,
    unfinished: 0,
    cpuPercent: 50,
  };
}

function cell(workload: WorkloadId, setup: SetupId, loadResult: LoadResult | undefined): Cell {
  return {
    workload, setup, result: loadResult, skipped: loadResult === undefined ? 'nginx missing' : undefined,
    cpu: { loadGenerator: 40, simulators: 20, proxy: setup === 'nginx' || setup === 'frontDoor' ? 30 : undefined, machine: 95 },
  };
}

describe('percentile (nearest rank)', () => {
  const sorted = Float64Array.from({ length: 100 }, (_, index) => index + 1);

  test('picks a real sample: the smallest with q of the samples at or below it', () => {
    assert.equal(percentile(sorted, 0.5), 50);
    assert.equal(percentile(sorted, 0.9), 90);
    assert.equal(percentile(sorted, 0.99), 99);
    assert.equal(percentile(sorted, 1), 100);
    assert.equal(percentile(sorted, 0), 1);
    assert.equal(percentile([7], 0.99), 7);
    assert.equal(percentile([1, 2, 3], 0.5), 2);
  });

  test('no samples give NaN; q outside [0, 1] is a mistake', () => {
    assert.ok(Number.isNaN(percentile([], 0.5)));
    assert.throws(() => percentile(sorted, 1.5), RangeError);
    assert.throws(() => percentile(sorted, Number.NaN), RangeError);
  });

  test('summaries sort their own copy', () => {
    const samples = [5, 1, 4, 2, 3];
    const summary = summarizeLatencies(samples);
    assert.deepEqual(samples, [5, 1, 4, 2, 3], 'the caller\'s samples are untouched');
    assert.equal(summary.p50, 3);
    assert.equal(summary.max, 5);
    assert.equal(summary.mean, 3);
    assert.equal(summary.count, 5);
    assert.ok(Number.isNaN(summarizeLatencies([]).p99));
  });
});

describe('top-level item counter', () => {
  test('counts vectors of a nested list, whatever the number format', () => {
    assert.equal(countTopLevelItems('[[0.1,-2E-4,3],[4,5,6]]'), 2);
    assert.equal(countTopLevelItems(' [ [1] , [2], [3] ] '), 3);
    assert.equal(countTopLevelItems('[]'), 0);
    assert.equal(countTopLevelItems('[[]]'), 1);
  });

  test('brackets and commas inside strings do not count; a non-array is undefined', () => {
    assert.equal(countTopLevelItems('["a,b]", "c\\"],["]'), 2);
    assert.equal(countTopLevelItems('{"code":503,"type":"WlmCapacityException","message":"[x, y]"}'), undefined);
    assert.equal(countTopLevelItems('"[1,2]"'), undefined);
    assert.equal(countTopLevelItems(''), undefined);
  });

  test('streams: a body split anywhere counts the same', () => {
    const body = Buffer.from(JSON.stringify([[0.5, -0.25], [1e-7, 2], ['x]', 3]]));
    for (let split = 0; split <= body.length; split++) {
      const counter = new TopLevelItemCounter();
      counter.push(body.subarray(0, split));
      counter.push(body.subarray(split));
      assert.equal(counter.count(), 3, `split at ${split}`);
    }
  });
});

describe('generated texts', () => {
  test('chunk-sized, distinct per client, request and position, valid JSON', () => {
    const texts = new Set([chunkText(0, 0, 0), chunkText(0, 0, 1), chunkText(0, 1, 0), chunkText(1, 0, 0)]);
    assert.equal(texts.size, 4);
    for (const text of texts) assert.equal(text.length, CHUNK_CHARS);
    assert.equal((JSON.parse(requestBody(3, 9, 256)) as string[]).length, 256);
  });
});

describe('load plan flags', () => {
  test('the runner\'s flags read back as the same plan', () => {
    const plan: LoadPlan = { ...LOAD_PLAN_DEFAULTS, urls: ['http://127.0.0.1:1/p', 'http://127.0.0.1:2/p'], clients: 4, intervalMs: 776.5 };
    assert.deepEqual(expectRun(parseLoadPlan(loadPlanArgs(plan))), plan);
  });

  test('every bad flag is reported at once', () => {
    assert.throws(() => expectRun(parseLoadPlan(['--url', 'ftp://x', '--clients', '0', '--duration', '0'])), (error: unknown) => {
      assert.ok(error instanceof UsageError);
      assert.match(error.message, /--url: expected an http\(s\) URL/);
      assert.match(error.message, /--clients: expected a whole number >= 1, got "0"/);
      assert.match(error.message, /--duration: expected a number > 0/);
      return true;
    });
    assert.throws(() => expectRun(parseLoadPlan([])), /at least one target URL/);
  });
});

describe('runner flags', () => {
  test('--only takes ids and letters; --quick shortens cells and does not overwrite results', () => {
    const options = expectRun(parseRunOptions(['--only', 'a,c', '--quick']));
    assert.deepEqual(options.workloads.map((workload) => workload.id), ['a', 'c', 'c-paced']);
    assert.equal(options.durationS, 3);
    assert.equal(options.writeResults, false);
    const full = expectRun(parseRunOptions([]));
    assert.equal(full.workloads.length, 6);
    assert.equal(full.durationS, 10);
    assert.equal(full.writeResults, true);
    assert.equal(expectRun(parseRunOptions(['--duration', '5', '--quick'])).durationS, 5);
  });

  test('the front doors run as their bundles, or through tsx when profiled (the summary names source files)', () => {
    assert.equal(expectRun(parseRunOptions([])).entry, 'bundle');
    assert.equal(expectRun(parseRunOptions(['--entry', 'tsx'])).entry, 'tsx');
    assert.equal(expectRun(parseRunOptions(['--cpu-prof'])).entry, 'tsx');
    assert.throws(() => expectRun(parseRunOptions(['--cpu-prof', '--entry', 'bundle'])), /--cpu-prof needs --entry tsx/);
    assert.throws(() => expectRun(parseRunOptions(['--entry', 'docker'])), /--entry: expected bundle or tsx, got "docker"/);
  });

  test('bad flags are all named', () => {
    assert.throws(() => expectRun(parseRunOptions(['--only', 'e', '--duration', 'x'])), (error: unknown) => {
      assert.ok(error instanceof UsageError);
      assert.match(error.message, /--only: expected workloads among a, b, c, c-paced, d, d-moderate, got "e"/);
      assert.match(error.message, /--duration: expected a number > 0, got "x"/);
      return true;
    });
  });
});

describe('child process output', () => {
  test('the simulator CLI\'s backend line and the front door\'s listening line', () => {
    assert.deepEqual(parseBackendsLine('CPU_BACKENDS=http://127.0.0.1:1/predictions/m,http://127.0.0.1:2/predictions/m'),
      ['http://127.0.0.1:1/predictions/m', 'http://127.0.0.1:2/predictions/m']);
    assert.equal(parseBackendsLine('DJL simulator 1/3: http://127.0.0.1:1/predictions/m  (cpu)'), undefined);
    assert.equal(parseListeningLine('{"time":"t","level":"info","event":"listening","url":"http://127.0.0.1:5"}'), 'http://127.0.0.1:5');
    assert.equal(parseListeningLine('{"event":"no_backends"}'), undefined);
    assert.equal(parseListeningLine('not json'), undefined);
    assert.equal(parseLoadResultLine(JSON.stringify(result({ chunksPerS: 7 })))?.chunksPerS, 7);
    assert.equal(parseLoadResultLine('{"other":1}'), undefined);
  });

  test('/proc/PID/stat: ppid and CPU seconds, even with spaces in the command name', () => {
    const stat = '4242 (nginx: worker (x)) S 4241 4241 1 0 -1 4194560 100 0 0 0 250 50 0 0 20 0 1 0 99 1000 10';
    assert.deepEqual(parseProcStat(stat), { ppid: 4241, cpuSeconds: 3 });
  });

  test("a process's main thread is read from /proc and is part of the whole process's time", { skip: !existsSync('/proc/self/task') && 'no /proc here' }, () => {
    const main = mainThreadCpuSeconds(process.pid);
    const whole = cpuSecondsOf([process.pid]);
    assert.ok(main !== undefined && whole !== undefined, 'both readable');
    assert.ok(main <= whole, `main thread ${main} s within the process's ${whole} s`);
    assert.equal(mainThreadCpuSeconds(2 ** 30), undefined, 'no such process');
  });
});

describe('CPU readings', () => {
  test('/proc/stat: busy seconds of every core, idle and iowait left out', () => {
    const stat = 'cpu  100 5 20 900 30 1 2 3 0 0\ncpu0 50 0 10 450 15 0 1 1 0 0\n';
    assert.equal(parseMachineBusy(stat), (100 + 5 + 20 + 1 + 2 + 3) / 100);
    assert.equal(parseMachineBusy('nothing'), undefined);
  });

  test('a cell\'s CPU: our process groups, and what the rest of the machine used', () => {
    assert.equal(formatCpu({ loadGenerator: 50, simulators: 55, proxy: undefined, machine: 196 }), 'lg 50 · sim 55 · other 91');
    assert.equal(formatCpu({ loadGenerator: 20, simulators: 15, proxy: 62, machine: 90 }), 'lg 20 · sim 15 · proxy 62 · other 0');
    assert.equal(formatCpu({ loadGenerator: undefined, simulators: undefined, proxy: undefined, machine: undefined }), 'n/a');
  });
});

describe('nginx configuration', () => {
  test('the seed\'s Option A plus keep-alive, everything under the prefix, on loopback', () => {
    const config = renderNginxConfig({ backends: ['127.0.0.1:9001', '127.0.0.1:9002'], port: 8123, prefix: '/tmp/p', workerProcesses: 1 });
    assert.match(config, /upstream djl_backend \{\s+least_conn;/);
    assert.match(config, /server 127\.0\.0\.1:9001 max_fails=3 fail_timeout=30s;/);
    assert.match(config, /server 127\.0\.0\.1:9002 max_fails=3 fail_timeout=30s;/);
    assert.match(config, /keepalive 64;/);
    assert.match(config, /proxy_next_upstream error timeout http_502 http_503;/);
    assert.match(config, /proxy_connect_timeout 5s;/);
    assert.match(config, /proxy_read_timeout 60s;/);
    assert.match(config, /proxy_http_version 1\.1;/);
    assert.match(config, /proxy_set_header Connection "";/);
    assert.match(config, /listen 127\.0\.0\.1:8123;/);
    assert.match(config, /daemon off;\nmaster_process on;\nworker_processes 1;/);
    assert.match(config, /pid \/tmp\/p\/nginx\.pid;/);
    for (const path of ['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi']) {
      assert.match(config, new RegExp(`${path}_temp_path /tmp/p/`));
    }
  });
});

describe('tables', () => {
  test('numbers: separators, fixed digits, n/a for missing', () => {
    assert.equal(formatNumber(2381.0), '2,381');
    assert.equal(formatNumber(0.456, 2), '0.46');
    assert.equal(formatNumber(Number.NaN), 'n/a');
    assert.equal(formatNumber(undefined), 'n/a');
  });

  test('a Markdown table pads columns, right-aligns numbers, escapes pipes', () => {
    const table = formatTable(['setup', 'req/s'], [['nginx', '1,234'], ['a|b', '5']]);
    assert.equal(table, [
      '| setup | req/s |',
      '| ----- | ----: |',
      '| nginx | 1,234 |',
      '| a\\|b  |     5 |',
    ].join('\n'));
  });

  test('errors list their kinds, most frequent first, and cut-off requests', () => {
    assert.equal(formatErrors(result({})), '0');
    const failing = { ...result({}), errors: { ECONNRESET: 2, 'status 503': 10 }, errorCount: 12, unfinished: 1 };
    assert.equal(formatErrors(failing), '13 (status 503: 10, ECONNRESET: 2, cut off at the end: 1)');
  });

  test('the results table has a row per cell and says why a cell was skipped', () => {
    const table = resultsTable([cell('a', 'direct', result({ chunksPerS: 150 })), cell('a', 'nginx', undefined)]);
    const lines = table.split('\n');
    assert.equal(lines.length, 4);
    assert.match(lines[2] ?? '', /\| a .*direct, 1 instance .*\| +150 \|/);
    assert.match(lines[3] ?? '', /skipped: nginx missing/);
  });
});

describe('target checks', () => {
  const limit = physicalLimit('cpu', 3);
  const passing: Cell[] = [
    cell('a', 'nginx', result({ chunksPerS: 480, p99: 200 })),
    cell('a', 'frontDoor', result({ chunksPerS: 1600, p99: 150 })),
    cell('b', 'nginx', result({ chunksPerS: 450 })),
    cell('b', 'frontDoor', result({ chunksPerS: 2000 })),
    cell('c', 'nginx', result({ p50: 656 })),
    cell('c', 'frontDoor', result({ p50: 440 })),
    cell('c-paced', 'nginx', result({ p50: 660 })),
    cell('c-paced', 'frontDoor', result({ p50: 250 })),
    cell('d', 'nginx', result({ requestsPerS: 4000 })),
    cell('d', 'frontDoor', result({ requestsPerS: 2500 })),
    cell('d-moderate', 'direct', result({ p50: 0.9, p99: 3 })),
    cell('d-moderate', 'nginx', result({ p50: 1.1, p99: 4 })),
    cell('d-moderate', 'frontDoor', result({ p50: 1.3, p99: 5 })),
  ];
  const loopLimit = closedLoopLimit('cpu', 3, 64);
  const byId = (cells: readonly Cell[]): Map<string, ReturnType<typeof checkTargets>[number]> =>
    new Map(checkTargets({ cells, physicalLimit: limit, closedLoopLimit: loopLimit }).map((check) => [check.id, check]));

  test("(a)'s closed-loop limit is 64 clients over 6 slots, batches of 64/6 texts at a + b x 64/6 ms", () => {
    assert.ok(Math.abs(loopLimit - 64_000 / (10.8 + 2.52 * (64 / 6))) < 1e-9, `got ${loopLimit}`);
    assert.ok(loopLimit > 1_650 && loopLimit < 1_750);
  });

  test('CPU per request is the share of a core over the window divided by the requests per second', () => {
    assert.equal(cpuPerRequestUs(50, 1_000), 500);
    assert.equal(cpuPerRequestUs(50, 0), undefined);
    const table = cpuPerRequestTable([
      { ...cell('a', 'nginx', result({ requestsPerS: 450 })), cpu: { loadGenerator: 1, simulators: 1, proxy: 4.5, machine: 10 } },
      { ...cell('a', 'frontDoor', result({ requestsPerS: 1_500 })), cpu: { loadGenerator: 1, simulators: 1, proxy: 30, machine: 40 } },
    ]);
    assert.match(table, /\| a +\| +100 \| +200 \| 2\.00x +\|/);
    const withBaseline = cpuPerRequestTable([
      { ...cell('a', 'nginx', result({ requestsPerS: 450 })), cpu: { loadGenerator: 1, simulators: 1, proxy: 4.5, machine: 10 } },
      { ...cell('a', 'baseline', result({ requestsPerS: 1_000 })), cpu: { loadGenerator: 1, simulators: 1, proxy: 40, machine: 40 } },
      { ...cell('a', 'frontDoor', result({ requestsPerS: 1_500 })), cpu: { loadGenerator: 1, simulators: 1, proxy: 30, machine: 40 } },
    ]);
    assert.match(withBaseline, /\| a +\| +100 \| +200 \| 2\.00x +\| +400 \| 4\.00x +\|/, 'the baseline front door side by side');
    const withNodeProxy = cpuPerRequestTable([
      { ...cell('d', 'nginx', result({ requestsPerS: 1_000 })), cpu: { loadGenerator: 1, simulators: 1, proxy: 5, machine: 10 } },
      { ...cell('d', 'nodeProxy', result({ requestsPerS: 1_000 })), cpu: { loadGenerator: 1, simulators: 1, proxy: 10, machine: 10 } },
      { ...cell('d', 'frontDoor', result({ requestsPerS: 1_000 })), cpu: { loadGenerator: 1, simulators: 1, proxy: 15, machine: 40 } },
    ]);
    assert.match(withNodeProxy, /plain Node proxy µs CPU\/req \| front door \/ plain Node/);
    assert.match(withNodeProxy, /\| d +\| +50 \| +150 \| 3\.00x +\| +100 \| 1\.50x +\|/, 'the plain Node proxy side by side');
    assert.doesNotMatch(withNodeProxy, /main thread/, 'no split without a main-thread reading');
    const withSplit = cpuPerRequestTable([
      { ...cell('a', 'nginx', result({ requestsPerS: 450 })), cpu: { loadGenerator: 1, simulators: 1, proxy: 4.5, machine: 10 } },
      { ...cell('a', 'frontDoor', result({ requestsPerS: 1_500 })), cpu: { loadGenerator: 1, simulators: 1, proxy: 30, proxyMainThread: 25.5, machine: 40 } },
    ]);
    assert.match(withSplit, /front door: main thread \+ other threads/);
    assert.match(withSplit, /\| a +\| +100 \| +200 \| 2\.00x +\| 170 \+ 30 +\|/, 'main thread 170 µs/req, the other threads the rest');
  });

  test('the plain Node proxy runs under the zero-cost workloads only, before the front doors', () => {
    const of = (id: WorkloadId, withBaseline = false): readonly SetupId[] => {
      const workload = WORKLOADS.find((entry) => entry.id === id);
      assert.ok(workload !== undefined);
      return setupsOf(withBaseline, workload);
    };
    assert.deepEqual(of('a'), ['direct', 'nginx', 'pool', 'frontDoor']);
    assert.deepEqual(of('c-paced', true), ['direct', 'nginx', 'pool', 'baseline', 'frontDoor']);
    assert.deepEqual(of('d'), ['direct', 'nginx', 'pool', 'nodeProxy', 'frontDoor']);
    assert.deepEqual(of('d-moderate', true), ['direct', 'nginx', 'pool', 'nodeProxy', 'baseline', 'frontDoor']);
  });

  test('with a plain Node proxy measured, the overhead over it is an informational row', () => {
    const withNode = [...passing, cell('d-moderate', 'nodeProxy', result({ p50: 1.2, p99: 4 }))];
    const check = byId(withNode).get('d-overhead-own');
    assert.equal(check?.pass, true, 'the front door 0.1 ms over the plain Node proxy');
    assert.ok(Math.abs((check?.value ?? 0) - 0.1) < 1e-9);
    assert.match(check?.measured ?? '', /p50 1\.30 ms vs 1\.20 ms plain Node proxy: \+0\.10 ms/);
    assert.match(check?.note ?? '', /informational/);
    assert.equal(byId(passing).has('d-overhead-own'), false, 'no plain Node proxy, no row');
  });

  test("the floor note splits the front door's added latency into a Node hop's and its own", () => {
    const cells = [
      cell('d-moderate', 'direct', result({ p50: 0.5, p99: 2 })),
      { ...cell('d-moderate', 'nodeProxy', result({ p50: 0.8, p99: 3, requestsPerS: 400 })), cpu: { loadGenerator: 8, simulators: 10, proxy: 10, machine: 30 } },
      { ...cell('d-moderate', 'frontDoor', result({ p50: 1.2, p99: 4, requestsPerS: 400 })), cpu: { loadGenerator: 8, simulators: 10, proxy: 20, machine: 40 } },
    ];
    const note = nodeFloorNote(cells, overheadVsDirect(cells, 'd-moderate'));
    assert.match(note, /it added \+0\.30 ms at the median using 250 µs of CPU a request, and the front door \+0\.70 ms using 500 µs/);
    assert.match(note, /added \+0\.40 ms over it/);
    assert.equal(nodeFloorNote(cells.filter((entry) => entry.setup !== 'nodeProxy'), overheadVsDirect(cells, 'a')), '', 'no plain Node proxy, no note');
  });

  test('the physical limit of three CPU instances is about 2,400 chunks/s', () => {
    assert.ok(Math.abs(limit - 2381) < 1, `got ${limit}`);
  });

  test('every target met, with its ratio', () => {
    const checks = byId(passing);
    assert.equal(checks.size, 10);
    for (const [id, check] of checks) {
      if (id === 'c-p50') continue;
      assert.equal(check.pass, true, `${id}: ${check.measured}`);
    }
    assert.ok(Math.abs((checks.get('a-throughput')?.value ?? 0) - 1600 / 480) < 1e-9);
    assert.ok(Math.abs((checks.get('a-closed-loop')?.value ?? 0) - 1600 / loopLimit) < 1e-9);
    assert.equal(checks.get('a-cpu')?.value, 1, 'both proxies at 30% of a core for 100 req/s');
    assert.ok(Math.abs((checks.get('d-overhead')?.value ?? 0) - 0.4) < 1e-9);
    assert.equal(checks.get('c-p50')?.pass, false, '440/656 is above 0.45');
    assert.match(checks.get('c-p50')?.note ?? '', /informational/);
  });

  test('each target fails on its own threshold', () => {
    const replace = (workload: WorkloadId, setup: SetupId, loadResult: LoadResult): Cell[] =>
      passing.map((entry) => (entry.workload === workload && entry.setup === setup ? cell(workload, setup, loadResult) : entry));
    assert.equal(byId(replace('a', 'frontDoor', result({ chunksPerS: 1550, p99: 150 }))).get('a-throughput')?.pass, false, '1550 is 3.23x of 480');
    const underLimit = byId(replace('a', 'nginx', result({ chunksPerS: 400, p99: 200 })).map((entry) =>
      (entry.workload === 'a' && entry.setup === 'frontDoor' ? cell('a', 'frontDoor', result({ chunksPerS: 1500, p99: 150 })) : entry)));
    assert.equal(underLimit.get('a-throughput')?.pass, true, '1500 is 3.75x of 400');
    assert.equal(underLimit.get('a-closed-loop')?.pass, false, '1500 is under 90% of about 1,700');
    const costly = passing.map((entry) => (entry.workload === 'a' && entry.setup === 'frontDoor'
      ? { ...entry, cpu: { ...entry.cpu, proxy: 61 } } : entry));
    assert.equal(byId(costly).get('a-cpu')?.pass, false, '61% against 30% at the same req/s is 2.03x');
    assert.equal(byId(replace('a', 'frontDoor', result({ chunksPerS: 1500, p99: 201 }))).get('a-p99')?.pass, false);
    const slowB = byId(replace('b', 'frontDoor', result({ chunksPerS: 1850 })));
    assert.equal(slowB.get('b-throughput')?.pass, true, '1850 is still 4.1x of 450');
    assert.equal(slowB.get('b-limit')?.pass, false, '1850 is under 80% of 2381');
    assert.equal(byId(replace('c-paced', 'frontDoor', result({ p50: 300 }))).get('c-paced-p50')?.pass, false);
    assert.equal(byId(replace('d-moderate', 'frontDoor', result({ p50: 1.45 }))).get('d-overhead')?.pass, false);
    assert.equal(byId(replace('d', 'frontDoor', result({ requestsPerS: 1999 }))).get('d-requests')?.pass, false);
  });

  test('errors in the front door cell fail a target its numbers would meet', () => {
    const withErrors = passing.map((entry) =>
      (entry.workload === 'a' && entry.setup === 'frontDoor' ? cell('a', 'frontDoor', result({ chunksPerS: 1500, p99: 150, errorCount: 3 })) : entry));
    const check = byId(withErrors).get('a-throughput');
    assert.equal(check?.pass, false);
    assert.match(check?.measured ?? '', /3 errors/);
  });

  test('a target without its cells is n/a, never a pass', () => {
    const withoutNginx = passing.filter((entry) => entry.setup !== 'nginx');
    const checks = byId(withoutNginx);
    assert.equal(checks.get('a-throughput')?.pass, undefined);
    assert.match(checks.get('a-throughput')?.measured ?? '', /not measured/);
    assert.equal(checks.get('d-overhead')?.pass, true, 'overhead needs only direct and the front door');
  });

  test('overhead is each setup\'s p50/p99 minus direct\'s at the same load', () => {
    const overhead = overheadVsDirect(passing, 'd-moderate');
    assert.deepEqual(overhead.map((entry) => entry.setup), ['nginx', 'frontDoor']);
    assert.ok(Math.abs((overhead[1]?.addedP50Ms ?? 0) - 0.4) < 1e-9);
    assert.ok(Math.abs((overhead[1]?.addedP99Ms ?? 0) - 2) < 1e-9);
    assert.deepEqual(overheadVsDirect(passing, 'a'), [], 'no direct cell, no overhead');
  });
});
