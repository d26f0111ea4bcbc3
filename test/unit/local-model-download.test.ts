/**
 * The model download against a real HTTP server on 127.0.0.1 serving fake files with known
 * checksums, laid out like the hub (`/<repo>/resolve/<revision>/<path>`, with the hub's redirect
 * for LFS files): progress, checksum pinning, unreachable hosts, and the messages an operator
 * reads. No internet involved.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, afterEach, before, beforeEach, describe, test } from 'node:test';
import { createDownloadProgress } from '../../shared/upstream/local/download-progress';
import { isLocalModelError, LocalModelErrorCode } from '../../shared/upstream/local/local-model-error';
import { downloadModel } from '../../shared/upstream/local/model-download';
import type { ModelManifest } from '../../shared/upstream/local/model-manifest';
import { ensureModel } from '../../shared/upstream/local/ensure-model';
import { ModelOrigin, type ModelSource } from '../../shared/upstream/local/model-source';
import { deadPort } from '../helpers/dead-port';

const sha256 = (data: Buffer): string => createHash('sha256').update(data).digest('hex');

const FILES: Record<string, Buffer> = {
  'onnx/model.onnx': Buffer.alloc(200_000, 7),
  'tokenizer.json': Buffer.from('{"model": "fake"}'),
};
const MANIFEST: ModelManifest = {
  repo: 'acme/tiny',
  revision: 'abc123',
  files: Object.entries(FILES).map(([path, data]) => ({ path, sha256: sha256(data), bytes: data.length })),
};

interface FakeHub {
  readonly url: string;
  readonly requests: string[];
  /** Paths served with other bytes than the manifest pins. */
  readonly tampered: Set<string>;
  close(): Promise<void>;
}

