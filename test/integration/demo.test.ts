/**
 * `npm run demo` as its own process, next to `npm start`: it binds loopback unless HOST says
 * otherwise, logs its access the way `npm start` does, and the curl lines its banner prints run as
 * printed (through sh and curl) against the front door it started.
 */
import assert from 'node:assert/strict';
import { type ChildProcessWithoutNullStreams, execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { connect } from 'node:net';
import { createInterface } from 'node:readline';
import { describe, test } from 'node:test';
import { promisify } from 'node:util';
import { hashApiKey } from '../../shared/security/api-keys';
import { API_KEY_VARIABLE } from '../../tools/demo/demo-banner';
import { DJL_PROFILES, startDjlSimulator } from '../../tools/djl-simulator/djl-simulator';

const DEMO_ENTRY = new URL('../../tools/demo/main.ts', import.meta.url).pathname;
const SERVER_ENTRY = new URL('../../functions/server/main.ts', import.meta.url).pathname;
/** Settings of this process's environment that would change what the demo or the server does. */
const CLEARED_KEYS = ['HOST', 'PORT', 'CPU_BACKENDS', 'GPU_BACKENDS', 'DJL_URLS', 'DJL_URL', 'API_KEYS', 'API_KEYS_FILE', 'PROTECT_OPERATOR_ROUTES', 'LOG_LEVEL'];
/** The banner's last line: everything is printed once it appears. */
const BANNER_END = 'Ctrl-C stops it.';
/** Another loopback address: a server bound to 127.0.0.1 alone refuses connections on it (Linux routes all of 127/8 to lo). */
const OTHER_LOOPBACK = '127.0.0.2';
const execFileAsync = promisify(execFile);

type LogLine = Record<string, unknown> & { event: string; level: string };

interface Started {
  readonly url: string;
  readonly logs: LogLine[];
  /** Lines that are not JSON: the banner. */
  readonly text: string[];
  stop(): Promise<void>;
}

function cleanEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const key of CLEARED_KEYS) delete env[key];
  return { ...env, PORT: '0', LOG_LEVEL: 'info', ...extra };
}

/** Starts an entry point and resolves once `isUp` says it is, with what it has printed. */
async function start(entry: string, env: NodeJS.ProcessEnv, isUp: (logs: readonly LogLine[], text: readonly string[]) => boolean): Promise<Started> {
  const child: ChildProcessWithoutNullStreams = spawn(process.execPath, ['--import', 'tsx', entry], { env, stdio: 'pipe' });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => { stderr += chunk.toString(); });
  const exited = once(child, 'exit');
  const logs: LogLine[] = [];
  const text: string[] = [];
  const stop = async (): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    await exited;
  };
  try {
    await new Promise<void>((resolve, reject) => {
      createInterface({ input: child.stdout }).on('line', (line) => {
        if (line.startsWith('{')) logs.push(JSON.parse(line) as LogLine);
        else text.push(line);
        if (isUp(logs, text)) resolve();
      });
      void exited.then(([code]) => reject(new Error(`${entry} exited with ${String(code)} before it was up:\n${stderr}`)));
    });
  } catch (error) {
    await stop();
    throw error;
  }
  const listening = logs.find((line) => line.event === 'listening');
  assert.ok(listening, 'it logs where it listens');
  return { url: listening.url as string, logs, text, stop };
}

const startDemo = (extra: Record<string, string> = {}): Promise<Started> =>
  start(DEMO_ENTRY, cleanEnv(extra), (_logs, text) => text.includes(BANNER_END));

/** Runs one printed curl line through sh, with `env`; its status and body. */
async function runCurl(line: string, env: NodeJS.ProcessEnv): Promise<{ status: number; body: string }> {
  const { stdout } = await execFileAsync('sh', ['-c', `${line} -w '\\n%{http_code}'`], { env });
  const cut = stdout.lastIndexOf('\n');
  return { status: Number(stdout.slice(cut + 1)), body: stdout.slice(0, cut) };
}

/** True when something accepts a TCP connection at host:port. */
async function accepts(host: string, port: number): Promise<boolean> {
  const socket = connect(port, host);
  try {
    await once(socket, 'connect');
    return true;
  } catch {
    return false;
  } finally {
    socket.destroy();
  }
}

const curlLines = (text: readonly string[]): string[] => text.map((line) => line.trim()).filter((line) => line.startsWith('curl '));
const withoutTime = ({ time: _time, ...rest }: LogLine): Record<string, unknown> => rest;

