/**
 * A DJL stand-in on loopback for cache tests: it answers every batch at once with vectors that
 * name their texts, and records every text it received, so a test can tell what reached the
 * backend and whose vector each answer is.
 */
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** The stand-in's vector length (set MODEL_DIMENSION to it). */
export const DIMENSION = 8;

/** A vector that names its text: the test can tell which text each answer belongs to. */
export function vectorOf(text: string): number[] {
  let hash = 0;
  for (let i = 0; i < text.length; i++) hash = (hash * 31 + text.charCodeAt(i)) >>> 0;
  return Array.from({ length: DIMENSION }, (_, i) => ((hash >>> (i * 4)) & 0xf) / 16 + text.length / 1024);
}
const close = (a: readonly number[], b: readonly number[]): boolean => a.length === b.length && a.every((x, i) => Math.abs(x - (b[i] as number)) < 1e-6);

/** Asserts each vector is its text's, in input order. */
export function assertAnswers(texts: readonly string[], vectors: readonly number[][]): void {
  assert.equal(vectors.length, texts.length);
  texts.forEach((text, i) => assert.ok(close(vectors[i] as number[], vectorOf(text)), `vector ${i} is ${text}'s`));
}

/** A DJL stand-in answering every batch at once and counting the texts it received. */
export async function startCountingBackend() {
  const received: string[] = [];
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    if (req.method === 'GET') {
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"m": {"status": "Healthy"}}');
      return;
    }
    let body = '';
    req.on('data', (chunk: Buffer) => (body += String(chunk)));
    req.on('end', () => {
      const json = JSON.parse(body) as string[] | { inputs: string[] };
      const texts = Array.isArray(json) ? json : json.inputs;
      received.push(...texts);
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(texts.map(vectorOf)));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/predictions/m`,
    received,
    close: () => new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    }),
  };
}
export type CountingBackend = Awaited<ReturnType<typeof startCountingBackend>>;
