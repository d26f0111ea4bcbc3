/**
 * The CPU profile tools of `npm run bench -- --cpu-prof`: the measured window cut out of a
 * whole-process profile, and each sample's time given to the part of the program its stack
 * belongs to (Node's own frames count for their caller).
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { cutToWindow, readProfile, writeProfileGz, type CpuProfile, type ProfileNode } from '../../tools/bench/cpu-profile';
import { frameCategory, profileTable, summarizeProfile } from '../../tools/bench/cpu-profile-summary';

const ROOT = 'file:///repo';
const frame = (functionName: string, url: string): ProfileNode['callFrame'] => ({ functionName, url, lineNumber: 0, columnNumber: 0 });

/**
 * root -> hono dispatch -> djl route -> node:internal write (a framework write seen through Node's frame)
 *      -> upstream parseJsonBody;  root -> (idle);  root -> node:_http_server parser (Node's own)
 */
const NODES: ProfileNode[] = [
  { id: 1, callFrame: frame('(root)', ''), children: [2, 6, 7, 8] },
  { id: 2, callFrame: frame('dispatch', `${ROOT}/node_modules/hono/dist/compose.js`), children: [3] },
  { id: 3, callFrame: frame('djl', `${ROOT}/shared/http/embed-routes.ts`), children: [4, 5] },
  { id: 4, callFrame: frame('writev', 'node:internal/stream_base_commons') },
  { id: 5, callFrame: frame('parseJsonBody', `${ROOT}/shared/upstream/upstream-http.ts`) },
  { id: 6, callFrame: frame('(idle)', '') },
  { id: 7, callFrame: frame('parserOnHeadersComplete', 'node:_http_common') },
  { id: 8, callFrame: frame('(garbage collector)', '') },
];

/** Samples every 1 ms from t = 1,000 µs: the leaf of each, and the time the next one follows. */
function profileOf(leaves: readonly number[]): CpuProfile {
  return { nodes: NODES, startTime: 0, endTime: 1_000 * (leaves.length + 1), samples: [...leaves], timeDeltas: leaves.map(() => 1_000) };
}

describe('CPU profile summary', () => {
  test('frames are put in their category by where their code lives', () => {
    assert.equal(frameCategory(frame('observe', `${ROOT}/node_modules/prom-client/lib/histogram.js`)), 'metrics (prom-client) & timing headers');
    assert.equal(frameCategory(frame('request', `${ROOT}/node_modules/undici/lib/dispatcher/client.js`)), 'upstream client (undici)');
    assert.equal(frameCategory(frame('readTexts', `${ROOT}/shared/dialects/read-texts.ts`)), 'request parsing & validation');
    assert.equal(frameCategory(frame('formatDjlResponse', `${ROOT}/shared/dialects/djl.ts`)), 'answer serialisation');
    assert.equal(frameCategory(frame('runPump', `${ROOT}/shared/dispatch/tier-dispatcher.ts`)), 'batching & dispatch');
    assert.equal(frameCategory(frame('info', `${ROOT}/shared/logger.ts`)), 'logging');
    assert.equal(frameCategory(frame('emit', 'node:events')), undefined, "Node's frames count for their caller");
  });

  test("each sample's interval goes to the deepest known frame of its stack; idle is left out of busy time", () => {
    // writev x3 (under the route: framework), parseJsonBody x2, idle x4, http parser x1, GC x1; the last sample has no interval.
    const summary = summarizeProfile(profileOf([4, 4, 4, 5, 5, 6, 6, 6, 6, 7, 8, 6]));
    assert.equal(summary.totalMs, 11);
    assert.equal(summary.byCategory['framework (hono, @hono/node-server, app glue)'], 3);
    assert.equal(summary.byCategory['upstream JSON parse & checks'], 2);
    assert.equal(summary.byCategory['Node internals (http, net, streams, timers)'], 1);
    assert.equal(summary.byCategory['V8 native & GC'], 1);
    assert.equal(summary.byCategory.idle, 4);
    assert.equal(summary.busyMs, 7);
    assert.match(summary.topFunctions[0]?.name ?? '', /^writev/);
    const table = profileTable([{ label: 'x', summary, requests: 7 }]);
    assert.match(table, /\| framework \(hono, @hono\/node-server, app glue\) +\| +429 \| 42\.9% +\|/, '3 ms over 7 requests, 3 of 7 busy ms');
    assert.match(table, /\| \*\*busy in all\*\* +\| +1,000 \| 7 ms +\|/);
  });

  test('the window keeps only the samples inside it, and a gzipped profile reads back the same', async () => {
    const whole = profileOf([4, 4, 5, 5, 6, 6]);
    const cut = cutToWindow(whole, { startUs: 2_500, endUs: 5_000 });
    assert.deepEqual(cut.samples, [5, 5, 6], 'samples at 3, 4 and 5 ms');
    assert.deepEqual(cut.timeDeltas, [500, 1_000, 1_000]);
    assert.equal(cut.startTime, 2_500);
    const dir = await mkdtemp(join(tmpdir(), 'profile-test-'));
    try {
      const path = join(dir, 'p.cpuprofile.gz');
      assert.ok(await writeProfileGz(path, cut) > 0);
      assert.deepEqual(await readProfile(path), cut);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
