/**
 * The HttpTransport contract, run against every implementation (node:http, Node's built-in fetch
 * and the undici Agent) on real loopback servers: every HTTP status resolves, and every network
 * failure rejects with one UpstreamError reason, the same on all three.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { after, describe, test } from 'node:test';
import { deadPort } from '../helpers/dead-port';
import { ERROR_BODY_MAX_BYTES } from '../../shared/upstream/answer-limit';
import { createFetchTransport } from '../../shared/upstream/fetch-transport';
import { classifyNetworkError } from '../../shared/upstream/network-error';
import { createNodeHttpTransport } from '../../shared/upstream/node-http-transport';
import type { HttpTransport, TransportResponse } from '../../shared/upstream/transport';
import { createUndiciTransport } from '../../shared/upstream/undici-transport';
import { UpstreamError, UpstreamFailure } from '../../shared/upstream/upstream-error';

/** A call budget long enough for any loopback answer, so only the stalling tests time out. */
const GENEROUS_TIMEOUT_MS = 5_000;
/** The budget the timeout tests give a backend that never answers. */
const SHORT_TIMEOUT_MS = 150;
/** setTimeout may fire a hair before performance.now() agrees the time has passed. */
const TIMER_SLACK_MS = 2;
/** An answer cap no contract test's ordinary answer comes near. */
const ROOMY_MAX_BYTES = 1024 * 1024;
/** The cap the endless-answer tests set. */
const ANSWER_CAP_BYTES = 256 * 1024;
/**
 * What the server may have written beyond the cap before it sees the connection close: the
 * loopback socket's kernel buffers on both sides (auto-tuned up to a few MB on Linux) and the
 * client's stream buffers. A transport reading on would let it write gigabytes in the call budget.
 */
const SOCKET_BUFFER_ALLOWANCE_BYTES = 32 * 1024 * 1024;
/** A cap the mid-body abort test's answer, held back by the socket's buffers, cannot reach. */
const MID_BODY_CAP_BYTES = 2 * SOCKET_BUFFER_ALLOWANCE_BYTES;
/** One chunk of an endless answer. */
const ENDLESS_CHUNK = Buffer.alloc(16 * 1024, '0.1234567,');

/**
 * A handler that answers `status` with `prefix` then an endless body, writing only as fast as the
 * client reads (backpressure), and counts what it wrote; `closed` settles when the connection goes.
 */
function endlessAnswer(status: number, prefix: string): { handler: Handler; written: () => number; closed: Promise<void> } {
  let written = 0;
  let markClosed = (): void => {};
  const closed = new Promise<void>((resolve) => { markClosed = resolve; });
  const handler: Handler = (_req, res) => {
    res.on('close', markClosed);
    res.writeHead(status, { 'content-type': 'application/json' });
    res.write(prefix);
    written += Buffer.byteLength(prefix);
    const pump = (): void => {
      while (!res.destroyed) {
        written += ENDLESS_CHUNK.length;
        if (!res.write(ENDLESS_CHUNK)) {
          res.once('drain', pump);
          return;
        }
      }
    };
    pump();
  };
  return { handler, written: () => written, closed };
}

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

