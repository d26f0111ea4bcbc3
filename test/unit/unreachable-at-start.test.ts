/** The start-up warning for a backend nothing answers: once per endpoint, at its first probe, naming only host:port. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createLogger } from '../../shared/logger';
import { BACKEND_UNREACHABLE, hostPort, warnIfUnreachableAtStart } from '../../shared/upstream/unreachable-at-start';
import { type EndpointHealth, HealthState } from '../../shared/upstream/upstream';
import { FakeUpstream } from '../helpers/fake-upstream';

/** A fake upstream whose pings answer `states` in turn, each when the test releases it. */
function probed(states: HealthState[]) {
  const upstream = new FakeUpstream('gpu-2', 'gpu');
  const waiting: (() => void)[] = [];
  upstream.ping = () => new Promise<EndpointHealth>((resolve) => {
    const state = states.shift() ?? HealthState.healthy;
    waiting.push(() => resolve({ state, detail: '/ping failed: connect' }));
  });
  const lines: Record<string, unknown>[] = [];
  const logger = createLogger('debug', (line) => lines.push(JSON.parse(line) as Record<string, unknown>));
  const wrapped = warnIfUnreachableAtStart(upstream, 'https://10.0.0.5/predictions/m?token=s3cret', logger);
  const ping = async () => {
    const pending = wrapped.ping({ timeoutMs: 1 });
    waiting.shift()?.();
    return pending;
  };
  return { upstream, wrapped, lines, ping, waiting };
}

describe('backend_unreachable', () => {
  test('a first probe that finds the backend down logs one warning; later ones stay quiet', async () => {
    const { lines, ping } = probed([HealthState.down, HealthState.down, HealthState.healthy, HealthState.down]);
    for (let i = 0; i < 4; i++) await ping();
    assert.equal(lines.length, 1);
    const { time: _time, ...line } = lines[0] as Record<string, unknown>;
    assert.deepEqual(line, {
      level: 'warn', event: BACKEND_UNREACHABLE, tier: 'gpu', endpoint: 'gpu-2', address: '10.0.0.5:443',
      message: 'nothing answered its health check at start: connection refused, unknown host or no answer in time',
    });
  });

  test('a backend up at its first probe is never reported, even if it goes down later', async () => {
    const { lines, ping } = probed([HealthState.pending, HealthState.down]);
    assert.equal((await ping()).state, HealthState.pending);
    assert.equal((await ping()).state, HealthState.down);
    assert.deepEqual(lines, []);
  });

  test('two probes racing at start make one line', async () => {
    const { upstream, wrapped, lines, waiting } = probed([HealthState.down, HealthState.down]);
    const both = Promise.all([wrapped.ping({ timeoutMs: 1 }), wrapped.ping({ timeoutMs: 1 })]);
    for (const release of waiting.splice(0)) release();
    await both;
    assert.equal(lines.length, 1);
    // Everything else passes through unchanged.
    assert.equal(wrapped.id, upstream.id);
    assert.equal(wrapped.dialect, upstream.dialect);
    upstream.auto = (texts) => texts.map(() => [1, 2]);
    assert.deepEqual(await wrapped.embed(['a'], { requestId: 'r', timeoutMs: 1 }), [[1, 2]]);
  });

  test('host:port spells out the port and drops credentials, path and query', () => {
    assert.equal(hostPort('http://djl.internal/predictions/m'), 'djl.internal:80');
    assert.equal(hostPort('https://user:pw@svc-abc.a.run.app/embed?key=s3cret'), 'svc-abc.a.run.app:443');
    assert.equal(hostPort('http://[fd00::5]:8080/embed'), '[fd00::5]:8080');
  });
});
