/** `local:` backend entries, the engine's config keys, and npm start's default to the engine. */
import assert from 'node:assert/strict';
import { availableParallelism, homedir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { parseConfig } from '../../shared/config/config';
import { ConfigError } from '../../shared/config/env-reader';
import { LOCAL_ENGINE_DEFAULTS } from '../../shared/config/local-engine-config';
import { createDependencies } from '../../shared/runtime/create-dependencies';
import { hasNoBackends, withLocalEngineDefault } from '../../shared/runtime/local-engine-startup';
import { createNodeHttpTransport } from '../../shared/upstream/node-http-transport';
import { ModelOrigin, modelSourceFor } from '../../shared/upstream/local/model-source';
import { ALL_MINILM_L6_V2 } from '../../shared/upstream/local/model-manifest';

describe('local: backend entries', () => {
  test('local: and local:/abs/dir, in either tier and next to http backends', () => {
    const config = parseConfig({
      CPU_BACKENDS: 'local:, http://djl:8080/predictions/all_MiniLM_L6_v2',
      GPU_BACKENDS: 'local:/srv/models/mini lm',
    });
    assert.deepEqual(config.tiers.cpu[0], { source: 'local', dialect: 'local' });
    assert.equal(config.tiers.cpu[1]?.dialect, 'djl');
    assert.deepEqual(config.tiers.gpu[0], { source: 'local', dialect: 'local', modelDir: '/srv/models/mini lm' });
  });

  test('a relative or host-style directory is reported with the other problems', () => {
    assert.throws(() => parseConfig({ CPU_BACKENDS: 'local:models/minilm', GPU_BACKENDS: 'local://host/dir', PORT: 'x' }), (error: unknown) => {
      assert.ok(error instanceof ConfigError);
      assert.equal(error.problems.length, 3);
      assert.match(error.problems[0]!, /CPU_BACKENDS: local:models\/minilm: the model directory must be an absolute path/);
      assert.match(error.problems[1]!, /GPU_BACKENDS: local:\/\/host\/dir/);
      return true;
    });
  });

  test('the unsupported-scheme message lists local:', () => {
    assert.throws(() => parseConfig({ CPU_BACKENDS: 'ftp://x/embed' }), /use http: or https: or local:/);
  });
});

describe('engine settings', () => {
  test('defaults: cores, 256 tokens, batches of 32, the hub, a cache under ~/.cache', () => {
    const { local } = parseConfig({});
    assert.equal(local.workers, availableParallelism());
    assert.equal(local.maxTokens, 256);
    assert.equal(local.batchSize, LOCAL_ENGINE_DEFAULTS.batchSize);
    assert.equal(local.modelBaseUrl, 'https://huggingface.co');
    assert.equal(local.cacheDir, join(homedir(), '.cache', 'embed-front-door'));
    assert.equal(local.modelDir, undefined);
    assert.equal(parseConfig({ XDG_CACHE_HOME: '/var/cache' }).local.cacheDir, '/var/cache/embed-front-door');
  });

  test('the defaults that ask the machine are read on demand, and the config stays frozen', () => {
    const config = parseConfig({ CPU_BACKENDS: 'http://djl:8080/predictions/m' });
    for (const key of ['workers', 'cacheDir'] as const) {
      const descriptor = Object.getOwnPropertyDescriptor(config.local, key);
      assert.equal(typeof descriptor?.get, 'function', `${key} is worked out when first read`);
      assert.equal(descriptor?.enumerable, true);
    }
    assert.ok(Object.isFrozen(config.local));
    assert.equal(config.local.workers, availableParallelism());
    assert.equal(config.local.workers, config.local.workers);
    // A set key is still checked at parse time, with the others.
    assert.throws(() => parseConfig({ LOCAL_ENGINE_WORKERS: '0' }), /LOCAL_ENGINE_WORKERS/);
    assert.equal(parseConfig({ LOCAL_ENGINE_WORKERS: '3' }).local.workers, 3);
  });

  test('a runtime without the engine (the Lambda handler) refuses a local: entry at start-up, saying why', () => {
    for (const [key, env] of [['CPU', { CPU_BACKENDS: 'local:' }], ['GPU', { CPU_BACKENDS: 'http://djl:8080/predictions/m', GPU_BACKENDS: 'local:' }]] as const) {
      assert.throws(
        () => createDependencies(parseConfig({ ...env, LOG_LEVEL: 'silent' }), { transport: createNodeHttpTransport(), runtime: 'aws-lambda' }),
        new RegExp(`^Error: ${key}_BACKENDS: "local:" needs the in-process engine, which aws-lambda does not include; point it at DJL services`),
      );
    }
  });

  test('every key can be set, and bad values are reported together', () => {
    const { local } = parseConfig({
      EMBED_MODEL_DIR: '/models/minilm', EMBED_MODEL_CACHE_DIR: '/tmp/cache', EMBED_MODEL_BASE_URL: 'http://mirror:8080/',
      LOCAL_ENGINE_WORKERS: '3', LOCAL_ENGINE_MAX_TOKENS: '128', LOCAL_ENGINE_BATCH_SIZE: '8',
    });
    assert.deepEqual({ ...local }, {
      modelDir: '/models/minilm', cacheDir: '/tmp/cache', modelBaseUrl: 'http://mirror:8080', workers: 3, maxTokens: 128, batchSize: 8,
    });
    assert.throws(() => parseConfig({ EMBED_MODEL_BASE_URL: 'huggingface.co', LOCAL_ENGINE_WORKERS: '0', LOCAL_ENGINE_MAX_TOKENS: '1' }), (error: unknown) => {
      assert.ok(error instanceof ConfigError);
      assert.deepEqual(error.problems.map((problem) => problem.split(/[=:]/)[0]), ['EMBED_MODEL_BASE_URL', 'LOCAL_ENGINE_WORKERS', 'LOCAL_ENGINE_MAX_TOKENS']);
      return true;
    });
  });

  test('where the model comes from: the entry, else EMBED_MODEL_DIR, else the revision\'s cache directory', () => {
    const { local } = parseConfig({ EMBED_MODEL_CACHE_DIR: '/c' });
    const cache = modelSourceFor({ source: 'local', dialect: 'local' }, local);
    assert.equal(cache.origin, ModelOrigin.cache);
    assert.equal(cache.dir, `/c/models/sentence-transformers/all-MiniLM-L6-v2/${ALL_MINILM_L6_V2.revision}`);
    const env = parseConfig({ EMBED_MODEL_DIR: '/m' }).local;
    assert.deepEqual([modelSourceFor({ source: 'local', dialect: 'local' }, env).origin, modelSourceFor({ source: 'local', dialect: 'local' }, env).dir], [ModelOrigin.env, '/m']);
    const entry = modelSourceFor({ source: 'local', dialect: 'local', modelDir: '/e' }, env);
    assert.deepEqual([entry.origin, entry.dir], [ModelOrigin.backendEntry, '/e']);
  });
});

describe("npm start's default", () => {
  test('no backend at all: the in-process engine becomes the CPU tier, frozen', () => {
    const config = withLocalEngineDefault(parseConfig({}));
    assert.deepEqual(config.tiers.cpu, [{ source: 'local', dialect: 'local' }]);
    assert.equal(config.tiers.gpu.length, 0);
    assert.ok(Object.isFrozen(config) && Object.isFrozen(config.tiers) && Object.isFrozen(config.tiers.cpu));
  });

  test('any configured backend, in either tier, is left alone', () => {
    const cpu = parseConfig({ CPU_BACKENDS: 'http://djl:8080/predictions/m' });
    const gpu = parseConfig({ GPU_BACKENDS: 'http://tei:8080/embed' });
    assert.equal(withLocalEngineDefault(cpu), cpu);
    assert.equal(withLocalEngineDefault(gpu), gpu);
    assert.ok(hasNoBackends(parseConfig({})) && !hasNoBackends(gpu));
  });
});
