/**
 * One key's flood cannot starve another key (issue 17, finding 4): through the real server, with
 * a backend that holds every batch until the test lets it go, so the order in which texts reach
 * it is the fact under test, not timing.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { DispatchEmbedder } from '../../shared/dispatch/dispatch-embedder';
import { hashApiKey } from '../../shared/security/api-keys';
import { eventually } from '../helpers/eventually';
import { post, startFrontDoor, type TestFrontDoor } from '../helpers/front-door';
import { type HeldBackend, startHeldBackend } from '../helpers/held-backend';
import { parseExposition, valueOf } from '../helpers/prometheus-text';

const KEYS = { flood: 'efd_flooding-key', victim: 'efd_victim-key', ops: 'efd_operator-key' } as const;
const API_KEYS = [
  `flood:${hashApiKey(KEYS.flood)}`,
  `victim:${hashApiKey(KEYS.victim)}`,
  `ops:${hashApiKey(KEYS.ops)}:role=operator`,
].join(',');
const as = (key: string) => ({ authorization: `Bearer ${key}` });

const texts = (tag: string, count: number) => Array.from({ length: count }, (_, i) => `${tag} text ${i}`);

async function withDoor(env: Record<string, string>, run: (door: TestFrontDoor, backend: HeldBackend) => Promise<void>) {
  const backend = await startHeldBackend();
  const door = await startFrontDoor({
    CPU_BACKENDS: backend.url, API_KEYS, CPU_BATCH_SIZE: '8', CPU_MAX_INFLIGHT: '1', COALESCE_WINDOW_MS: '0', ...env,
  });
  try {
    await run(door, backend);
  } finally {
    await door.close();
    await backend.close();
  }
}

const cpuTier = (door: TestFrontDoor) => (door.deps.embedder as DispatchEmbedder).tiers.cpu;

describe('tenant isolation: one key cannot starve another', () => {
  test('a full queue of one key\'s texts: another key\'s request is admitted by shedding the flood\'s newest, and rides the next batch', async () => {
    await withDoor({ QUEUE_MAX_TEXTS: '96' }, async (door, backend) => {
      const flood = [post(`${door.url}/embed`, { inputs: texts('flood 0', 8) }, as(KEYS.flood))];
      await eventually(() => assert.equal(backend.batches.length, 1, 'the first batch is at the backend'));
      for (let i = 1; i <= 12; i++) flood.push(post(`${door.url}/embed`, { inputs: texts(`flood ${i}`, 8) }, as(KEYS.flood)));
      await eventually(() => assert.equal(cpuTier(door).queuedTexts, 96, 'the queue is full of the flood'));

      const victim = post(`${door.url}/v1/embeddings`, { input: 'victim text', model: 'm' }, as(KEYS.victim));
      const shed = await flood[12]!;
      assert.equal(shed.status, 429);
      assert.equal(shed.body.error_type, 'Overloaded');
      assert.match(shed.body.error, /queue is full and this client held the most of it: its newest request gave way/);
      assert.match(shed.headers.get('retry-after') ?? '', /^\d+$/);

      await backend.release(0);
      assert.ok((await backend.release(1)).includes('victim text'), 'the victim\'s text is in the batch after the one in flight');
      const answer = await victim;
      assert.equal(answer.status, 200);
      assert.equal(answer.body.data.length, 1);

      for (let index = 2; index <= 12; index++) await backend.release(index);
      const statuses = (await Promise.all(flood.slice(0, 12))).map((reply) => reply.status);
      assert.deepEqual(statuses, Array<number>(12).fill(200), 'every admitted flood request is still answered');

      const metrics = await fetch(`${door.url}/metrics`, { headers: as(KEYS.ops) });
      const exposition = parseExposition(await metrics.text());
      assert.equal(valueOf(exposition, 'efd_rejected_requests_total', { tier: 'cpu', reason: 'shed' }), 1);
    });
  });

  test('QUEUE_MAX_TEXTS_PER_KEY: a key past its share of the queue gets a 429 in its dialect while another key is admitted', async () => {
    await withDoor({ QUEUE_MAX_TEXTS_PER_KEY: '16' }, async (door, backend) => {
      const first = post(`${door.url}/embed`, { inputs: texts('flood 0', 8) }, as(KEYS.flood));
      await eventually(() => assert.equal(backend.batches.length, 1));
      const queued = [1, 2].map((i) => post(`${door.url}/embed`, { inputs: texts(`flood ${i}`, 8) }, as(KEYS.flood)));
      await eventually(() => assert.equal(cpuTier(door).queuedTexts, 16));
      const over = await post(`${door.url}/v1/embeddings`, { input: ['one more'], model: 'm' }, as(KEYS.flood));
      assert.equal(over.status, 429);
      assert.equal(over.body.error.type, 'rate_limit_error');
      assert.match(over.body.error.message, /this API key already has 16 texts waiting in the cpu tier's queue, at most 16 may wait per key \(QUEUE_MAX_TEXTS_PER_KEY\)/);
      const victim = post(`${door.url}/predictions/all_MiniLM_L6_v2`, texts('victim', 8), as(KEYS.victim));
      await eventually(() => assert.equal(cpuTier(door).queuedTexts, 24, 'the other key\'s texts were admitted'));
      for (let index = 0; index <= 3; index++) await backend.release(index);
      assert.equal((await victim).status, 200);
      assert.equal((await first).status, 200);
      for (const reply of await Promise.all(queued)) assert.equal(reply.status, 200);

      const metrics = await fetch(`${door.url}/metrics`, { headers: as(KEYS.ops) });
      assert.equal(valueOf(parseExposition(await metrics.text()), 'efd_rejected_requests_total', { tier: 'cpu', reason: 'key_queue_full' }), 1);
    });
  });
});
