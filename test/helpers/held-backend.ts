/**
 * A DJL stand-in on loopback that answers probes at once and holds each embed batch until the
 * test releases it, so tests can assert what reaches the backend, and in which order, without
 * depending on timing.
 */
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { eventually } from './eventually';

const DIMENSION = 384;

export interface HeldBackend {
  /** The predictions URL to use as CPU_BACKENDS. */
  readonly url: string;
  readonly batches: readonly HeldBatch[];
  /** Waits for batch `index` (0-based) to arrive, releases it, and returns its texts. */
  release(index: number): Promise<string[]>;
  close(): Promise<void>;
}

export interface HeldBatch {
  readonly texts: string[];
  release(): void;
}

export async function startHeldBackend(): Promise<HeldBackend> {
  const batches: HeldBatch[] = [];
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    if (req.method === 'GET') {
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"all_MiniLM_L6_v2": {"status": "Healthy"}}');
      return;
    }
    let body = '';
    req.on('data', (chunk: Buffer) => (body += String(chunk)));
    req.on('end', () => {
      const json = JSON.parse(body) as string[] | { inputs: string[] };
      const texts = Array.isArray(json) ? json : json.inputs;
      const vectors = texts.map(() => Array<number>(DIMENSION).fill(0.01));
      batches.push({ texts, release: () => {
        if (!res.headersSent) res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(vectors));
      } });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/predictions/all_MiniLM_L6_v2`,
    batches,
    /** Waits for batch `index` (0-based) to arrive, releases it, and returns its texts. */
    async release(index: number): Promise<string[]> {
      const batch = await eventually(() => {
        assert.ok(batches[index] !== undefined, `batch ${index} arrived`);
        return batches[index];
      });
      batch.release();
      return batch.texts;
    },
    close: () => new Promise<void>((resolve) => {
      for (const batch of batches) batch.release();
      server.close(() => resolve());
      server.closeAllConnections();
    }),
  };
}

