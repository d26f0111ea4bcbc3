/**
 * nginx from Debian as its own process: found (or installed with apt-get when running as root),
 * configured from the seed's Option A in a temporary prefix, started in the foreground on a free
 * 127.0.0.1 port, and stopped with SIGTERM (the master then stops its workers).
 */
import { execFile } from 'node:child_process';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { connect, createServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { ProcessRegistry, TrackedProcess } from './child-processes';
import { hostPortOf, renderNginxConfig } from './nginx-config';

const run = promisify(execFile);

/**
 * One worker, not `auto` (2 here): the load generator, the simulators and the proxy share two
 * cores, and the front door is one Node process (one event loop), so one nginx worker gives both
 * proxies the same one-core budget. Also, without a shared `zone`, least_conn counts connections
 * per worker, so two workers would each balance on half the picture.
 */
export const NGINX_WORKER_PROCESSES = 1;

/** nginx found and ready to use, or why the nginx column is skipped. */
export type NginxAvailability = NginxFound | { readonly available: false; readonly reason: string };

/** nginx found: the binary to run and what `nginx -v` said. */
export interface NginxFound {
  readonly available: true;
  readonly binary: string;
  readonly version: string;
}

/** A running nginx. */
export interface NginxProcess {
  readonly process: TrackedProcess;
  /** `http://127.0.0.1:PORT` */
  readonly url: string;
}

const CANDIDATE_BINARIES = ['nginx', '/usr/sbin/nginx'] as const;
const READY_TIMEOUT_MS = 10_000;
const READY_POLL_MS = 50;
/** apt-get can be slow on a cold package cache; past this, give up on nginx, not on the run. */
const INSTALL_TIMEOUT_MS = 300_000;
const APT_OUTPUT_TAIL = 1_500;
const PREFIX_MODE = 0o755;

async function findNginx(): Promise<NginxFound | undefined> {
  for (const binary of CANDIDATE_BINARIES) {
    try {
      // `nginx -v` writes "nginx version: nginx/1.22.1" to stderr.
      const { stderr } = await run(binary, ['-v']);
      return { available: true, binary, version: stderr.trim().replace(/^nginx version:\s*/, '') };
    } catch {
      // Not there under this name; try the next.
    }
  }
  return undefined;
}

/**
 * Finds nginx, installing Debian's package when it is missing and we are root. Never throws: when
 * nginx cannot be had, says why, and the run goes on without the nginx column.
 */
export async function ensureNginx(log: (line: string) => void): Promise<NginxAvailability> {
  const found = await findNginx();
  if (found !== undefined) return found;
  if (process.getuid?.() !== 0) {
    return { available: false, reason: 'nginx is not installed and this is not root (run `apt-get install -y nginx` once)' };
  }
  log('nginx is not installed: installing Debian\'s package (apt-get update && apt-get install -y nginx)...');
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  try {
    await run('apt-get', ['update'], { env, timeout: INSTALL_TIMEOUT_MS });
    await run('apt-get', ['install', '-y', 'nginx'], { env, timeout: INSTALL_TIMEOUT_MS });
  } catch (error) {
    const output = `${(error as { stderr?: string }).stderr ?? ''}${(error as Error).message}`;
    return { available: false, reason: `apt-get could not install nginx: ${output.slice(-APT_OUTPUT_TAIL)}` };
  }
  const installed = await findNginx();
  if (installed === undefined) return { available: false, reason: 'apt-get installed nginx but `nginx -v` still fails' };
  log(`installed ${installed.version}`);
  return installed;
}

/** A port free on 127.0.0.1 right now (nginx cannot listen on port 0 and say which it got). */
async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve, reject) => {
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', resolve);
  });
  const { port } = probe.address() as AddressInfo;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** Writes the configuration into `prefix` (created) and starts nginx over `backendUrls`. */
export async function startNginx(
  registry: ProcessRegistry,
  binary: string,
  backendUrls: readonly string[],
  prefix: string,
): Promise<NginxProcess> {
  await mkdir(prefix, { recursive: true });
  // Workers run as `nobody` when the master is root, and must reach their temp directories here.
  await chmod(prefix, PREFIX_MODE);
  const port = await freePort();
  const configPath = join(prefix, 'nginx.conf');
  await writeFile(configPath, renderNginxConfig({
    backends: backendUrls.map(hostPortOf),
    port,
    prefix,
    workerProcesses: NGINX_WORKER_PROCESSES,
  }));
  const errorLog = join(prefix, 'error.log');
  const started = registry.start('nginx', binary, ['-c', configPath, '-p', prefix, '-e', errorLog], { stopSignal: 'SIGTERM' });
  let exited = false;
  void started.exited.then(() => {
    exited = true;
  });
  const deadline = performance.now() + READY_TIMEOUT_MS;
  while (!(await canConnect(port))) {
    if (exited || performance.now() > deadline) {
      const log = await readFile(errorLog, 'utf8').catch(() => '(no error log)');
      await registry.stop(started);
      throw new Error(`nginx did not start listening on 127.0.0.1:${port}:\n${started.recentOutput()}\n${log}`);
    }
    await new Promise((resolve) => setTimeout(resolve, READY_POLL_MS));
  }
  return { process: started, url: `http://127.0.0.1:${port}` };
}
