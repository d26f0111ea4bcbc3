/**
 * The Node server's client-gone signal: aborted, once, when the client leaves before its answer
 * is written; never for an answer that was written.
 */
import assert from 'node:assert/strict';
import { createServer, request, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import { ClientSignal } from '../../shared/runtime/client-signal';
import { eventually } from '../helpers/eventually';

test('a client that leaves aborts the signal and calls each listener once; a finished answer never does', async () => {
  const responses: ServerResponse[] = [];
  const server = createServer((_req, res) => responses.push(res));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  try {
    const send = () => {
      const req = request({ port, host: '127.0.0.1', method: 'POST', agent: false });
      req.on('error', () => undefined);
      req.end('x');
      return req;
    };
    const leaving = send();
    await eventually(() => responses.length === 1);
    const signal = new ClientSignal(responses[0] as ServerResponse);
    const calls: string[] = [];
    const removed = (): void => void calls.push('removed');
    signal.addEventListener('abort', () => calls.push('first'));
    signal.addEventListener('abort', removed);
    signal.removeEventListener('abort', removed);
    assert.equal(signal.aborted, false);
    leaving.destroy();
    await eventually(() => signal.aborted);
    signal.addEventListener('abort', () => calls.push('late'));
    assert.deepEqual(calls, ['first']);

    const staying = send();
    await eventually(() => responses.length === 2);
    const answered = new ClientSignal(responses[1] as ServerResponse);
    let aborted = 0;
    answered.addEventListener('abort', () => aborted++);
    const closed = new Promise((resolve) => (responses[1] as ServerResponse).once('close', resolve));
    (responses[1] as ServerResponse).end('ok');
    await closed;
    staying.destroy();
    assert.equal(answered.aborted, false);
    assert.equal(aborted, 0);
  } finally {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
});
