/**
 * The scaling signal on /metrics moves with the work a live front door holds: texts queued and in
 * flight at a held backend, the endpoints that can serve, and the wait at the measured speed.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { eventually } from '../helpers/eventually';
import { numberedTexts, post, startFrontDoor } from '../helpers/front-door';
import { startHeldBackend } from '../helpers/held-backend';
import { parseExposition, valueOf } from '../helpers/prometheus-text';

describe('scaling signal on /metrics', () => {
  test('backlog, backlog per endpoint and the wait rise while a backend holds work, and fall when it answers', async () => {
    const backend = await startHeldBackend();
    const door = await startFrontDoor({
      CPU_BACKENDS: backend.url, CPU_MAX_INFLIGHT: '1', CPU_BATCH_SIZE: '2', COALESCE_WINDOW_MS: '0', HEALTH_INTERVAL_MS: '0',
    });
    const scrape = async () => parseExposition(await (await fetch(`${door.url}/metrics`)).text());
    const signal = async () => {
      const exposition = await scrape();
      const cpu = { tier: 'cpu' };
      return {
        backlog: valueOf(exposition, 'efd_backlog_texts', cpu),
        serving: valueOf(exposition, 'efd_serving_endpoints', cpu),
        perEndpoint: valueOf(exposition, 'efd_backlog_per_endpoint', cpu),
        wait: valueOf(exposition, 'efd_estimated_wait_seconds', cpu),
      };
    };
    try {
      assert.deepEqual(await signal(), { backlog: 0, serving: 1, perEndpoint: 0, wait: 0 });

      // One batch answered, so the endpoint's speed is measured.
      const first = post(`${door.url}/embed`, { inputs: numberedTexts(2, 'first') });
      await backend.release(0);
      assert.equal((await first).status, 200);

      // Two texts held at the backend, six queued behind them (one batch at a time).
      const held = post(`${door.url}/embed`, { inputs: numberedTexts(2, 'held') });
      await eventually(() => assert.equal(backend.batches.length, 2));
      const queued = post(`${door.url}/embed`, { inputs: numberedTexts(6, 'queued') });
      const busy = await eventually(async () => {
        const now = await signal();
        assert.equal(now.backlog, 8);
        return now;
      });
      assert.equal(busy.serving, 1);
      assert.equal(busy.perEndpoint, 8);
      assert.ok(busy.wait !== undefined && busy.wait > 0, `a wait for the six queued texts, got ${busy.wait}`);

      await backend.release(1);
      await eventually(async () => assert.equal((await signal()).backlog, 6));
      for (let batch = 2; batch < 5; batch++) await backend.release(batch);
      assert.equal((await held).status, 200);
      assert.equal((await queued).status, 200);
      await eventually(async () => assert.deepEqual(await signal(), { backlog: 0, serving: 1, perEndpoint: 0, wait: 0 }));
    } finally {
      await door.close();
      await backend.close();
    }
  });
});
