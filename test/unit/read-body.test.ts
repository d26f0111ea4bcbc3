/** The body reads (chunk by chunk, or in one step when small) decode exactly what Request.text() decodes. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decodeByChunks } from '../../shared/http/read-body';
import type { AppEnv } from '../../shared/http/app-env';

/** A request whose body arrives as `chunks`. */
const requestOf = (chunks: Uint8Array[]): Request => new Request('http://localhost/', {
  method: 'POST',
  body: new ReadableStream<Uint8Array>({
    start(controller) {
      for (const chunk of chunks) controller.enqueue(chunk);
      controller.close();
    },
  }),
  duplex: 'half',
});

test('decoded by chunks as Request.text() decodes: characters split across chunks, a BOM, malformed bytes, nothing', async () => {
  const bytes = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('{"input":["café ☕ 𝄞"]}'), Buffer.from([0xff, 0xc3])]);
  for (const size of [1, 2, 3, 5, 64, bytes.length]) {
    const chunks: Uint8Array[] = [];
    for (let at = 0; at < bytes.length; at += size) chunks.push(bytes.subarray(at, at + size));
    assert.equal(await decodeByChunks(requestOf(chunks)), await requestOf(chunks).text(), `chunks of ${size} bytes`);
  }
  assert.equal(await decodeByChunks(new Request('http://localhost/', { method: 'POST' })), '');
});

test('through the Node server, a small body with Content-Length (read in one step) and a chunked one decode alike', async () => {
  const { Hono } = await import('hono');
  const { startNodeServer } = await import('../../shared/runtime/node-server');
  const { readBodyText, ONE_STEP_BODY_BYTES } = await import('../../shared/http/read-body');
  const { silentLogger } = await import('../../shared/logger');
  const app = new Hono<AppEnv>();
  app.post('/', async (c) => c.json({ text: await readBodyText(c) }));
  const server = await startNodeServer(app, { host: '127.0.0.1', port: 0, shutdownGraceMs: 1_000, logger: silentLogger });
  try {
    const bytes = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('{"input":["café ☕ 𝄞"]}'), Buffer.from([0xff, 0xc3])]);
    const expected = new TextDecoder().decode(bytes);
    const sized = await fetch(server.url, { method: 'POST', body: bytes });
    assert.equal(((await sized.json()) as { text: string }).text, expected, 'Content-Length: the one-step read');
    const chunked = await fetch(server.url, {
      method: 'POST', duplex: 'half',
      body: new ReadableStream<Uint8Array>({ start(controller) { controller.enqueue(bytes.subarray(0, 5)); controller.enqueue(bytes.subarray(5)); controller.close(); } }),
    });
    assert.equal(((await chunked.json()) as { text: string }).text, expected, 'chunked: decoded by chunks');
    const large = `"${'x'.repeat(ONE_STEP_BODY_BYTES + 10)}"`;
    const big = await fetch(server.url, { method: 'POST', body: large });
    assert.equal(((await big.json()) as { text: string }).text, large, 'past ONE_STEP_BODY_BYTES: decoded by chunks');
  } finally {
    await server.shutdown();
  }
});
