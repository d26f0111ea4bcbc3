/**
 * The TEI and OpenAI-compatible upstream clients, over real HTTP. The upstream is another front
 * door (which speaks both dialects) in front of a simulated DJL instance: a chain that checks both
 * the clients and the routes' wire shapes.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { numberedTexts, post, readJson, startFrontDoor, type TestFrontDoor } from '../helpers/front-door';
import { DJL_PROFILES, type DjlSimulator, simulatedEmbedding, startDjlSimulator } from '../../tools/djl-simulator/djl-simulator';

describe('TEI and OpenAI-compatible upstreams', () => {
  let sim: DjlSimulator;
  let inner: TestFrontDoor;

  before(async () => {
    sim = await startDjlSimulator({ ...DJL_PROFILES.zero });
    // TEI's default max_client_batch_size is 32: the inner door refuses more, so the TEI client must split.
    inner = await startFrontDoor({ CPU_BACKENDS: sim.predictionsUrl, MAX_ITEMS_PER_REQUEST: '32' });
  });
  after(async () => {
    await inner.close();
    await sim.close();
  });

  for (const [dialect, path] of [['TEI', '/embed'], ['OpenAI', '/v1/embeddings']] as const) {
    test(`${dialect} upstream: vectors in order, large requests split to the upstream's batch limit`, async () => {
      const outer = await startFrontDoor({ CPU_BACKENDS: `${inner.url}${path}` });
      try {
        const texts = numberedTexts(dialect === 'TEI' ? 100 : 20);
        const { status, body } = await post(`${outer.url}/predictions/all_MiniLM_L6_v2`, texts);
        assert.equal(status, 200);
        assert.deepEqual(body, texts.map((text) => simulatedEmbedding(text, 384)));
        const ping = await readJson(await fetch(`${outer.url}/info`));
        assert.equal(ping.tiers.cpu.healthy, 1, `${dialect} health probe reads the upstream as healthy`);
      } finally {
        await outer.close();
      }
    });
  }

  test('a batch the upstream refuses as a whole is split until it is accepted', async () => {
    // The outer door batches 40 texts, more than the inner one takes: the refusal (400
    // too_many_items) is read as "this input", and the halves go through.
    const outer = await startFrontDoor({ CPU_BACKENDS: `${inner.url}/v1/embeddings`, CPU_BATCH_SIZE: '40' });
    try {
      const texts = numberedTexts(40);
      const { status, body } = await post(`${outer.url}/v1/embeddings`, { input: texts, model: 'm' });
      assert.equal(status, 200);
      assert.deepEqual(body.data.map((item: { embedding: number[] }) => item.embedding), texts.map((text) => simulatedEmbedding(text, 384)));
    } finally {
      await outer.close();
    }
  });

  test('an upstream 404 (misconfigured model path) is a 502 that names the upstream error, not the client\'s fault', async () => {
    // Passive checks only: an active probe would (rightly) find the model missing and take the endpoint out.
    const outer = await startFrontDoor({ CPU_BACKENDS: `${inner.url}/predictions/other_model`, HEALTH_INTERVAL_MS: '0' });
    try {
      const { status, body } = await post(`${outer.url}/v1/embeddings`, { input: ['a'], model: 'm' });
      assert.equal(status, 502);
      assert.equal(body.error.code, 'backend_error');
      assert.match(body.error.message, /404 ModelNotFoundException/);
    } finally {
      await outer.close();
    }
  });
});