/** A loopback server on port 0 that records each request's arrival, closed with its connections. */
async function startServer(handler: Handler): Promise<{ url: string; server: Server; received: Promise<void>; close: () => Promise<void> }> {
  const server = createServer(handler);
  const received = once(server, 'request').then(() => undefined);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/predictions/m?x=1`,
    server,
    received,
    close: async () => {
      // Keep-alive sockets held by the client's pool would otherwise keep close() waiting.
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** Runs `body` against a server and always closes it. */
async function withServer(handler: Handler, body: (server: Awaited<ReturnType<typeof startServer>>) => Promise<void>): Promise<void> {
  const server = await startServer(handler);
  try {
    await body(server);
  } finally {
    await server.close();
  }
}

/** Asserts `promise` rejects with an UpstreamError of `reason`, and returns it. */
async function rejectsWith(promise: Promise<unknown>, reason: UpstreamFailure): Promise<UpstreamError> {
  const error = await promise.then(() => assert.fail(`resolved; expected a ${reason} error`), (caught: unknown) => caught);
  assert.ok(error instanceof UpstreamError, `not an UpstreamError: ${String(error)}`);
  assert.equal(error.reason, reason, `${error.message} (cause: ${String(error.cause)})`);
  return error;
}

const TRANSPORTS: ReadonlyArray<readonly [string, () => HttpTransport]> = [
  ['node:http', () => createNodeHttpTransport()],
  ['fetch', () => createFetchTransport()],
  ['undici', () => createUndiciTransport({ connectionsPerOrigin: 4 })],
];

for (const [name, create] of TRANSPORTS) {
  describe(`HttpTransport contract: ${name}`, () => {
    const transport = create();
    after(() => transport.close());

    test('POSTs the body and headers, and returns status, lower-case headers and the body as text', async () => {
      await withServer((req, res) => {
        let text = '';
        req.setEncoding('utf8').on('data', (chunk: string) => { text += chunk; }).on('end', () => {
          res.writeHead(200, { 'Content-Type': 'application/json', 'X-Echo-Method': req.method ?? '', 'X-Echo-Path': req.url ?? '' })
            .end(JSON.stringify({ body: text, contentType: req.headers['content-type'], requestId: req.headers['x-request-id'] }));
        });
      }, async ({ url }) => {
        const response = await transport.request({
          url, method: 'POST', timeoutMs: GENEROUS_TIMEOUT_MS, maxResponseBytes: ROOMY_MAX_BYTES,
          headers: { 'content-type': 'application/json', 'x-request-id': 'r-1' }, body: '["a","b"]',
        });
        assert.equal(response.status, 200);
        assert.equal(response.headers['content-type'], 'application/json');
        assert.equal(response.headers['x-echo-method'], 'POST');
        assert.equal(response.headers['x-echo-path'], '/predictions/m?x=1');
        assert.deepEqual(JSON.parse(response.body), { body: '["a","b"]', contentType: 'application/json', requestId: 'r-1' });
      });
    });

    test('resolves for error statuses with their body: status is for the caller to judge', async () => {
      await withServer((_req, res) => {
        res.writeHead(503, { 'content-type': 'application/json' }).end('{"code":503,"type":"ServiceUnavailableException"}');
      }, async ({ url }) => {
        const response = await transport.request({ url, method: 'GET', timeoutMs: GENEROUS_TIMEOUT_MS, maxResponseBytes: ROOMY_MAX_BYTES });
        assert.equal(response.status, 503);
        assert.equal(response.body, '{"code":503,"type":"ServiceUnavailableException"}');
      });
    });

    test('a backend that never answers: timeout, after the call budget and well before the backend would', async () => {
      let answered = false;
      await withServer((_req, res) => {
        const late = setTimeout(() => { answered = true; res.end('late'); }, GENEROUS_TIMEOUT_MS);
        res.on('close', () => clearTimeout(late));
      }, async ({ url }) => {
        const started = performance.now();
        await rejectsWith(transport.request({ url, method: 'GET', timeoutMs: SHORT_TIMEOUT_MS, maxResponseBytes: ROOMY_MAX_BYTES }), UpstreamFailure.timeout);
        const elapsed = performance.now() - started;
        assert.ok(elapsed >= SHORT_TIMEOUT_MS - TIMER_SLACK_MS, `gave up after ${elapsed} ms, before its budget`);
        assert.equal(answered, false, 'waited for the backend instead of its own budget');
      });
    });

    test('headers sent, body stalled: the budget covers the body too', async () => {
      await withServer((_req, res) => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.write('[[0.1,');
      }, async ({ url }) => {
        await rejectsWith(transport.request({ url, method: 'GET', timeoutMs: SHORT_TIMEOUT_MS, maxResponseBytes: ROOMY_MAX_BYTES }), UpstreamFailure.timeout);
      });
    });

    test('nothing listening: connect', async () => {
      const url = `http://127.0.0.1:${await deadPort()}/predictions/m`;
      const error = await rejectsWith(transport.request({ url, method: 'POST', body: '[]', timeoutMs: GENEROUS_TIMEOUT_MS, maxResponseBytes: ROOMY_MAX_BYTES }), UpstreamFailure.connect);
      assert.match(error.message, /ECONNREFUSED/);
    });

    test('the backend destroys the socket before answering: reset', async () => {
      await withServer((req) => req.socket.destroy(), async ({ url }) => {
        await rejectsWith(transport.request({ url, method: 'GET', timeoutMs: GENEROUS_TIMEOUT_MS, maxResponseBytes: ROOMY_MAX_BYTES }), UpstreamFailure.reset);
      });
    });

    test('the backend destroys the socket mid-body: reset', async () => {
      await withServer((_req, res) => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.write('[[0.1,', () => res.socket?.destroy());
      }, async ({ url }) => {
        await rejectsWith(transport.request({ url, method: 'GET', timeoutMs: GENEROUS_TIMEOUT_MS, maxResponseBytes: ROOMY_MAX_BYTES }), UpstreamFailure.reset);
      });
    });

    test('the caller aborts while the backend works: aborted, not timeout', async () => {
      await withServer(() => {}, async ({ url, received }) => {
        const caller = new AbortController();
        const call = transport.request({ url, method: 'GET', timeoutMs: GENEROUS_TIMEOUT_MS, maxResponseBytes: ROOMY_MAX_BYTES, signal: caller.signal });
        await received;
        caller.abort();
        await rejectsWith(call, UpstreamFailure.aborted);
      });
    });

    test('an endless 2xx answer: too_large (502 backend_response_too_large) at the cap, the connection closed, nothing read far past the cap', async () => {
      const endless = endlessAnswer(200, '[[');
      await withServer(endless.handler, async ({ url }) => {
        const error = await rejectsWith(
          transport.request({ url, method: 'POST', body: '[]', timeoutMs: GENEROUS_TIMEOUT_MS, maxResponseBytes: ANSWER_CAP_BYTES }),
          UpstreamFailure.tooLarge);
        assert.equal(error.status, 502);
        assert.equal(error.code, 'backend_response_too_large');
        assert.equal(error.upstreamStatus, 200);
        assert.equal(error.isRetryable, false, 'not retried as a reset');
        await endless.closed;
        assert.ok(endless.written() <= ANSWER_CAP_BYTES + SOCKET_BUFFER_ALLOWANCE_BYTES,
          `the server wrote ${endless.written()} bytes before the connection closed`);
      });
    });

    test('the cap is exact: a body of exactly the cap is served, one byte more is too_large, and the transport serves on', async () => {
      const cap = 1_000;
      let calls = 0;
      await withServer((_req, res) => {
        calls += 1;
        // First exactly the cap, then one byte over, then exactly the cap again.
        res.writeHead(200, { 'content-type': 'text/plain' }).end('x'.repeat(calls === 2 ? cap + 1 : cap));
      }, async ({ url }) => {
        const call = (): Promise<unknown> => transport.request({ url, method: 'GET', timeoutMs: GENEROUS_TIMEOUT_MS, maxResponseBytes: cap });
        assert.equal(((await call()) as { body: string }).body.length, cap);
        await rejectsWith(call(), UpstreamFailure.tooLarge);
        assert.equal(((await call()) as { body: string }).body.length, cap);
      });
    });

    test('an endless error body: the status and the first ERROR_BODY_MAX_BYTES, and the connection closed', async () => {
      const prefix = '{"code":503,"type":"ServiceUnavailableException","message":"';
      const endless = endlessAnswer(503, prefix);
      await withServer(endless.handler, async ({ url }) => {
        const response = await transport.request({ url, method: 'GET', timeoutMs: GENEROUS_TIMEOUT_MS, maxResponseBytes: ROOMY_MAX_BYTES });
        assert.equal(response.status, 503);
        assert.equal(Buffer.byteLength(response.body), ERROR_BODY_MAX_BYTES);
        assert.ok(response.body.startsWith(prefix));
        await endless.closed;
        assert.ok(endless.written() <= ERROR_BODY_MAX_BYTES + SOCKET_BUFFER_ALLOWANCE_BYTES,
          `the server wrote ${endless.written()} bytes before the connection closed`);
      });
    });

    test('a body cut at its cap closes its connection, and the next call gets a fresh one', async () => {
      const cap = 1_000;
      // Far past the cap and past one socket read (64 KiB), so the answer is unfinished when cut.
      const longBody = 'x'.repeat(1024 * 1024);
      const connections: Array<{ socket: Socket; closed: Promise<void> }> = [];
      await withServer((req, res) => {
        const { socket } = req;
        connections.push({ socket, closed: new Promise((resolve) => socket.once('close', () => resolve())) });
        // A 2xx past the cap, an error past the cap, then a short answer.
        const call = connections.length;
        if (call === 1) res.writeHead(200, { 'content-type': 'application/json' }).end(longBody);
        else if (call === 2) res.writeHead(503, { 'content-type': 'text/plain' }).end(longBody);
        else res.writeHead(200, { 'content-type': 'application/json' }).end('[[0.5]]');
      }, async ({ url }) => {
        const call = (): Promise<TransportResponse> => transport.request({ url, method: 'GET', timeoutMs: GENEROUS_TIMEOUT_MS, maxResponseBytes: cap });
        await rejectsWith(call(), UpstreamFailure.tooLarge);
        const cut = await call();
        assert.equal(cut.status, 503);
        assert.equal(cut.body.length, cap);
        assert.equal((await call()).body, '[[0.5]]');
        const [tooLarge, errorCut, fresh] = connections;
        assert.ok(tooLarge !== undefined && errorCut !== undefined && fresh !== undefined);
        await tooLarge.closed;
        await errorCut.closed;
        assert.ok(errorCut.socket !== tooLarge.socket, 'the call after a 2xx body was cut reused its connection');
        assert.ok(fresh.socket !== errorCut.socket, 'the call after an error body was cut reused its connection');
      });
    });

    test('the caller aborts mid-body: aborted, and the connection is closed', async () => {
      let markClosed = (): void => {};
      const closed = new Promise<void>((resolve) => { markClosed = resolve; });
      const caller = new AbortController();
      await withServer((_req, res) => {
        res.on('close', markClosed);
        res.writeHead(200, { 'content-type': 'application/json' });
        // Write until the socket pushes back; its first drain proves the client is reading the body.
        while (res.write(ENDLESS_CHUNK));
        res.once('drain', () => caller.abort());
      }, async ({ url }) => {
        await rejectsWith(transport.request({
          url, method: 'GET', timeoutMs: GENEROUS_TIMEOUT_MS, maxResponseBytes: MID_BODY_CAP_BYTES, signal: caller.signal,
        }), UpstreamFailure.aborted);
        await closed;
      });
    });

    test('an already-aborted signal: aborted, and the backend is never called', async () => {
      let calls = 0;
      await withServer((_req, res) => { calls += 1; res.end(); }, async ({ url }) => {
        await rejectsWith(transport.request({ url, method: 'GET', timeoutMs: GENEROUS_TIMEOUT_MS, maxResponseBytes: ROOMY_MAX_BYTES, signal: AbortSignal.abort() }), UpstreamFailure.aborted);
        assert.equal(calls, 0);
      });
    });
  });
}

