/**
 * Attack (b), issue 17 finding 2: a backend that answers an embed call with an endless body. A
 * fake DJL Serving instance in this process answers `/ping` as a healthy DJL does and every
 * prediction with a 200 whose JSON list of numbers streams on, chunked, up to `answerBytes`
 * (1.5 GB) unless the front door stops reading first. One client request of one text is sent; the
 * front door's peak RSS and what the client got are the figures.
 */
import { once } from 'node:events';
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { request } from 'undici';
import { DJL_ROUTE, jsonHeaders, OPENAI_ROUTE, startSubject, type ScenarioContext } from './hostile-context';
import { failureOutcome, readAnswer } from './hostile-probes';

/** The figures of the hostile-answer attack. */
export interface AnswerResult {
  readonly answerBytes: number;
  readonly rssBeforeMiB: number | undefined;
  readonly peakRssMiB: number | undefined;
  /** What the client got: `502 backend_response_too_large`, or a failure. */
  readonly clientOutcome: string;
  readonly clientSeconds: number;
  /** Embed calls the backend received (the first and any retries), and the bytes it got to send. */
  readonly backendCalls: number;
  readonly backendBytesSent: number;
}

const CHUNK_BYTES = 1 << 20;
const NUMBER = '0.12345678,';
/** The model name the fake /ping reports and the front door's DJL route serves. */
const MODEL_NAME = 'all_MiniLM_L6_v2';
const MS_PER_S = 1_000;
/** Far past the front door's 30 s REQUEST_TIMEOUT_MS, so its own answer always comes first. */
const CLIENT_TIMEOUT_MS = 120_000;

/** A fake DJL instance whose predictions never end (up to `answerBytes` each). */
export interface HostileBackend {
  readonly url: string;
  readonly calls: () => number;
  readonly bytesSent: () => number;
  readonly close: () => Promise<void>;
}

/** Resolves once `response` can take more, or is closed; leaves no listener behind. */
function drainedOrClosed(response: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      response.off('drain', done);
      response.off('close', done);
      resolve();
    };
    response.on('drain', done);
    response.on('close', done);
  });
}

/** Writes `total` bytes of `[[0.12345678,...` with backpressure; stops when the reader goes away. */
async function streamEndlessList(response: ServerResponse, total: number, onSent: (bytes: number) => void): Promise<void> {
  const chunk = Buffer.from(NUMBER.repeat(Math.ceil(CHUNK_BYTES / NUMBER.length)));
  let closed = false;
  response.once('close', () => {
    closed = true;
  });
  response.writeHead(200, { 'content-type': 'application/json' });
  let sent = 0;
  if (!response.write('[[')) await drainedOrClosed(response);
  while (!closed && sent < total) {
    sent += chunk.length;
    onSent(chunk.length);
    if (!response.write(chunk)) await drainedOrClosed(response);
  }
  if (!closed) response.end('0]]');
}

/** Starts the fake backend on 127.0.0.1, a free port. */
export async function startHostileBackend(answerBytes: number): Promise<HostileBackend> {
  let calls = 0;
  let bytesSent = 0;
  const server = createServer((req, res) => {
    req.resume();
    if (req.url === '/ping') {
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ [MODEL_NAME]: { status: 'Healthy' } }));
      return;
    }
    calls += 1;
    void streamEndlessList(res, answerBytes, (bytes) => {
      bytesSent += bytes;
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}${DJL_ROUTE}`,
    calls: () => calls,
    bytesSent: () => bytesSent,
    close: async () => {
      server.closeAllConnections();
      server.close();
      await once(server, 'close');
    },
  };
}

/** One embed request through a front door whose only backend is hostile. */
export async function runHostileAnswer(context: ScenarioContext): Promise<AnswerResult> {
  const backend = await startHostileBackend(context.shape.answerBytes);
  try {
    const subject = await startSubject(context, {}, [backend.url]);
    try {
      const before = subject.memory();
      const startedAt = performance.now();
      let clientOutcome: string;
      try {
        // The OpenAI route: its error body names the code (DJL's names only an exception class).
        const response = await request(`${subject.frontDoor.url}${OPENAI_ROUTE}`, {
          method: 'POST', headers: jsonHeaders(undefined), body: '{"input":["one text"]}',
          headersTimeout: CLIENT_TIMEOUT_MS, bodyTimeout: CLIENT_TIMEOUT_MS,
        });
        clientOutcome = (await readAnswer(response)).outcome;
      } catch (error) {
        clientOutcome = failureOutcome(error);
      }
      const clientSeconds = (performance.now() - startedAt) / MS_PER_S;
      const peak = subject.memory().peakMiB;
      const result: AnswerResult = {
        answerBytes: context.shape.answerBytes, rssBeforeMiB: before.rssMiB, peakRssMiB: peak, clientOutcome, clientSeconds,
        backendCalls: backend.calls(), backendBytesSent: backend.bytesSent(),
      };
      context.log(`  backend answer of ${(result.answerBytes / 1e9).toFixed(2)} GB: peak RSS ${peak?.toFixed(0) ?? 'n/a'} MiB ` +
        `(${before.rssMiB?.toFixed(0) ?? 'n/a'} before), client got ${clientOutcome} after ${clientSeconds.toFixed(2)} s, ` +
        `${result.backendCalls} calls, ${(result.backendBytesSent / 1e6).toFixed(1)} MB sent`);
      return result;
    } finally {
      await subject.stop();
    }
  } finally {
    await backend.close();
  }
}
