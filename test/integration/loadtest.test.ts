/**
 * `npm run loadtest` against the DJL simulator: measured capacity matches the simulator's
 * configured one, a sweep recovers its cost model, failures are counted by status, every dialect
 * is spoken (through the real front door), and the reports are written. Library calls in process,
 * plus the CLI once as a child process.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { parseLoadtestArgs, type LoadtestOptions } from '../../tools/loadtest/loadtest-options';
import { writeLoadtestReports } from '../../tools/loadtest/loadtest-output';
import { createProgressBar } from '../../tools/loadtest/loadtest-progress';
import { runLoadtest, type LoadtestResult } from '../../tools/loadtest/loadtest-session';
import { generatedTexts } from '../../tools/loadtest/loadtest-texts';
import { createUndiciTransport } from '../../shared/upstream/undici-transport';
import { startFrontDoor } from '../helpers/front-door';
import {
  DJL_PROFILES, type DjlCostModel, type DjlSimulator, type DjlSimulatorOptions, startDjlSimulator,
} from '../../tools/djl-simulator/djl-simulator';

const run = promisify(execFile);
const CPU = DJL_PROFILES.cpu;
/**
 * The backend of the sweep and the open loop: jobs of 210 to 520 ms, so what a loaded machine adds
 * to a latency (late timers, a starved client: a few ms, 30 at worst under two CPU burners) stays
 * inside the tolerance. With the cpu profile's 13 to 92 ms jobs, two burners made both fail.
 */
const SLOW = { workers: 2, baseMs: 200, perItemMs: 10 } as const satisfies DjlCostModel;
/**
 * The saturating run's backend: 235 ms jobs at batch 32. Throughput needs no precise latencies,
 * only answers less than a job late, and shorter jobs keep a window of many jobs short.
 */
const SATURATED = { workers: 2, baseMs: 75, perItemMs: 5 } as const satisfies DjlCostModel;
/** Short vectors: reading an answer then costs next to nothing, whatever its batch size. */
const SHORT_VECTORS = 8;
const SATURATING_BATCH = 32;
/**
 * Jobs per worker in the saturating window. Where the window's edges fall among the answers is
 * chance, so each worker may show one answer more or less: 2 of 24 is 8%, inside the 10% asked.
 */
const JOBS_IN_WINDOW = 12;
/**
 * The saturating run's warm-up: the process's first request compiles undici's HTTP parser, which
 * took up to 400 ms with two CPU burners; the window must open with both workers already busy.
 */
const SATURATING_WARMUP_S = 1;
const MS_PER_S = 1_000;
/** Short texts: the simulator's cost model does not depend on length, and the generator stays cheap. */
const CHUNK_CHARS = 200;

function optionsOf(argv: readonly string[]): LoadtestOptions {
  const parsed = parseLoadtestArgs(argv);
  if (parsed.kind !== 'run') throw new Error(`bad test flags: ${JSON.stringify(parsed)}`);
  return parsed.options;
}

async function loadtest(argv: readonly string[]): Promise<LoadtestResult> {
  const options = optionsOf(argv);
  const transport = createUndiciTransport({ connectionsPerOrigin: options.concurrency });
  try {
    return await runLoadtest(options, { texts: generatedTexts(CHUNK_CHARS), transport });
  } finally {
    await transport.close();
  }
}

/** A loopback port nothing listens on. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

const jobMs = (cost: DjlCostModel, texts: number): number => cost.baseMs + cost.perItemMs * texts;

/** Runs `use` against a simulator of its own (fresh counters), closed afterwards. */
async function withSimulator<T>(options: Partial<DjlSimulatorOptions>, use: (sim: DjlSimulator) => Promise<T>): Promise<T> {
  const sim = await startDjlSimulator({ dimension: SHORT_VECTORS, ...options });
  try {
    return await use(sim);
  } finally {
    await sim.close();
  }
}

const within = (actual: number, expected: number, tolerance: number, what: string): void => {
  assert.ok(Math.abs(actual - expected) <= expected * tolerance,
    `${what}: measured ${actual.toFixed(3)}, configured ${expected.toFixed(3)} (allowed ±${tolerance * 100}%)`);
};