describe('node:http transport', () => {
  test('sequential calls share one keep-alive connection; close() releases it', async () => {
    const transport = createNodeHttpTransport();
    let connections = 0;
    await withServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' }).end('[[0.5]]');
    }, async ({ url, server }) => {
      server.on('connection', () => { connections += 1; });
      for (let call = 0; call < 3; call++) {
        const response = await transport.request({ url, method: 'POST', body: '{"inputs":["a"]}', timeoutMs: GENEROUS_TIMEOUT_MS, maxResponseBytes: ROOMY_MAX_BYTES });
        assert.equal(response.body, '[[0.5]]');
      }
      assert.equal(connections, 1, 'each call opened a connection of its own');
      await transport.close();
      // A call after close() opens a new agent and connection rather than failing.
      await transport.request({ url, method: 'GET', timeoutMs: GENEROUS_TIMEOUT_MS, maxResponseBytes: ROOMY_MAX_BYTES });
      assert.equal(connections, 2);
      await transport.close();
    });
  });

  test('a multi-byte body split across chunks decodes whole', async () => {
    const transport = createNodeHttpTransport();
    const text = 'Grüße, 世界 '.repeat(2_000);
    await withServer((_req, res) => {
      const bytes = Buffer.from(text);
      res.writeHead(200, { 'content-type': 'text/plain' });
      // Split inside a multi-byte character.
      res.write(bytes.subarray(0, 3));
      res.end(bytes.subarray(3));
    }, async ({ url }) => {
      assert.equal((await transport.request({ url, method: 'GET', timeoutMs: GENEROUS_TIMEOUT_MS, maxResponseBytes: ROOMY_MAX_BYTES })).body, text);
    });
    await transport.close();
  });
});

