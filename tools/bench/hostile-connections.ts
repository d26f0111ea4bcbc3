/**
 * Attack (e), issue 17 finding 6: connections held open, no key. With MAX_CONNECTIONS set small,
 * one client keeps an established keep-alive connection, the attacker opens idle sockets up to the
 * cap, and new clients try to connect and ask `/ping`. The figures: how each new client fared (refused:
 * closed or reset, and how fast; or served) and whether the established connection is still served.
 * Raw sockets, so the connection each request uses is known.
 */
import { connect, type Socket } from 'node:net';
import { startSubject, type ScenarioContext } from './hostile-context';

/** How one new client fared beyond the cap. */
export interface NewClientOutcome {
  /** `refused (closed)`, `refused (ECONNRESET)`, `served 200`, or `no answer within 5 s`. */
  readonly outcome: string;
  readonly refused: boolean;
  /** From starting to connect to the close, the reset or the answer. */
  readonly ms: number;
}

/** The connection-cap attack's figures. */
export interface ConnectionsResult {
  readonly maxConnections: number;
  /** Idle sockets the attacker held (beside the established one). */
  readonly idleSockets: number;
  readonly newClients: readonly NewClientOutcome[];
  /** The established keep-alive connection's answer to /ping after the attack, and its latency. */
  readonly establishedStatus: number | undefined;
  readonly establishedMs: number;
  /** Idle sockets still open at the end (the cap holds them; the server's 10 s headers limit ends them later). */
  readonly idleStillOpen: number;
}

const NEW_CLIENT_LIMIT_MS = 5_000;
const HEADER_END = '\r\n\r\n';
const STATUS_LINE = /^HTTP\/1\.1 (\d{3})/;
const CONTENT_LENGTH = /\r\ncontent-length:\s*(\d+)/i;

/** Opens a TCP connection to `port` on 127.0.0.1; resolves once connected. */
function open(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => {
      socket.off('error', reject);
      resolve(socket);
    });
    socket.once('error', reject);
  });
}

/**
 * Sends `GET /ping` on `socket` (keep-alive) and resolves with the status once the whole answer
 * has arrived; rejects with the close or error that came first.
 */
function ping(socket: Socket): Promise<number> {
  return new Promise((resolve, reject) => {
    let received = '';
    const cleanup = (): void => {
      socket.off('data', onData);
      socket.off('close', onClose);
      socket.off('error', onError);
    };
    const onData = (chunk: Buffer): void => {
      received += chunk.toString('latin1');
      const headerEnd = received.indexOf(HEADER_END);
      if (headerEnd < 0) return;
      const length = Number(CONTENT_LENGTH.exec(received.slice(0, headerEnd + 2))?.[1] ?? 0);
      if (received.length < headerEnd + HEADER_END.length + length) return;
      cleanup();
      resolve(Number(STATUS_LINE.exec(received)?.[1] ?? 0));
    };
    const onClose = (): void => {
      cleanup();
      reject(Object.assign(new Error('closed before an answer'), { code: 'closed' }));
    };
    const onError = (error: Error): void => {
      cleanup();
      reject(error);
    };
    socket.on('data', onData);
    socket.once('close', onClose);
    socket.once('error', onError);
    socket.write('GET /ping HTTP/1.1\r\nhost: 127.0.0.1\r\nconnection: keep-alive\r\n\r\n');
  });
}

/** A new client beyond the cap: connects, asks /ping, and reports what happened and when. */
async function newClient(port: number): Promise<NewClientOutcome> {
  const startedAt = performance.now();
  const elapsed = (): number => performance.now() - startedAt;
  let socket: Socket | undefined;
  let timer: NodeJS.Timeout | undefined;
  try {
    socket = await open(port);
    const limit = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(Object.assign(new Error('no answer'), { code: 'timeout' })), NEW_CLIENT_LIMIT_MS);
    });
    const status = await Promise.race([ping(socket), limit]);
    return { outcome: `served ${status}`, refused: false, ms: elapsed() };
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    if (code === 'timeout') return { outcome: `no answer within ${NEW_CLIENT_LIMIT_MS / 1_000} s`, refused: false, ms: elapsed() };
    return { outcome: `refused (${typeof code === 'string' ? code : 'error'})`, refused: true, ms: elapsed() };
  } finally {
    clearTimeout(timer);
    socket?.destroy();
  }
}

/** Holds the cap's worth of connections and tries new clients beyond it. */
export async function runConnectionCap(context: ScenarioContext): Promise<ConnectionsResult> {
  const { maxConnections, newClients } = context.shape;
  const subject = await startSubject(context, { MAX_CONNECTIONS: String(maxConnections) });
  const port = Number(new URL(subject.frontDoor.url).port);
  const idle: Socket[] = [];
  let established: Socket | undefined;
  try {
    established = await open(port);
    await ping(established);
    // The cap's worth: the established connection and idle ones that never send a byte.
    for (let index = 1; index < maxConnections; index++) {
      const socket = await open(port);
      socket.on('error', () => undefined);
      idle.push(socket);
    }
    // A round trip on the established connection: the server has accepted every socket before it.
    await ping(established);
    const outcomes: NewClientOutcome[] = [];
    for (let index = 0; index < newClients; index++) outcomes.push(await newClient(port));
    const startedAt = performance.now();
    let establishedStatus: number | undefined;
    try {
      establishedStatus = await ping(established);
    } catch {
      establishedStatus = undefined;
    }
    const establishedMs = performance.now() - startedAt;
    const idleStillOpen = idle.filter((socket) => !socket.destroyed && socket.readyState === 'open').length;
    const result: ConnectionsResult = { maxConnections, idleSockets: idle.length, newClients: outcomes, establishedStatus, establishedMs, idleStillOpen };
    context.log(`  connection cap ${maxConnections}: new clients ${outcomes.map((entry) => `${entry.outcome} in ${entry.ms.toFixed(1)} ms`).join(', ')}; ` +
      `established connection answered ${establishedStatus ?? 'nothing'} in ${establishedMs.toFixed(1)} ms; ${idleStillOpen} of ${idle.length} idle sockets open`);
    return result;
  } finally {
    for (const socket of idle) socket.destroy();
    established?.destroy();
    await subject.stop();
  }
}
