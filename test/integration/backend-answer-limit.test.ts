/**
 * A backend answering without end (issue 17: one 1.5 GB answer took the process to 3.2 GB) is cut
 * at the cap derived from what was asked: each client gets a 502 backend_response_too_large in its
 * own dialect, never a 500, the backend's connections are closed, and the front door serves on.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, test } from 'node:test';
import { embedAnswerLimit } from '../../shared/upstream/answer-limit';
import { eventually } from '../helpers/eventually';
import { post, startFrontDoor } from '../helpers/front-door';

const MODEL = 'all_MiniLM_L6_v2';
const DIMENSION = 4;
/** The text that makes the backend answer without end. */
const ENDLESS_TEXT = 'answer-forever';
/** One chunk of the endless answer: valid-looking numbers, so only its size gives it away. */
const CHUNK = Buffer.from('0.1234567,'.repeat(1_600));
/** The loopback socket's kernel buffers and the client's stream buffers (see http-transports.test.ts). */
const SOCKET_BUFFER_ALLOWANCE_BYTES = 32 * 1024 * 1024;

interface HostileBackend {
  readonly url: string;
  readonly server: Server;
  /** Endless answers started, and how many of their connections have closed. */
  readonly endless: { started: number; closed: number; mostWritten: number };
}

/**
 * A DJL backend: healthy on /ping, correct vectors for ordinary texts, and for ENDLESS_TEXT a 200
 * whose body never ends, written as fast as the front door reads it.
 */
async function startHostileBackend(): Promise<HostileBackend> {
  const endless = { started: 0, closed: 0, mostWritten: 0 };
  const server = createServer((req, res) => {
    if (req.url === '/ping') {
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ [MODEL]: { status: 'Healthy' } }));
      return;
    }
    let body = '';
    req.setEncoding('utf8').on('data', (chunk: string) => { body += chunk; }).on('end', () => {
      const texts = (JSON.parse(body) as { inputs: string[] }).inputs;
      res.writeHead(200, { 'content-type': 'application/json' });
      if (!texts.includes(ENDLESS_TEXT)) {
        res.end(JSON.stringify(texts.map((_, index) => Array.from({ length: DIMENSION }, () => index / 10))));
        return;
      }
      endless.started += 1;
      let written = 0;
      res.on('close', () => {
        endless.closed += 1;
        endless.mostWritten = Math.max(endless.mostWritten, written);
      });
      res.write('[[');
      const pump = (): void => {
        while (!res.destroyed) {
          written += CHUNK.length;
          if (!res.write(CHUNK)) {
            res.once('drain', pump);
            return;
          }
        }
      };
      pump();
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/predictions/${MODEL}`, server, endless };
}

describe('a backend answering without end', () => {
  test('each dialect gets a 502 backend_response_too_large, the connections close, other requests are served', async () => {
    const backend = await startHostileBackend();
    const door = await startFrontDoor({ CPU_BACKENDS: backend.url, MODEL_DIMENSION: String(DIMENSION) });
    try {
      const openai = await post(`${door.url}/v1/embeddings`, { input: ENDLESS_TEXT, model: MODEL });
      assert.equal(openai.status, 502, openai.text);
      assert.equal(openai.body.error.code, 'backend_response_too_large');
      assert.equal(openai.body.error.type, 'server_error');
      assert.doesNotMatch(openai.text, /127\.0\.0\.1/);

      const tei = await post(`${door.url}/embed`, { inputs: ENDLESS_TEXT });
      assert.equal(tei.status, 502, tei.text);
      assert.equal(tei.body.error_type, 'Backend');

      const djl = await post(`${door.url}/predictions/${MODEL}`, [ENDLESS_TEXT]);
      assert.equal(djl.status, 502, djl.text);
      assert.equal(djl.body.type, 'BadGatewayException');

      // Every endless answer was read only to its cap: its connection closed, the backend stopped.
      await eventually(() => assert.equal(backend.endless.closed, backend.endless.started), { message: 'every endless answer closed' });
      assert.ok(backend.endless.started >= 3, `${backend.endless.started} endless answers`);
      const cap = embedAnswerLimit(1, DIMENSION);
      assert.ok(backend.endless.mostWritten <= cap + SOCKET_BUFFER_ALLOWANCE_BYTES,
        `the backend wrote ${backend.endless.mostWritten} bytes into one answer`);

      const served = await post(`${door.url}/v1/embeddings`, { input: ['a', 'b'], model: MODEL });
      assert.equal(served.status, 200, served.text);
      assert.equal(served.body.data.length, 2);
      assert.equal(served.body.data[1].embedding.length, DIMENSION);
    } finally {
      await door.close();
      backend.server.closeAllConnections();
      backend.server.close();
    }
  });
});