describe('undici transport', () => {
  test('repeated response headers, set-cookie among them, arrive joined with ", " under lower-case names', async () => {
    const transport = createUndiciTransport({ connectionsPerOrigin: 1 });
    await withServer((_req, res) => {
      res.setHeader('Set-Cookie', ['a=1', 'b=2']);
      res.setHeader('X-Repeated', ['one', 'two']);
      res.writeHead(200, { 'content-type': 'application/json' }).end('[]');
    }, async ({ url }) => {
      const { headers } = await transport.request({ url, method: 'GET', timeoutMs: GENEROUS_TIMEOUT_MS, maxResponseBytes: ROOMY_MAX_BYTES });
      assert.equal(headers['set-cookie'], 'a=1, b=2');
      assert.equal(headers['x-repeated'], 'one, two');
      assert.equal(headers['content-type'], 'application/json');
    });
    await transport.close();
  });

  test('a call queued behind a full pool fails at its own budget, not when a connection frees', async () => {
    const transport = createUndiciTransport({ connectionsPerOrigin: 1 });
    await withServer(() => {}, async ({ url, received }) => {
      const holder = new AbortController();
      let holderSettled = false;
      const holding = transport.request({ url, method: 'GET', timeoutMs: GENEROUS_TIMEOUT_MS, maxResponseBytes: ROOMY_MAX_BYTES, signal: holder.signal })
        .finally(() => { holderSettled = true; });
      await received;
      // The pool's one connection waits on an answer that never comes: this call can only queue.
      await rejectsWith(transport.request({ url, method: 'GET', timeoutMs: SHORT_TIMEOUT_MS, maxResponseBytes: ROOMY_MAX_BYTES }), UpstreamFailure.timeout);
      assert.equal(holderSettled, false, 'the queued call only failed once the connection ahead of it was released');
      holder.abort();
      await rejectsWith(holding, UpstreamFailure.aborted);
    });
    await transport.close();
  });
});

