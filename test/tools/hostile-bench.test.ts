/**
 * `npm run bench:hostile -- --quick` replays every attack of issue 17 against the real front door
 * process and writes a report with a row per target. Only the structure and the outcomes the
 * defences guarantee are checked (a huge backend answer is a 502 backend_response_too_large, a new
 * client beyond MAX_CONNECTIONS is refused while the established one is served, the empty-object
 * bodies are 400s): timings belong to the benchmark, on a shared machine they are not asserted.
 * Also the pure parts: the options, the bodies, /proc parsing and the verdicts.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { emptyObjectsBody } from '../../tools/bench/hostile-cpu';
import { HOSTILE_SHAPES, parseHostileOptions } from '../../tools/bench/hostile-options';
import { errorCodeIn, parseProcMemory } from '../../tools/bench/hostile-probes';
import { targetRows, type HostileReport } from '../../tools/bench/hostile-report';
import { uploadBody } from '../../tools/bench/hostile-uploads';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
/** A quick run takes about a minute here; past this it is stopped (SIGTERM: it stops its own children). */
const RUN_LIMIT_MS = 240_000;
const KIB = 1_024;

function runQuick(resultsDir: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, ['--import', 'tsx', 'tools/bench/hostile.ts', '--quick', '--write', '--results', resultsDir],
      { cwd: ROOT, timeout: RUN_LIMIT_MS, killSignal: 'SIGTERM', maxBuffer: 16 * KIB * KIB },
      (error, stdout, stderr) => resolve({ code: error === null ? 0 : typeof error.code === 'number' ? error.code : null, stdout, stderr }));
  });
}

const isNumber = (value: unknown): boolean => typeof value === 'number' && Number.isFinite(value);

