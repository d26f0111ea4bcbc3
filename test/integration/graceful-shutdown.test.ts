/**
 * `npm start`'s server as its own process: on SIGTERM (what Cloud Run and Fargate send) it stops
 * accepting, finishes in-flight requests within the grace period, and exits 0.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { describe, test } from 'node:test';
import { post } from '../helpers/front-door';
import { startDjlSimulator } from '../../tools/djl-simulator/djl-simulator';

const SERVER_ENTRY = new URL('../../functions/server/main.ts', import.meta.url).pathname;

interface ServerProcess {
  readonly child: ChildProcess;
  readonly url: string;
  readonly events: string[];
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
  const url = await new Promise<string>((resolve, reject) => {
    const lines = createInterface({ input: child.stdout! });
    lines.on('line', (line) => {
      const entry = JSON.parse(line) as { event: string; url?: string };
      events.push(entry.event);
      if (entry.event === 'listening' && entry.url) resolve(entry.url);
    });
    void exited.then((code) => reject(new Error(`server exited with ${code} before listening`)));
  });
  return { child, url, events, exited };
}

describe('graceful shutdown', () => {
  test('SIGTERM: in-flight requests finish, new connections are refused, exit 0', async () => {
    // One worker taking 800 ms a request: slow enough to be in flight when SIGTERM lands.
    const sim = await startDjlSimulator({ workers: 1, baseMs: 800, perItemMs: 0 });
    const server = await startServerProcess({ CPU_BACKENDS: sim.predictionsUrl, SHUTDOWN_GRACE_MS: '5000' });
    try {
      const inFlight = post(`${server.url}/embed`, { inputs: ['slow'] });
      await new Promise((resolve) => setTimeout(resolve, 200));
      server.child.kill('SIGTERM');
      await new Promise((resolve) => setTimeout(resolve, 100));
      await assert.rejects(fetch(`${server.url}/ping`), 'a new connection after SIGTERM is refused');
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
    const sim = await startDjlSimulator({ workers: 1, baseMs: 5_000, perItemMs: 0 });
    const server = await startServerProcess({ CPU_BACKENDS: sim.predictionsUrl, SHUTDOWN_GRACE_MS: '300' });
    try {
      // Settled into a value at once, so its failure is never an unhandled rejection.
      const inFlight = post(`${server.url}/embed`, { inputs: ['too slow'] }).then(
        (response) => ({ response, error: undefined }),
        (error: unknown) => ({ response: undefined, error }),
      );
      await new Promise((resolve) => setTimeout(resolve, 200));
      const started = performance.now();
      server.child.kill('SIGTERM');
      assert.equal(await server.exited, 0);
      assert.ok(performance.now() - started < 4_000, 'exited at the end of the grace period, not after the request');
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
    child.stderr!.on('data', (data) => (stderr += data));
    const [code] = await once(child, 'exit');
    assert.equal(code, 1);
    assert.match(stderr, /Invalid configuration \(2 problems\)/);
    assert.match(stderr, /PORT/);
    assert.match(stderr, /CPU_BACKENDS/);
    assert.doesNotMatch(stderr, /\n\s+at /);
  });
});
