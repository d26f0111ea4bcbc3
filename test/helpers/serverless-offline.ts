/**
 * `serverless offline` (serverless-offline 13 running the serverless-esbuild bundles) started on
 * free loopback ports in its own process group, ready once it says so, stopped as a whole.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm, rmdir } from 'node:fs/promises';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO } from './serverless-cli';

/** Bundling every function and starting took 10-30 s here; headroom for a busy 2-core machine. */
export const OFFLINE_READY_TIMEOUT_MS = 150_000;
const STOP_GRACE_MS = 5_000;

export interface ServerlessOffline {
  readonly httpUrl: string;
  /** The Lambda invoke API (`/2015-03-31/functions/{name}/invocations`): AWS_ENDPOINT_URL_LAMBDA. */
  readonly lambdaUrl: string;
  output(): string;
  stop(): Promise<void>;
}

/** A port that was free a moment ago: bind port 0, read it, release it. */
async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  server.close();
  await once(server, 'close');
  return port;
}

/** Resolves once `pattern` appears in the child's output; rejects if it exits or time runs out. */
function waitForOutput(child: ChildProcess, pattern: RegExp, output: () => string): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => finish(new Error(`no ${pattern} within ${OFFLINE_READY_TIMEOUT_MS} ms:\n${output()}`)), OFFLINE_READY_TIMEOUT_MS);
    const check = (): void => { if (pattern.test(output())) finish(); };
    const exited = (code: number | null): void => finish(new Error(`serverless offline exited (${code}) before it was ready:\n${output()}`));
    function finish(error?: Error): void {
      clearTimeout(timer);
      child.stdout?.off('data', check);
      child.stderr?.off('data', check);
      child.off('exit', exited);
      if (error) reject(error); else resolve();
    }
    child.stdout?.on('data', check);
    child.stderr?.on('data', check);
    child.once('exit', exited);
    check();
  });
}

/** Starts `serverless offline` with `env` over the caller's (minus AWS_ and SLS_ settings). */
export async function startServerlessOffline(env: Record<string, string>): Promise<ServerlessOffline> {
  const home = await mkdtemp(join(tmpdir(), 'efd-sls-offline-'));
  const workFolder = join('.esbuild', `offline-${process.pid}-${Date.now()}`);
  const [httpPort, lambdaPort] = [await freePort(), await freePort()];
  const inherited: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (!key.startsWith('AWS_') && !key.startsWith('SLS_') && !['CPU_BACKENDS', 'GPU_BACKENDS', 'API_KEYS'].includes(key)) inherited[key] = value;
  }
  let output = '';
  // Its own process group (detached), so stop() reaches npx, the framework and its workers.
  const child = spawn('npx', ['serverless', 'offline'], {
    cwd: REPO,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      ...inherited,
      HOME: home,
      SLS_TELEMETRY_DISABLED: '1',
      SLS_NOTIFICATIONS_MODE: 'off',
      npm_config_update_notifier: 'false',
      EFD_ESBUILD_WORK_FOLDER: workFolder,
      OFFLINE_HOST: '127.0.0.1',
      OFFLINE_HTTP_PORT: String(httpPort),
      OFFLINE_LAMBDA_PORT: String(lambdaPort),
      ...env,
    },
  });
  child.stdout?.on('data', (chunk: Buffer) => { output += chunk.toString(); });
  child.stderr?.on('data', (chunk: Buffer) => { output += chunk.toString(); });
  const stop = async (): Promise<void> => {
    if (child.pid !== undefined && child.exitCode === null && child.signalCode === null) {
      const exited = once(child, 'exit');
      process.kill(-child.pid, 'SIGTERM');
      const timer = setTimeout(() => process.kill(-(child.pid as number), 'SIGKILL'), STOP_GRACE_MS);
      await exited;
      clearTimeout(timer);
    }
    await rm(join(REPO, workFolder), { recursive: true, force: true });
    await rmdir(join(REPO, '.esbuild')).catch(() => undefined);
    await rm(home, { recursive: true, force: true });
  };
  try {
    await waitForOutput(child, /Server ready/, () => output);
  } catch (error) {
    await stop();
    throw error;
  }
  return { httpUrl: `http://127.0.0.1:${httpPort}`, lambdaUrl: `http://127.0.0.1:${lambdaPort}`, output: () => output, stop };
}
