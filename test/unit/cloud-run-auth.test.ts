/** Calls to a private Cloud Run service carry an ID token for its URL; emulators on plain http get none. */
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { needsIdToken, withIdToken } from '../../shared/gcp/cloud-run-auth';
import { PROBE_ANSWER_MAX_BYTES } from '../../shared/upstream/answer-limit';
import { createFetchTransport } from '../../shared/upstream/fetch-transport';
import { isUpstreamError } from '../../shared/upstream/upstream-error';

describe('Cloud Run ID tokens', () => {
  const seen: (string | undefined)[] = [];
  const server = createServer((request, response) => {
    seen.push(request.headers.authorization);
    response.end('{}');
  });
  let url = '';
  before(async () => {
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/predictions/m`;
  });
  after(() => new Promise<void>((resolve) => server.close(() => resolve())));

  test('every request carries the token for the audience; the client is loaded once', async () => {
    const audiences: string[] = [];
    let loads = 0;
    const transport = withIdToken(createFetchTransport(), 'https://djl-abc-ew.a.run.app', async () => {
      loads++;
      return { getRequestHeaders: async (forUrl?: string) => {
        audiences.push(forUrl ?? '');
        return new Headers({ authorization: 'Bearer id-token-1' });
      } };
    });
    for (let i = 0; i < 3; i++) await transport.request({ url, method: 'POST', body: '[]', timeoutMs: 1_000, maxResponseBytes: PROBE_ANSWER_MAX_BYTES, headers: { 'x-request-id': 'r' } });
    assert.deepEqual(seen.splice(0), ['Bearer id-token-1', 'Bearer id-token-1', 'Bearer id-token-1']);
    assert.equal(loads, 1);
    assert.deepEqual(audiences, Array(3).fill('https://djl-abc-ew.a.run.app'));
  });

  test('no credentials: a connect-class error that says so, nothing sent, and the next call tries again', async () => {
    let loads = 0;
    const transport = withIdToken(createFetchTransport(), 'https://djl.a.run.app', async () => {
      loads++;
      throw new Error('Could not load the default credentials');
    });
    const failure = await transport.request({ url, method: 'GET', timeoutMs: 1_000, maxResponseBytes: PROBE_ANSWER_MAX_BYTES }).catch((error: unknown) => error);
    assert.ok(isUpstreamError(failure) && failure.reason === 'connect');
    assert.match((failure as Error).message, /ID token.*default credentials/);
    await transport.request({ url, method: 'GET', timeoutMs: 1_000, maxResponseBytes: PROBE_ANSWER_MAX_BYTES }).catch(() => undefined);
    assert.equal(loads, 2);
    assert.deepEqual(seen.splice(0), []);
  });

  test('only https service URLs get tokens (Cloud Run is https-only; plain http is an emulator or a proxy)', () => {
    assert.equal(needsIdToken('https://djl-abc-ew.a.run.app/predictions/m'), true);
    assert.equal(needsIdToken('http://127.0.0.1:9090/predictions/m'), false);
  });
});
