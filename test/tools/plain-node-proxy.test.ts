/**
 * The benchmark's plain Node proxy, bundled and run as `npm run bench` runs it, in front of two
 * real DJL simulators: it must pass requests and answers through untouched and spread the
 * requests over the instances, or the floor it reports under (d) would not be a proxy's.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { ProcessRegistry } from '../../tools/bench/child-processes';
import { buildPlainNodeProxy, type PlainNodeProxyProcess, startPlainNodeProxy } from '../../tools/bench/plain-node-proxy-process';
import { DJL_PROFILES, type DjlSimulator, startDjlSimulator } from '../../tools/djl-simulator/djl-simulator';

const DIMENSION = 8;

describe('the benchmark\'s plain Node proxy', () => {
  const registry = new ProcessRegistry();
  let dir: string;
  let simulators: DjlSimulator[] = [];
  let proxy: PlainNodeProxyProcess;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'plain-node-proxy-'));
    simulators = await Promise.all([0, 1].map(() => startDjlSimulator({ dimension: DIMENSION, ...DJL_PROFILES.zero })));
    proxy = await startPlainNodeProxy(registry, await buildPlainNodeProxy(dir), simulators.map((sim) => sim.predictionsUrl));
  });

  after(async () => {
    await registry.stopAll();
    await Promise.all(simulators.map((sim) => sim.close()));
    await rm(dir, { recursive: true, force: true });
  });

  test('passes each DJL request and answer through, the instances in turn', async () => {
    for (const sim of simulators) sim.resetStats();
    const answers = await Promise.all(['one', 'two', 'three', 'four'].map(async (text) => {
      const response = await fetch(`${proxy.url}/predictions/all_MiniLM_L6_v2`, {
        method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify([text, `${text} again`]),
      });
      return { status: response.status, type: response.headers.get('content-type'), body: await response.json() as number[][] };
    }));
    for (const answer of answers) {
      assert.equal(answer.status, 200);
      assert.match(answer.type ?? '', /^application\/json/);
      assert.equal(answer.body.length, 2, 'one vector per text, as the instance answered');
      for (const vector of answer.body) assert.equal(vector.length, DIMENSION);
    }
    assert.deepEqual(simulators.map((sim) => sim.stats.requests), [2, 2], 'two requests to each instance');
    assert.deepEqual(simulators.map((sim) => sim.stats.texts), [4, 4]);
  });

  test('an instance that is gone is a 502, and the proxy keeps serving', async () => {
    const gone = simulators[1];
    assert.ok(gone !== undefined);
    await gone.close();
    const statuses: number[] = [];
    for (let index = 0; index < 2; index++) {
      const response = await fetch(proxy.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '["x"]' });
      await response.arrayBuffer();
      statuses.push(response.status);
    }
    assert.deepEqual([...statuses].sort(), [200, 502]);
  });
});