describe('npm run demo', () => {
  test('with HOST unset: binds 127.0.0.1 only, logs auth_disabled as npm start does, and every printed curl line runs', async () => {
    const sim = await startDjlSimulator({ ...DJL_PROFILES.zero });
    const demo = await startDemo();
    const server = await start(SERVER_ENTRY, cleanEnv({ HOST: '127.0.0.1', CPU_BACKENDS: sim.predictionsUrl }),
      (logs) => logs.some((line) => line.event === 'listening'));
    try {
      const port = Number(new URL(demo.url).port);
      assert.equal(new URL(demo.url).hostname, '127.0.0.1');
      assert.equal(await accepts('127.0.0.1', port), true);
      assert.equal(await accepts(OTHER_LOOPBACK, port), false, 'bound to 127.0.0.1, not to every address');

      const authLine = (started: Started) => started.logs.find((line) => line.event === 'auth_disabled');
      assert.equal(authLine(demo)?.level, 'warn');
      assert.deepEqual(withoutTime(authLine(demo) as LogLine), withoutTime(authLine(server) as LogLine));

      // The simulators' URLs, each a DJL Serving stand-in that answers /ping.
      const simulators = demo.text.map((line) => line.trim()).filter((line) => /^http:\/\/127\.0\.0\.1:\d+\/predictions\//.test(line));
      assert.equal(simulators.length, 3);
      for (const simulator of simulators) assert.equal((await fetch(new URL('/ping', simulator))).status, 200, simulator);

      const lines = curlLines(demo.text);
      assert.equal(lines.length, 5);
      assert.ok(lines.every((line) => !line.includes('Authorization')), 'no key header when keys are off');
      const env = cleanEnv({});
      const [openai, tei, djl, health, info] = await Promise.all(lines.map((line) => runCurl(line, env)));
      assert.equal(openai?.status, 200);
      assert.equal((JSON.parse(openai?.body ?? '') as { data: unknown[] }).data.length, 2);
      assert.equal(tei?.status, 200);
      assert.equal((JSON.parse(tei?.body ?? '') as number[][])[0]?.length, 384);
      assert.equal(djl?.status, 200);
      assert.equal((JSON.parse(djl?.body ?? '') as number[]).length, 384);
      assert.equal(health?.status, 200);
      assert.deepEqual(JSON.parse(health?.body ?? ''), { status: 'ok', tiers: { cpu: { ready: 3, endpoints: 3 }, gpu: { ready: 0, endpoints: 0 } } });
      assert.equal(info?.status, 200);
      assert.equal((JSON.parse(info?.body ?? '') as { runtime: string }).runtime, 'node (demo)');

      // POST /warmup is served as by `npm start`: it needs API keys, and never claims to be Lambda.
      for (const url of [demo.url, server.url]) {
        const warmup = await fetch(`${url}/warmup`, { method: 'POST' });
        assert.equal(warmup.status, 403, url);
        const message = await warmup.text();
        assert.match(message, /needs an API key: configure API_KEYS/);
        assert.doesNotMatch(message, /Lambda/);
      }
    } finally {
      await Promise.all([demo.stop(), server.stop()]);
      await sim.close();
    }
  });

  test('with HOST and API_KEYS: binds HOST, logs auth_enabled, and the curl lines send the key from $EMBED_API_KEY', async () => {
    const key = 'efd_demo_test_key';
    const demo = await startDemo({ HOST: OTHER_LOOPBACK, API_KEYS: `demo:${hashApiKey(key)}:role=operator` });
    try {
      assert.equal(new URL(demo.url).hostname, OTHER_LOOPBACK);
      assert.equal(demo.logs.some((line) => line.event === 'auth_disabled'), false);
      assert.deepEqual(demo.logs.find((line) => line.event === 'auth_enabled')?.keys, ['demo']);
      assert.ok(demo.text.some((line) => line.includes(`export ${API_KEY_VARIABLE}=<your key>`)), 'says where the key comes from');
      assert.ok(!demo.text.join('\n').includes(hashApiKey(key)), 'never prints a digest');

      const lines = curlLines(demo.text);
      const needKey = lines.filter((line) => !line.endsWith('/health'));
      assert.equal(needKey.length, 4);
      for (const line of needKey) assert.ok(line.includes(`-H "Authorization: Bearer $${API_KEY_VARIABLE}"`), line);
      const withKey = await Promise.all(lines.map((line) => runCurl(line, cleanEnv({ [API_KEY_VARIABLE]: key }))));
      assert.deepEqual(withKey.map((result) => result.status), [200, 200, 200, 200, 200]);
      const withoutKey = await Promise.all(needKey.map((line) => runCurl(line, cleanEnv({}))));
      assert.deepEqual(withoutKey.map((result) => result.status), [401, 401, 401, 401]);
    } finally {
      await demo.stop();
    }
  });
});
