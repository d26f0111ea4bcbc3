/**
 * `npm start` with no backend configured, as its own process: it serves from the in-process
 * engine when the model is there, and says exactly what to do (no stack trace) when the model is
 * missing and cannot be downloaded.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { describe, test } from 'node:test';
import { post } from '../helpers/front-door';
import { expectedVector, TINY_DIMENSION, writeTinyModel } from '../../tools/fixtures/tiny-model';
import { deadPort } from '../helpers/dead-port';

const SERVER_ENTRY = new URL('../../functions/server/main.ts', import.meta.url).pathname;
const BACKEND_KEYS = ['CPU_BACKENDS', 'GPU_BACKENDS', 'DJL_URLS', 'DJL_URL', 'EMBED_MODEL_DIR'];

/** The environment of this process without any backend or model setting. */
function cleanEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, HOST: '127.0.0.1', PORT: '0', LOG_LEVEL: 'info', ...extra };
  for (const key of BACKEND_KEYS) if (!(key in extra)) delete env[key];
  return env;
}


describe('npm start with no backend configured', () => {
  test('offline, no model: exits 1 with what is missing and the two ways to fix it, no stack trace', async () => {
    const cache = await mkdtemp(join(tmpdir(), 'empty-cache-'));
    try {
      const port = await deadPort();
      const child = spawn(process.execPath, ['--import', 'tsx', SERVER_ENTRY], {
        env: cleanEnv({ EMBED_MODEL_CACHE_DIR: cache, EMBED_MODEL_BASE_URL: `http://127.0.0.1:${port}` }),
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stderr = '';
      let stdout = '';
      child.stderr.on('data', (chunk: Buffer) => { stderr += chunk.toString(); });
      child.stdout.on('data', (chunk: Buffer) => { stdout += chunk.toString(); });
      const [code] = await once(child, 'exit');
      assert.equal(code, 1);
      assert.match(stderr, /No embedding backend is configured \(CPU_BACKENDS and GPU_BACKENDS are unset\)/);
      assert.ok(stderr.includes(`not in the model cache ${cache}`), 'names where it looked');
      assert.match(stderr, /could not be downloaded: could not reach http:\/\/127\.0\.0\.1:\d+ \(ECONNREFUSED\)/);
      assert.match(stderr, /EMBED_MODEL_DIR=\/path\/to\/that\/dir/);
      assert.match(stderr, /set CPU_BACKENDS/);
      assert.ok(!/\n\s+at /.test(stderr), `no stack trace:\n${stderr}`);
      assert.ok(!stdout.includes('"listening"'), 'it never listened');
    } finally {
      await rm(cache, { recursive: true, force: true });
    }
  });

  test('with the model in EMBED_MODEL_DIR: serves from the in-process engine, and stops on SIGTERM', async () => {
    const model = await writeTinyModel();
    const child = spawn(process.execPath, ['--import', 'tsx', SERVER_ENTRY], {
      env: cleanEnv({ EMBED_MODEL_DIR: model.dir, MODEL_DIMENSION: String(TINY_DIMENSION) }),
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    try {
      const exited = once(child, 'exit');
      const events: string[] = [];
      const url = await new Promise<string>((resolve, reject) => {
        createInterface({ input: child.stdout }).on('line', (line) => {
          const entry = JSON.parse(line) as { event: string; url?: string };
          events.push(entry.event);
          if (entry.event === 'listening' && entry.url) resolve(entry.url);
        });
        void exited.then(([code]) => reject(new Error(`exited with ${code} before listening`)));
      });
      assert.deepEqual(events.slice(0, 2), ['local_engine_default', 'local_model_found']);
      const { status, body } = await post(`${url}/v1/embeddings`, { input: ['zebra'], model: 'all-MiniLM-L6-v2', encoding_format: 'float' });
      assert.equal(status, 200);
      const vector = body.data[0].embedding as number[];
      expectedVector([2, 1, 3]).forEach((x, index) => assert.ok(Math.abs(x - vector[index]!) < 1e-6));
      child.kill('SIGTERM');
      // [exit code, signal]: a signal here would mean the engine's teardown crashed the process.
      assert.deepEqual(await exited, [0, null]);
    } finally {
      child.kill('SIGKILL');
      await model.remove();
    }
  });
});
