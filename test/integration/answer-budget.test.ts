/**
 * Answers held at once are bounded (MAX_INFLIGHT_ANSWER_BYTES): each request reserves its
 * answer's memory, estimated from its texts, from admission until it ends. Found by
 * bench:hostile (a): cache hits answered at once built ~20 MB answers dozens at a time.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { eventually } from '../helpers/eventually';
import { post, startFrontDoor } from '../helpers/front-door';
import { startHeldBackend } from '../helpers/held-backend';

// 384 numbers of 24 bytes: 9,216 bytes a text, so the budget holds two texts' answers.
const TWO_TEXTS = String(2 * 384 * 24);

describe('answers in flight bounded', () => {
  test('past MAX_INFLIGHT_ANSWER_BYTES a request gets a 429 in its dialect; the budget is returned when requests end', async () => {
    const backend = await startHeldBackend();
    const door = await startFrontDoor({
      CPU_BACKENDS: backend.url, MAX_INFLIGHT_ANSWER_BYTES: TWO_TEXTS, CPU_MAX_INFLIGHT: '1', COALESCE_WINDOW_MS: '0', CACHE_MEMORY_MB: '0',
    });
    try {
      const held = post(`${door.url}/embed`, { inputs: ['one', 'two'] });
      await eventually(() => assert.equal(backend.batches.length, 1));
      const openai = await post(`${door.url}/v1/embeddings`, { input: 'three', model: 'm' });
      assert.equal(openai.status, 429);
      assert.equal(openai.body.error.type, 'rate_limit_error');
      assert.match(openai.body.error.message, /building too many answers at once \(MAX_INFLIGHT_ANSWER_BYTES=18432 bytes\)/);
      assert.equal(openai.headers.get('retry-after'), '1');
      const djl = await post(`${door.url}/predictions/all_MiniLM_L6_v2`, ['three']);
      assert.equal(djl.status, 429);
      assert.equal(djl.body.type, 'WlmCapacityException');

      await backend.release(0);
      assert.equal((await held).status, 200);
      // Returned: a request larger than the whole budget is taken when it is alone.
      const large = post(`${door.url}/embed`, { inputs: ['a', 'b', 'c', 'd', 'e'] });
      await backend.release(1);
      assert.equal((await large).status, 200);
      const again = post(`${door.url}/embed`, { inputs: ['f', 'g'] });
      await backend.release(2);
      assert.equal((await again).status, 200);
    } finally {
      await door.close();
      await backend.close();
    }
  });
});
