/**
 * Every error class reports its own name, so a log line or an uncaught error says which kind of
 * failure it was (an UpstreamError once printed as FrontDoorError, its base).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConfigError } from '../../shared/config/env-reader';
import { DiscoveryError } from '../../shared/discovery/endpoint-source';
import { ErrorCode, FrontDoorError } from '../../shared/errors';
import { ScalingError } from '../../shared/scaling/scaler';
import { LocalModelError, LocalModelErrorCode } from '../../shared/upstream/local/local-model-error';
import { UpstreamError, UpstreamFailure } from '../../shared/upstream/upstream-error';

test('each error class reports its own name, in its string form too', () => {
  const errors: [string, Error][] = [
    ['FrontDoorError', new FrontDoorError(400, ErrorCode.invalidRequest, 'bad')],
    ['UpstreamError', new UpstreamError(UpstreamFailure.timeout, 'slow')],
    ['LocalModelError', new LocalModelError(LocalModelErrorCode.missing, 'no model')],
    ['ConfigError', new ConfigError(['PORT: not a number'])],
    ['DiscoveryError', new DiscoveryError('ListTasks failed')],
    ['ScalingError', new ScalingError('UpdateService failed')],
  ];
  for (const [name, error] of errors) {
    assert.equal(error.name, name);
    assert.ok(String(error).startsWith(`${name}: `), String(error));
  }
  assert.ok(new UpstreamError(UpstreamFailure.timeout, 'slow') instanceof FrontDoorError, 'still mapped as a FrontDoorError');
});
