import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { BackendSpec, StaticBackendSpec } from '../../shared/config/backends';
import { DEFAULTS, parseConfig } from '../../shared/config/config';
import { ConfigError } from '../../shared/config/env-reader';

const DJL = 'http://10.0.0.5:8080/predictions/all_MiniLM_L6_v2';

/** The spec at `index`, checked to be an http(s) one. */
function staticSpec(specs: readonly BackendSpec[], index: number): StaticBackendSpec {
  const spec = specs[index];
  assert.equal(spec?.source, 'static');
  return spec;
}

describe('parseConfig', () => {
  test('defaults when nothing is set', () => {
    const config = parseConfig({});
    assert.equal(config.host, '0.0.0.0');
    assert.equal(config.port, 8080);
    assert.equal(config.model.id, DEFAULTS.modelId);
    assert.equal(config.model.dimension, 384);
    assert.equal(config.limits.maxItems, 2048);
    assert.equal(config.tiers.cpu.length, 0);
    assert.equal(config.model.strictNames, false);
    assert.ok(Object.isFrozen(config) && Object.isFrozen(config.limits) && Object.isFrozen(config.tiers.cpu));
  });

  test('backend paths pick the dialect', () => {
    const config = parseConfig({
      CPU_BACKENDS: `${DJL}, http://tei:8080/embed ,https://api.example/v1/embeddings,http://djl:8080/invocations?model_name=m`,
    });
    assert.deepEqual(config.tiers.cpu.map((spec) => spec.dialect), ['djl', 'tei', 'openai', 'djl']);
    assert.equal(staticSpec(config.tiers.cpu, 0).modelName, 'all_MiniLM_L6_v2');
    assert.equal(staticSpec(config.tiers.cpu, 3).modelName, 'm');
  });

  test('DJL_URLS and DJL_URL are aliases of CPU_BACKENDS', () => {
    assert.equal(parseConfig({ DJL_URLS: `${DJL},${DJL.replace('.5', '.6')}` }).tiers.cpu.length, 2);
    assert.equal(staticSpec(parseConfig({ DJL_URL: DJL }).tiers.cpu, 0).url, DJL);
    assert.throws(() => parseConfig({ DJL_URL: DJL, CPU_BACKENDS: DJL }), /set only CPU_BACKENDS/);
  });

  test('every bad key is reported in one error', () => {
    try {
      parseConfig({
        PORT: 'eighty',
        CPU_BACKENDS: 'http://x:1/nothing,notaurl',
        GPU_BACKENDS: 'ftp://gpu/embed',
        STRICT_MODEL_NAMES: 'maybe',
        LOG_LEVEL: 'loud',
        MAX_ITEMS_PER_REQUEST: '0',
        UPSTREAM_API_KEY: 'secret',
      });
      assert.fail('expected a ConfigError');
    } catch (error) {
      assert.ok(error instanceof ConfigError);
      assert.equal(error.problems.length, 7);
      for (const key of ['PORT', 'CPU_BACKENDS', 'GPU_BACKENDS', 'STRICT_MODEL_NAMES', 'LOG_LEVEL', 'MAX_ITEMS_PER_REQUEST']) {
        assert.match(error.message, new RegExp(key));
      }
      assert.match(error.message, /\/predictions\/<model>/);
      assert.doesNotMatch(error.message, /secret/);
    }
  });

  test('credentials in a backend URL are refused', () => {
    assert.throws(() => parseConfig({ CPU_BACKENDS: 'http://user:pw@tei/embed' }), /UPSTREAM_API_KEY/);
  });

  test('the Node server\'s connection cap and idle timeout: defaults, overrides, bounds', () => {
    assert.deepEqual({ ...parseConfig({}).server }, { maxConnections: 1024, clientIdleTimeoutMs: 5000 });
    assert.deepEqual({ ...parseConfig({ MAX_CONNECTIONS: '0', CLIENT_IDLE_TIMEOUT_MS: '65_000' }).server }, { maxConnections: 0, clientIdleTimeoutMs: 65_000 });
    assert.throws(() => parseConfig({ MAX_CONNECTIONS: '-1', CLIENT_IDLE_TIMEOUT_MS: '0' }), (error: unknown) => {
      assert.ok(error instanceof ConfigError);
      assert.equal(error.problems.length, 2);
      assert.match(error.message, /MAX_CONNECTIONS="-1": expected a whole number from 0/);
      assert.match(error.message, /CLIENT_IDLE_TIMEOUT_MS="0": expected a whole number from 100/);
      return true;
    });
  });

  test('SEND_AHEAD_MS: 3 ms by default, 0 turns it off, a bad value is named', () => {
    assert.equal(parseConfig({}).dispatch.sendAheadMs, 3);
    assert.equal(parseConfig({ SEND_AHEAD_MS: '0' }).dispatch.sendAheadMs, 0);
    assert.throws(() => parseConfig({ SEND_AHEAD_MS: '-1' }), /SEND_AHEAD_MS/);
    assert.throws(() => parseConfig({ SEND_AHEAD_MS: 'soon' }), /SEND_AHEAD_MS/);
  });

  test('the upstream timeout never exceeds the request timeout', () => {
    const config = parseConfig({ REQUEST_TIMEOUT_MS: '1000', UPSTREAM_TIMEOUT_MS: '5000' });
    assert.equal(config.timeouts.upstreamMs, 1000);
  });
});
