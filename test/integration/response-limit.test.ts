/**
 * Lambda's 6 MB buffered-response limit, scaled down: answers that cannot fit get a 413 that says
 * to ask for base64 or send fewer texts, before any embedding when the size alone rules them out.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { parseConfig } from '../../shared/config/config';
import { createApp } from '../../shared/http/create-app';
import { silentLogger } from '../../shared/logger';
import { createDependencies, type Dependencies } from '../../shared/runtime/create-dependencies';
import { createFetchTransport } from '../../shared/upstream/fetch-transport';
import { DJL_PROFILES, type DjlSimulator, startDjlSimulator } from '../../tools/djl-simulator/djl-simulator';

const LIMIT = 200_000;
const texts = (count: number) => Array.from({ length: count }, (_, i) => `text ${i}`);

describe('response size limit', () => {
  let sim: DjlSimulator;
  let deps: Dependencies;
  let app: ReturnType<typeof createApp>;

  before(async () => {
    sim = await startDjlSimulator({ ...DJL_PROFILES.zero });
    deps = createDependencies(parseConfig({ CPU_BACKENDS: sim.predictionsUrl, LOG_LEVEL: 'silent' }), {
      transport: createFetchTransport(), runtime: 'test', logger: silentLogger, concurrentRequests: false,
    });
    app = createApp({ ...deps, maxResponseBytes: LIMIT });
  });
  after(async () => {
    await deps.close();
    await sim.close();
  });

  const post = (path: string, body: unknown) =>
    app.request(path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

  test('an answer too large whatever its values is refused before any embedding', async () => {
    sim.resetStats();
    const response = await post('/v1/embeddings', { input: texts(100), model: 'm' });
    assert.equal(response.status, 413);
    const body = await response.json() as { error: { code: string; message: string } };
    assert.equal(body.error.code, 'response_too_large');
    assert.match(body.error.message, /answer to 100 texts.*response limit.*"encoding_format": "base64".*at most about \d+ texts/);
    assert.equal(sim.stats.requests, 0);
  });

  test('an answer that turns out too large is refused before it is sent; base64 of the same fits', async () => {
    const refused = await post('/v1/embeddings', { input: texts(60), model: 'm', encoding_format: 'float' });
    assert.equal(refused.status, 413);
    assert.match((await refused.json() as { error: { message: string } }).error.message, /base64/);
    const fits = await post('/v1/embeddings', { input: texts(60), model: 'm', encoding_format: 'base64' });
    assert.equal(fits.status, 200);
    assert.ok((await fits.text()).length < LIMIT);
  });

  test('the TEI and DJL routes, which have no base64, point to fewer texts or the OpenAI route', async () => {
    const tei = await post('/embed', { inputs: texts(100) });
    assert.equal(tei.status, 413);
    assert.match((await tei.json() as { error: string }).error, /send at most about \d+ texts.*base64/);
    const djl = await post('/predictions/all_MiniLM_L6_v2', texts(100));
    assert.equal(djl.status, 413);
    const small = await post('/embed', { inputs: texts(5) });
    assert.equal(small.status, 200);
  });
});
