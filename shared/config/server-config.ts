/**
 * The Node server's section of the configuration: how many client connections it holds and how
 * long an idle one may stay. Only the Node server (`npm start`, the demo) reads it; on Lambda and
 * Cloud Functions the platform owns the sockets. Read by parseConfig through the same EnvReader,
 * so a bad key is reported with all the others.
 */
import type { EnvReader } from './env-reader';

export interface ServerConfig {
  /**
   * MAX_CONNECTIONS (default 1024): client connections held at once; a new one beyond it is closed
   * as soon as it is accepted, while established ones keep being served. `0`: no cap.
   */
  readonly maxConnections: number;
  /**
   * CLIENT_IDLE_TIMEOUT_MS (default 5000): how long a keep-alive connection may sit idle between
   * requests before the server closes it.
   */
  readonly clientIdleTimeoutMs: number;
}

export const SERVER_DEFAULTS = {
  // Far below a container's usual 65,536 file descriptors, and small enough that 1,024 idle
  // sockets (a few KB each) cannot push a 512 MB instance out of memory.
  maxConnections: 1024,
  // Node's own default: idle keep-alive sockets were the bulk of a held-connection attack at 65 s.
  clientIdleTimeoutMs: 5_000,
} as const;

/** Above this, the cap would outnumber the file descriptors of any ordinary host. */
const MAX_CONNECTIONS_LIMIT = 1_000_000;
/** Below this an idle timeout would close sockets between a client's back-to-back requests. */
const MIN_IDLE_TIMEOUT_MS = 100;
const ONE_HOUR_MS = 3_600_000;

/** Reads the Node server's section; every problem goes to `read` for the one start-up error. */
export function readServerConfig(read: EnvReader): ServerConfig {
  return {
    maxConnections: read.int('MAX_CONNECTIONS', SERVER_DEFAULTS.maxConnections, { min: 0, max: MAX_CONNECTIONS_LIMIT }),
    clientIdleTimeoutMs: read.int('CLIENT_IDLE_TIMEOUT_MS', SERVER_DEFAULTS.clientIdleTimeoutMs, { min: MIN_IDLE_TIMEOUT_MS, max: ONE_HOUR_MS }),
  };
}