describe('npm run bench:hostile', () => {
  test('--quick replays every attack and writes a report with a row per target', { timeout: RUN_LIMIT_MS + 10_000 }, async () => {
    const dir = await mkdtemp(join(tmpdir(), 'hostile-bench-'));
    try {
      const { code, stdout, stderr } = await runQuick(dir);
      assert.equal(code, 0, `${stderr}\n${stdout.slice(-4_000)}`);
      const report = JSON.parse(await readFile(join(dir, 'hostile.json'), 'utf8')) as HostileReport;
      const markdown = await readFile(join(dir, 'hostile.md'), 'utf8');
      assert.deepEqual(report.shape, HOSTILE_SHAPES.quick);
      assert.equal(report.runs.length, 1);
      const [run] = report.runs;
      assert.ok(run);
      assert.deepEqual(run.failures, {});

      // (a) four attacks, every upload answered or counted, peak RSS read from /proc.
      assert.equal(run.uploads?.length, 4);
      for (const upload of run.uploads ?? []) {
        assert.ok(isNumber(upload.peakRssMiB) && isNumber(upload.rssBeforeMiB), JSON.stringify(upload));
        assert.equal(Object.values(upload.outcomes).reduce((sum, count) => sum + count, 0), HOSTILE_SHAPES.quick.uploads);
      }
      // (b) the answer is cut off: a 502 naming why, long before the whole body could be sent.
      assert.equal(run.answer?.clientOutcome, '502 backend_response_too_large');
      assert.ok(isNumber(run.answer.peakRssMiB));
      assert.ok(run.answer.backendBytesSent < HOSTILE_SHAPES.quick.answerBytes, `${run.answer.backendBytesSent} bytes sent`);
      // (c) both tenancies measured, the victim answered in both phases.
      assert.deepEqual(run.fairness?.map((entry) => entry.keys), ['two keys', 'none']);
      for (const entry of run.fairness ?? []) {
        assert.ok(isNumber(entry.unloaded.p50Ms) && isNumber(entry.loaded.p50Ms) && isNumber(entry.limitMs), JSON.stringify(entry));
        assert.ok((entry.loaded.outcomes['200'] ?? 0) > 0 && entry.floodRequests > 0);
      }
      // (d) pings measured under attack; every attack body refused as too many items.
      assert.ok(run.cpu !== undefined && run.cpu.underAttack.pings > 0 && isNumber(run.cpu.underAttack.p99Ms));
      assert.deepEqual(Object.keys(run.cpu.attackOutcomes), ['400 too_many_items']);
      // (e) every new client beyond the cap refused; the established connection still served.
      assert.equal(run.connections?.newClients.length, HOSTILE_SHAPES.quick.newClients);
      assert.ok(run.connections.newClients.every((client) => client.refused && isNumber(client.ms)), JSON.stringify(run.connections.newClients));
      assert.equal(run.connections.establishedStatus, 200);

      for (const label of ['(a) peak RSS', '(b) peak RSS', '(c) victim key p50', '(c) no keys', '(d) /ping p99', '(e) at MAX_CONNECTIONS']) {
        assert.ok(markdown.includes(`| ${label}`), `no ${label} row`);
      }
      assert.match(markdown, /^\d+ of \d+ judged targets met by this checkout\. Load average/m);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('hostile bench parts', () => {
  test('options: --only picks scenarios, a bad one or a missing checkout is named, and only a full run writes', () => {
    const full = parseHostileOptions([]);
    assert.equal(full.kind, 'run');
    assert.equal(full.kind === 'run' && full.options.writeResults, true);
    const only = parseHostileOptions(['--only', 'cpu', '--only', 'answer', '--quick']);
    assert.deepEqual(only.kind === 'run' ? [only.options.scenarios, only.options.writeResults, only.options.shape] : only, [['answer', 'cpu'], false, HOSTILE_SHAPES.quick]);
    const bad = parseHostileOptions(['--only', 'dns', '--repo', '/nonexistent-checkout']);
    assert.equal(bad.kind, 'invalid');
    assert.deepEqual(bad.kind === 'invalid' ? bad.problems : [], [
      '--only: expected uploads, answer, fairness, cpu, connections, got "dns"',
      '--repo: /nonexistent-checkout has no functions/server/main.ts',
    ]);
  });

  test('bodies: uploads are valid JSON of distinct texts near the size asked; the CPU attack is empty objects', () => {
    const body = uploadBody(1_000_000, 100);
    const parsed = JSON.parse(body.toString()) as { input: string[] };
    assert.equal(parsed.input.length, 100);
    assert.equal(new Set(parsed.input).size, 100);
    assert.ok(body.length <= 1_000_000 && body.length > 990_000, String(body.length));
    const attack = emptyObjectsBody(10_000).toString();
    assert.ok(attack.startsWith('{"input":[{},{},') && attack.endsWith('{}]}') && attack.length <= 10_000);
    assert.ok((JSON.parse(attack) as { input: unknown[] }).input.every((item) => typeof item === 'object'));
  });

  test('probes: VmRSS and VmHWM in MiB; an error body\'s code in each dialect', () => {
    assert.deepEqual(parseProcMemory('Name:\tnode\nVmHWM:\t  409600 kB\nVmRSS:\t  102400 kB\n'), { rssMiB: 100, peakMiB: 400 });
    assert.deepEqual(parseProcMemory('Name:\tnode\n'), { rssMiB: undefined, peakMiB: undefined });
    assert.equal(errorCodeIn('{"error":{"message":"m","type":"server_error","param":null,"code":"backend_response_too_large"}}'), 'backend_response_too_large');
    assert.equal(errorCodeIn('{"error":"m","error_type":"Overloaded"}'), 'Overloaded');
    assert.equal(errorCodeIn('{"code":503,"type":"WlmCapacityException","message":"m"}'), 'WlmCapacityException');
    assert.equal(errorCodeIn('not json'), undefined);
  });

  test('verdicts: under the limits met, over them missed, the anonymous flood reported but not judged', () => {
    const phase = (p50Ms: number) => ({ requests: 10, p50Ms, p99Ms: p50Ms, outcomes: { 200: 10 } });
    const flood = { floodRequests: 1, floodOutcomes: {}, limitMs: 146, frontDoorCpuPercent: 90, benchLoopDelayP99Ms: 12, answeredAfterFlood: 0 };
    const rows = targetRows({
      shape: HOSTILE_SHAPES.quick,
      runs: [{
        label: 'this checkout', revision: 'abc', failures: {}, loadAverage: [1, 1],
        answer: { answerBytes: 1, rssBeforeMiB: 100, peakRssMiB: 399, clientOutcome: '502 backend_response_too_large', clientSeconds: 0.1, backendCalls: 1, backendBytesSent: 1 },
        fairness: [
          { keys: 'two keys', unloaded: phase(20), loaded: phase(146), ...flood },
          { keys: 'none', unloaded: phase(20), loaded: phase(7_000), ...flood },
        ],
        cpu: { baseline: { pings: 1, p50Ms: 1, p99Ms: 1, maxMs: 1, failed: 0 }, underAttack: { pings: 1, p50Ms: 50, p99Ms: 50, maxMs: 50, failed: 0 }, attackBodies: 1, attackOutcomes: {}, frontDoorCpuPercent: 100 },
        connections: { maxConnections: 40, idleSockets: 39, newClients: [{ outcome: 'refused (closed)', refused: true, ms: 1 }], establishedStatus: 200, establishedMs: 1, idleStillOpen: 39 },
      }],
    });
    assert.deepEqual(rows.map((row) => [row.target.slice(0, 3), row.verdicts[0]?.met]), [
      ['(b)', true], ['(c)', true], ['(c)', undefined], ['(d)', false], ['(e)', true],
    ]);
  });
});
