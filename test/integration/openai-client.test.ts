/** The official `openai` npm client, used as an application would, against /v1/embeddings. */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import OpenAI from 'openai';
import { startFrontDoor, type TestFrontDoor } from '../helpers/front-door';
import { DJL_PROFILES, type DjlSimulator, simulatedEmbedding, startDjlSimulator } from '../../tools/djl-simulator/djl-simulator';

describe('official openai client', () => {
  let sim: DjlSimulator;
  let door: TestFrontDoor;
  let client: OpenAI;

  before(async () => {
    sim = await startDjlSimulator({ ...DJL_PROFILES.zero });
    door = await startFrontDoor({ CPU_BACKENDS: sim.predictionsUrl, STRICT_MODEL_NAMES: 'true', MODEL_ALIASES: 'text-embedding-3-small' });
    client = new OpenAI({ apiKey: 'unused', baseURL: `${door.url}/v1`, maxRetries: 0 });
  });
  after(async () => {
    await door.close();
    await sim.close();
  });

  const texts = ['The quick brown fox', 'jumps over', 'the lazy dog'];

  test('default settings (the client asks for base64 and decodes it)', async () => {
    const response = await client.embeddings.create({ model: 'text-embedding-3-small', input: texts });
    assert.equal(response.data.length, 3);
    response.data.forEach((item, index) => {
      assert.equal(item.index, index);
      assert.deepEqual(item.embedding, simulatedEmbedding(texts[index] as string, 384));
    });
    assert.equal(response.model, 'text-embedding-3-small');
    assert.ok(response.usage.prompt_tokens > 0);
  });

  test("encoding_format: 'float'", async () => {
    const response = await client.embeddings.create({ model: 'all-MiniLM-L6-v2', input: 'one text', encoding_format: 'float' });
    assert.deepEqual(response.data[0]?.embedding, simulatedEmbedding('one text', 384));
  });

  test('errors surface as the client error classes', async () => {
    await assert.rejects(client.embeddings.create({ model: 'text-embedding-ada-002', input: 'x' }), (error: unknown) => {
      assert.ok(error instanceof OpenAI.NotFoundError);
      assert.equal(error.code, 'model_not_found');
      return true;
    });
    await assert.rejects(client.embeddings.create({ model: 'all-MiniLM-L6-v2', input: [] }), OpenAI.BadRequestError);
  });

  test('models.list() names the served model', async () => {
    const ids = [];
    for await (const model of client.models.list()) ids.push(model.id);
    assert.ok(ids.includes('sentence-transformers/all-MiniLM-L6-v2'));
  });
});
