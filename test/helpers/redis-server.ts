/**
 * A real redis-server (Debian's package; .ci/run installs it) for a test, on a free loopback port,
 * with no persistence. Redis refuses `--port 0`, so the port is one the kernel just handed out to
 * a listener that closed at once; started and awaited by its "Ready to accept connections" line.
 * It can be stopped and started again on the same port (the cache dying and coming back).
 */
import { once } from 'node:events';
import { createServer } from 'node:net';
import { Redis } from 'ioredis';
import { type ChildServer, platformEnv, startChildServer } from './child-server';

const READY = /Ready to accept connections/;

export interface TestRedis {
  readonly port: number;
  readonly url: string;
  /** A client of this server for the test's own looks (keys, TTLs, values). */
  readonly client: Redis;
  /** Stops the server (SIGTERM) and waits for its exit; the client reconnects once it is back. */
  stop(): Promise<void>;
  /** Starts it again on the same port, empty. */
  start(): Promise<void>;
  close(): Promise<void>;
}

async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  server.close();
  await once(server, 'close');
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

export async function startRedis(): Promise<TestRedis> {
  const port = await freePort();
  const launch = (): Promise<ChildServer> => startChildServer('redis-server', [
    '--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no',
  ], { cwd: '/tmp', env: platformEnv({}), ready: READY });
  let server: ChildServer | undefined = await launch();
  const client = new Redis({ port, host: '127.0.0.1', lazyConnect: true, maxRetriesPerRequest: 1, retryStrategy: () => 50 });
  client.on('error', () => undefined);
  await client.connect();
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    client,
    stop: async () => {
      await server?.stop();
      server = undefined;
    },
    start: async () => {
      server = await launch();
    },
    close: async () => {
      client.disconnect();
      await server?.stop();
    },
  };
}