describe('npm run loadtest against the DJL simulator', () => {
  let sim: DjlSimulator;
  let outDir: string;

  before(async () => {
    sim = await startDjlSimulator({ ...CPU });
    outDir = await mkdtemp(join(tmpdir(), 'loadtest-test-'));
  });
  after(async () => {
    await sim.close();
    await rm(outDir, { recursive: true, force: true });
  });

  test('saturating load at batch 32 measures the configured capacity within 10%', async () => {
    await withSimulator(SATURATED, async (saturated) => {
      const job = jobMs(SATURATED, SATURATING_BATCH);
      const clients = 2 * SATURATED.workers;
      // Two clients per worker: while one job runs the next one waits, so a worker never waits
      // for the client, and the simulator starts each queued job when the last should have ended.
      // Answers then come one job apart, late by less than a job however loaded the machine is.
      const result = await loadtest([
        '--url', saturated.predictionsUrl, '--batch', String(SATURATING_BATCH), '--concurrency', String(clients),
        '--warmup', String(SATURATING_WARMUP_S), '--duration', String((JOBS_IN_WINDOW * job) / MS_PER_S), '--dimension', String(SHORT_VECTORS),
      ]);
      const [only] = result.runs;
      assert.ok(only !== undefined);
      const capacity = (SATURATED.workers * SATURATING_BATCH * MS_PER_S) / job;
      within(only.summary.chunksPerS, capacity, 0.1, 'chunks/s');
      assert.equal(only.summary.errorCount, 0);
      assert.equal(only.summary.chunks, only.summary.okRequests * SATURATING_BATCH);
      // Every answer the tool counted is a job the simulator ran, and so is each client's last
      // request, answered after the window closed.
      const served = saturated.stats;
      assert.deepEqual(served.jobBatchSizes, { [SATURATING_BATCH]: served.jobs });
      assert.ok(served.jobs >= only.summary.okRequests + clients, `${served.jobs} jobs served, ${only.summary.okRequests} counted`);
      // The window is 2.82 s: a point for each whole second, the partial last one left out.
      assert.equal(only.series.length, Math.floor(only.summary.windowS), 'one time-series point per whole second of the window');
    });
  });

  test('a sweep at concurrency = workers recovers a and b within 15%', async () => {
    await withSimulator(SLOW, async (slow) => {
      const result = await loadtest([
        '--url', slow.predictionsUrl, '--sweep', '1,4,16,32', '--concurrency', String(SLOW.workers),
        '--duration', '1', '--warmup', '0.1', '--dimension', String(SHORT_VECTORS),
      ]);
      assert.deepEqual(result.runs.map((r) => r.batch), [1, 4, 16, 32]);
      assert.deepEqual(Object.keys(slow.stats.jobBatchSizes).map(Number), [1, 4, 16, 32], 'each step sent its batch size');
      // Nothing ever queued, so every latency is one job's service time plus what the machine adds.
      assert.equal(slow.stats.maxQueueDepth, 0);
      const [sweep] = result.sweeps;
      assert.ok(sweep?.fit !== undefined, sweep?.problem);
      within(sweep.fit.a, SLOW.baseMs, 0.15, 'a (ms)');
      within(sweep.fit.b, SLOW.perItemMs, 0.15, 'b (ms/text)');
      assert.ok(sweep.fit.r2 > 0.99, `R^2 ${sweep.fit.r2}`);
    });
  });

  test('--rate is an open loop: requests start on schedule, however many are in flight', async () => {
    const rate = 20;
    const durationS = 1;
    const batch = 4;
    // Enough workers that nothing queues, and jobs (240 ms) far longer than the interval (50 ms).
    // With --rate, --concurrency is the connections per origin: enough for every open request.
    const wide = { ...SLOW, workers: 8 };
    const job = jobMs(wide, batch);
    const intervalMs = MS_PER_S / rate;
    await withSimulator(wide, async (slow) => {
      const result = await loadtest([
        '--url', slow.predictionsUrl, '--rate', String(rate), '--batch', String(batch), '--concurrency', String(wide.workers),
        '--duration', String(durationS), '--warmup', '0', '--dimension', String(SHORT_VECTORS),
      ]);
      const [only] = result.runs;
      assert.ok(only !== undefined);
      assert.equal(only.summary.errorCount + only.summary.unfinished, 0, JSON.stringify(only.summary.errors));
      // The schedule alone sets the count, however fast the machine: a closed loop of 8 clients
      // would have sent about 8 * (1 + 1000 / 240) = 41 requests, one of 2 clients about 10.
      assert.equal(slow.stats.requests, rate * durationS, 'one request per interval of the window, no more, no fewer');
      assert.ok(slow.stats.maxInFlight >= Math.floor(job / intervalMs), `requests kept starting with ${slow.stats.maxInFlight} unanswered`);
      // Latency counts from when a request was due: at least its job, and under two jobs, since it
      // was sent when due and waited behind no other.
      const { p50 } = only.summary.latencyMs;
      assert.ok(p50 >= job && p50 < 2 * job, `p50 ${p50} ms for ${job} ms jobs`);
    });
  });

  test('failures are counted by status (503) and by kind (connect), and both land in the reports', async () => {
    const unreachable = `http://127.0.0.1:${await closedPort()}/predictions/all_MiniLM_L6_v2`;
    sim.setFaults({ errorRate: 0.3 });
    let result: LoadtestResult;
    try {
      result = await loadtest(['--url', sim.predictionsUrl, '--url', unreachable, '--batch', '4', '--concurrency', '2', '--duration', '1', '--warmup', '0']);
    } finally {
      sim.setFaults({ errorRate: 0 });
    }
    const [faulty, closed] = result.runs;
    assert.ok(faulty !== undefined && closed !== undefined);
    assert.ok((faulty.summary.errors['503'] ?? 0) > 0, JSON.stringify(faulty.summary.errors));
    assert.ok(faulty.summary.okRequests > 0);
    assert.equal(faulty.summary.errorCount, faulty.summary.errors['503']);
    assert.ok((closed.summary.errors.connect ?? 0) > 0, JSON.stringify(closed.summary.errors));
    assert.equal(closed.summary.okRequests, 0);

    const written = await writeLoadtestReports(result, join(outDir, 'faults'));
    const json = JSON.parse(await readFile(written.json, 'utf8'));
    assert.deepEqual(json.runs.map((r: { url: string }) => r.url), [sim.predictionsUrl, unreachable]);
    assert.equal(json.runs[0].summary.errors['503'], faulty.summary.errors['503']);
    assert.equal(json.runs[1].summary.errors.connect, closed.summary.errors.connect);
    assert.equal(json.runs[0].latencies, undefined, 'raw latencies stay out of the JSON');
  });

  test('every dialect, direct and through the front door, compared in one self-contained report', async () => {
    const frontDoor = await startFrontDoor({ CPU_BACKENDS: sim.predictionsUrl });
    try {
      const urls = [sim.predictionsUrl, `${frontDoor.url}/v1/embeddings`, `${frontDoor.url}/embed`, `${frontDoor.url}/predictions/all_MiniLM_L6_v2`];
      const options = optionsOf([...urls.flatMap((url) => ['--url', url]), '--batch', '8', '--concurrency', '2', '--texts', '64', '--warmup', '0']);
      const progress: string[] = [];
      const transport = createUndiciTransport({ connectionsPerOrigin: options.concurrency });
      let result: LoadtestResult;
      try {
        result = await runLoadtest(options, {
          texts: generatedTexts(CHUNK_CHARS), transport, progress: createProgressBar({ write: (text) => progress.push(text), columns: 120 }),
        });
      } finally {
        await transport.close();
      }
      assert.deepEqual(result.runs.map((r) => r.dialect), ['djl', 'openai', 'tei', 'djl']);
      for (const r of result.runs) {
        assert.equal(r.summary.chunks, 64, `${r.url}: --texts 64 sends exactly 64 texts`);
        assert.equal(r.summary.errorCount, 0, `${r.url}: ${JSON.stringify(r.summary.errors)}`);
      }
      assert.ok(progress.some((line) => line.includes('run 4/4')), 'the progress bar names each run');
      assert.ok(progress.at(-1)?.endsWith('\n'), 'the bar ends its line when the session is over');

      const written = await writeLoadtestReports(result, join(outDir, 'dialects'));
      const html = await readFile(written.html, 'utf8');
      const figures = html.match(/<figure>/g)?.length ?? 0;
      assert.equal(figures, 3, 'latency over time, throughput over time, latency histogram');
      assert.equal(html.match(/<svg/g)?.length, figures, 'one inline SVG per chart');
      assert.doesNotMatch(html, /<script|<link|<img|src=|url\(http/i, 'the page loads nothing');
      for (const url of urls) assert.ok(html.includes(url), `the report names ${url}`);
      const json = JSON.parse(await readFile(written.json, 'utf8'));
      assert.equal(json.runs.length, urls.length);
      for (const r of json.runs) assert.equal(typeof r.summary.chunksPerS, 'number');
    } finally {
      await frontDoor.close();
    }
  });

  test('the CLI prints the table, writes both reports, and reports every bad flag at once', async () => {
    const out = join(outDir, 'cli');
    const { stdout } = await run(process.execPath, [
      '--import', 'tsx', 'tools/loadtest/main.ts', '--url', sim.predictionsUrl,
      '--duration', '2', '--warmup', '0.2', '--batch', '8', '--concurrency', '2', '--chunk-chars', String(CHUNK_CHARS), '--out', out,
    ]);
    assert.match(stdout, /chunks\/s/);
    assert.match(stdout, new RegExp(`${sim.predictionsUrl.replace(/[.]/g, '\\.')}\\s+djl\\s+8\\s+2`));
    assert.ok(stdout.includes(join(out, 'report.html')));
    const json = JSON.parse(await readFile(join(out, 'report.json'), 'utf8'));
    assert.ok(json.runs[0].summary.okRequests > 0);

    const bad = await run(process.execPath, ['--import', 'tsx', 'tools/loadtest/main.ts', '--batch', '0', '--bogus', '--rate', 'x'])
      .then(() => assert.fail('bad flags must fail'), (error: { code?: number; stderr?: string }) => error);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr ?? '', /--url/);
    assert.match(bad.stderr ?? '', /--batch/);
    assert.match(bad.stderr ?? '', /--bogus/);
    assert.match(bad.stderr ?? '', /--rate/);
  });
});
