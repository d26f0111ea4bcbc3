/**
 * `npm start`'s server as its own process: on SIGTERM (what Cloud Run and Fargate send) it stops
 * accepting, finishes in-flight requests within the grace period, and exits 0.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { describe, test } from 'node:test';
import { eventually } from '../helpers/eventually';
import { post } from '../helpers/front-door';
import { startDjlSimulator } from '../../tools/djl-simulator/djl-simulator';

const SERVER_ENTRY = new URL('../../functions/server/main.ts', import.meta.url).pathname;

interface LogEntry {
  readonly event: string;
  readonly url?: string;
  readonly inFlight?: number;
}

interface ServerProcess {
  readonly child: ChildProcess;
  readonly url: string;
  readonly events: string[];
  /** Every log entry, in order, for the fields an event carries. */
  readonly entries: LogEntry[];
  readonly exited: Promise<number | null>;
}

/** Starts the server entry point and waits for its `listening` log line. */
async function startServerProcess(env: Record<string, string>): Promise<ServerProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', SERVER_ENTRY], {
    env: { ...process.env, HOST: '127.0.0.1', PORT: '0', LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const exited = once(child, 'exit').then(([code]) => code as number | null);
  const events: string[] = [];
  const entries: LogEntry[] = [];
  const url = await new Promise<string>((resolve, reject) => {
    const lines = createInterface({ input: child.stdout });
    lines.on('line', (line) => {
      const entry = JSON.parse(line) as LogEntry;
      events.push(entry.event);
      entries.push(entry);
      if (entry.event === 'listening' && entry.url) resolve(entry.url);
    });
    void exited.then((code) => reject(new Error(`server exited with ${code} before listening`)));
  });
  return { child, url, events, entries, exited };
}

/** Waits for the server to log `event`, and returns that entry. */
const untilLogged = (server: ServerProcess, event: string): Promise<LogEntry> =>
  eventually(() => server.entries.find((entry) => entry.event === event) ?? false, { message: `the ${event} log line` });

describe('graceful shutdown', () => {
  test('SIGTERM: in-flight requests finish, new connections are refused, exit 0', async () => {
    // One worker taking 2 s a request: still in flight when SIGTERM lands, even if a loaded
    // machine is slow to deliver the signal.
    const sim = await startDjlSimulator({ workers: 1, baseMs: 2_000, perItemMs: 0 });
    const server = await startServerProcess({ CPU_BACKENDS: sim.predictionsUrl, SHUTDOWN_GRACE_MS: '5000' });
    try {
      const inFlight = post(`${server.url}/embed`, { inputs: ['slow'] });
      await eventually(() => sim.stats.inFlight === 1, { message: 'the request to reach the backend' });
      server.child.kill('SIGTERM');
      const started = await untilLogged(server, 'shutdown_started');
      assert.equal(started.inFlight, 1, 'SIGTERM landed while the request was in flight');
      // The line is written just before the listener closes: allow the close a moment to happen.
      await eventually(() => assert.rejects(fetch(`${server.url}/ping`)), { message: 'new connections after SIGTERM to be refused' });
      assert.equal(sim.stats.inFlight, 1, 'refused while the request was still in flight');
      const finished = await inFlight;
      assert.equal(finished.status, 200);
      assert.equal(finished.body[0].length, 384);
      assert.equal(await server.exited, 0);
      assert.ok(server.events.includes('shutdown_complete'));
      assert.ok(!server.events.includes('shutdown_grace_expired'));
    } finally {
      server.child.kill('SIGKILL');
      await sim.close();
    }
  });

  test('a request outliving the grace period is cut off and the process still exits', async () => {
    // The request would take 20 s; the process must be gone at the end of its 300 ms grace.
    const sim = await startDjlSimulator({ workers: 1, baseMs: 20_000, perItemMs: 0 });
    const server = await startServerProcess({ CPU_BACKENDS: sim.predictionsUrl, SHUTDOWN_GRACE_MS: '300' });
    try {
      // Settled into a value at once, so its failure is never an unhandled rejection.
      const inFlight = post(`${server.url}/embed`, { inputs: ['too slow'] }).then(
        (response) => ({ response, error: undefined }),
        (error: unknown) => ({ response: undefined, error }),
      );
      await eventually(() => sim.stats.inFlight === 1, { message: 'the request to reach the backend' });
      const started = performance.now();
      server.child.kill('SIGTERM');
      assert.equal(await server.exited, 0);
      // Half the request's 20 s: room for a loaded machine, far from waiting for the request.
      assert.ok(performance.now() - started < 10_000, 'exited at the end of the grace period, not after the request');
      const outcome = await inFlight;
      assert.ok(outcome.error instanceof Error, `the cut-off request failed (got ${outcome.response?.status})`);
      assert.ok(server.events.includes('shutdown_grace_expired'));
    } finally {
      server.child.kill('SIGKILL');
      await sim.close();
    }
  });

  test('a bad configuration exits 1 with every problem listed and no stack trace', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', SERVER_ENTRY], {
      env: { ...process.env, PORT: 'x', CPU_BACKENDS: 'http://h/what' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (data) => (stderr += data));
    const [code] = await once(child, 'exit');
    assert.equal(code, 1);
    assert.match(stderr, /Invalid configuration \(2 problems\)/);
    assert.match(stderr, /PORT/);
    assert.match(stderr, /CPU_BACKENDS/);
    assert.doesNotMatch(stderr, /\n\s+at /);
  });
});
