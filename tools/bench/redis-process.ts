/**
 * A redis-server (Debian's package) for a benchmark: a free loopback port (redis refuses
 * `--port 0`), no persistence, awaited by its "Ready to accept connections" line.
 */
import { once } from 'node:events';
import { createServer } from 'node:net';
import type { ProcessRegistry, TrackedProcess } from './child-processes';

const READY_TIMEOUT_MS = 10_000;
const READY_LINE = /Ready to accept connections/;

export interface RedisProcess {
  readonly process: TrackedProcess;
  /** `redis://127.0.0.1:PORT` */
  readonly url: string;
}

/** A port the kernel just handed to a listener that closed at once. */
async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  server.close();
  await once(server, 'close');
  if (address === null || typeof address === 'string') throw new Error('no free port');
  return address.port;
}

export async function startRedis(registry: ProcessRegistry, binary = 'redis-server'): Promise<RedisProcess> {
  const port = await freePort();
  const started = registry.start('redis-server', binary, ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { cwd: '/tmp' });
  await started.waitForLine((line) => (READY_LINE.test(line) ? true : undefined), READY_TIMEOUT_MS);
  return { process: started, url: `redis://127.0.0.1:${port}` };
}