async function startFakeHub(): Promise<FakeHub> {
  const requests: string[] = [];
  const tampered = new Set<string>();
  const server: Server = createServer((request, response) => {
    const url = request.url ?? '';
    requests.push(url);
    // The hub answers LFS files with a redirect to its CDN; follow it like the real thing.
    const cdn = /^\/cdn\/(.+)$/.exec(url);
    const resolved = /^\/acme\/tiny\/resolve\/abc123\/(.+)$/.exec(url);
    if (resolved?.[1] === 'onnx/model.onnx') {
      response.writeHead(302, { location: '/cdn/onnx/model.onnx' }).end();
      return;
    }
    const path = cdn?.[1] ?? resolved?.[1];
    const data = path === undefined ? undefined : FILES[path];
    if (path === undefined || data === undefined) {
      response.writeHead(404).end('Entry not found');
      return;
    }
    response.writeHead(200, { 'content-length': data.length });
    response.end(tampered.has(path) ? Buffer.alloc(data.length, 1) : data);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    tampered,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}


describe('model download', () => {
  let hub: FakeHub;
  let dir: string;

  before(async () => {
    hub = await startFakeHub();
  });
  after(() => hub.close());
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'model-download-'));
    hub.requests.length = 0;
    hub.tampered.clear();
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  test('downloads every file at the pinned revision, following the redirect, with a progress bar on a TTY', async () => {
    const written: string[] = [];
    const progress = createDownloadProgress({ isTTY: true, write: (text) => written.push(text) });
    await downloadModel({ baseUrl: hub.url, manifest: MANIFEST, targetDir: dir, progress });
    for (const [path, data] of Object.entries(FILES)) assert.deepEqual(await readFile(join(dir, path)), data);
    assert.deepEqual(hub.requests, ['/acme/tiny/resolve/abc123/onnx/model.onnx', '/cdn/onnx/model.onnx', '/acme/tiny/resolve/abc123/tokenizer.json']);
    const screen = written.join('');
    assert.match(screen, /^\rdownloading acme\/tiny \(2 files\) from 127\.0\.0\.1:\d+ \[-{30}\] {3}0% 0\.0\/0\.2 MB/);
    assert.match(screen, /\[#{30}\] 100% 0\.2\/0\.2 MB\n$/);
  });

  test('without a TTY: a start line and an end line, no carriage returns', async () => {
    const written: string[] = [];
    await downloadModel({ baseUrl: hub.url, manifest: MANIFEST, targetDir: dir, progress: createDownloadProgress({ isTTY: false, write: (text) => written.push(text) }) });
    assert.equal(written.length, 2);
    assert.ok(!written.join('').includes('\r'));
  });

  test('files already there with the pinned checksum are not downloaded again', async () => {
    await downloadModel({ baseUrl: hub.url, manifest: MANIFEST, targetDir: dir });
    hub.requests.length = 0;
    await downloadModel({ baseUrl: hub.url, manifest: MANIFEST, targetDir: dir });
    assert.deepEqual(hub.requests, []);
  });

  test('a file that is not the pinned one is rejected and discarded, nothing half-written remains', async () => {
    hub.tampered.add('onnx/model.onnx');
    await assert.rejects(downloadModel({ baseUrl: hub.url, manifest: MANIFEST, targetDir: dir }), (error: unknown) => {
      assert.ok(isLocalModelError(error));
      assert.equal(error.code, LocalModelErrorCode.checksumMismatch);
      assert.match(error.message, /onnx\/model\.onnx from http:\/\/127\.0\.0\.1:\d+ is not the pinned file/);
      assert.ok(error.message.includes(MANIFEST.files[0]!.sha256));
      return true;
    });
    assert.deepEqual(await readdir(join(dir, 'onnx')), []);
  });

  test('an error status names the URL', async () => {
    const missing: ModelManifest = { ...MANIFEST, files: [{ path: 'nope.json', sha256: 'x', bytes: 1 }] };
    await assert.rejects(downloadModel({ baseUrl: hub.url, manifest: missing, targetDir: dir }),
      /\/acme\/tiny\/resolve\/abc123\/nope\.json answered HTTP 404/);
  });

  test('an unreachable host is a download_failed error naming the host and the cause', async () => {
    const port = await deadPort();
    await assert.rejects(downloadModel({ baseUrl: `http://127.0.0.1:${port}`, manifest: MANIFEST, targetDir: dir }), (error: unknown) => {
      assert.ok(isLocalModelError(error));
      assert.equal(error.code, LocalModelErrorCode.downloadFailed);
      assert.equal(error.message, `could not reach http://127.0.0.1:${port} (ECONNREFUSED)`);
      return true;
    });
  });
});

describe('ensureModel: the messages an operator reads', () => {
  let dir: string;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'model-source-'));
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  const options = (baseUrl: string) => ({ baseUrl, purpose: 'No embedding backend is configured' });

  test('the cache, offline: what is missing, why the download failed, and both ways to fix it', async () => {
    const port = await deadPort();
    const source: ModelSource = { dir, origin: ModelOrigin.cache, manifest: MANIFEST };
    await assert.rejects(ensureModel(source, options(`http://127.0.0.1:${port}`)), (error: unknown) => {
      assert.ok(isLocalModelError(error));
      assert.equal(error.code, LocalModelErrorCode.downloadFailed);
      const lines = error.message.split('\n');
      assert.match(lines[0]!, new RegExp(`^No embedding backend is configured, so the front door embeds with acme/tiny in-process, but the model is not in the model cache ${dir} and could not be downloaded: could not reach http://127.0.0.1:${port} \\(ECONNREFUSED\\)\\.$`));
      assert.match(lines[2]!, /EMBED_MODEL_DIR=\/some\/dir npm run model:fetch.*onnx\/model\.onnx, tokenizer\.json.*EMBED_MODEL_DIR=\/path\/to\/that\/dir/);
      assert.match(lines[3]!, /set CPU_BACKENDS, e\.g\. CPU_BACKENDS=http:\/\/host:8080\/predictions\/all_MiniLM_L6_v2/);
      return true;
    });
  });

  test('EMBED_MODEL_DIR is never downloaded into: the missing files are reported', async () => {
    const hub = await startFakeHub();
    try {
      const source: ModelSource = { dir, origin: ModelOrigin.env, manifest: MANIFEST };
      await assert.rejects(ensureModel(source, options(hub.url)), (error: unknown) => {
        assert.ok(isLocalModelError(error));
        assert.equal(error.code, LocalModelErrorCode.missing);
        assert.ok(error.message.includes(`but EMBED_MODEL_DIR=${dir} lacks an ONNX model (`));
        return true;
      });
      assert.deepEqual(hub.requests, []);
    } finally {
      await hub.close();
    }
  });

  test('the cache, online: downloaded once, then found', async () => {
    const hub = await startFakeHub();
    try {
      const source: ModelSource = { dir, origin: ModelOrigin.cache, manifest: MANIFEST };
      const files = await ensureModel(source, options(hub.url));
      assert.equal(files.model, join(dir, 'onnx/model.onnx'));
      assert.equal(files.tokenizer, join(dir, 'tokenizer.json'));
      const requests = hub.requests.length;
      await ensureModel(source, options(hub.url));
      assert.equal(hub.requests.length, requests, 'no second download');
    } finally {
      await hub.close();
    }
  });
});