describe('classifyNetworkError', () => {
  /** What fetch rejects with: a TypeError whose cause carries the code. */
  const fetchFailed = (cause: unknown): TypeError => new TypeError('fetch failed', { cause });
  const withCode = (code: string): Error => Object.assign(new Error(code), { code });

  test('DNS failures are connect errors, found through the cause chain', () => {
    assert.equal(classifyNetworkError(fetchFailed(withCode('ENOTFOUND')), false, false).reason, UpstreamFailure.connect);
    assert.equal(classifyNetworkError(fetchFailed(withCode('EAI_AGAIN')), false, false).reason, UpstreamFailure.connect);
  });

  test('a Happy Eyeballs AggregateError is classified by the codes it holds', () => {
    const aggregate = new AggregateError([withCode('ECONNREFUSED'), withCode('ECONNREFUSED')], 'all addresses failed');
    assert.equal(classifyNetworkError(fetchFailed(aggregate), false, false).reason, UpstreamFailure.connect);
  });

  test('our own flags win over whatever fetch rejected with; unknown failures are resets', () => {
    const abortError = new DOMException('This operation was aborted', 'AbortError');
    assert.equal(classifyNetworkError(abortError, true, true).reason, UpstreamFailure.timeout);
    assert.equal(classifyNetworkError(abortError, false, true).reason, UpstreamFailure.aborted);
    assert.equal(classifyNetworkError(fetchFailed(withCode('UND_ERR_HEADERS_TIMEOUT')), false, false).reason, UpstreamFailure.timeout);
    assert.equal(classifyNetworkError(fetchFailed(withCode('UND_ERR_SOCKET')), false, false).reason, UpstreamFailure.reset);
    assert.equal(classifyNetworkError(new Error('no code'), false, false).reason, UpstreamFailure.reset);
  });
});
