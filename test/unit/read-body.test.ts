/** The chunk-by-chunk body decode reads exactly what Request.text() reads. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decodeByChunks } from '../../shared/http/read-body';

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
