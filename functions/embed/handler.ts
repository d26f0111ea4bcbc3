/**
 * AWS Lambda entry point (API Gateway HTTP API, Function URL, ALB). Dependencies are built once
 * per execution environment, at module scope; the handler only translates events.
 */
import { handle } from 'hono/aws-lambda';
import { parseConfig } from '../../shared/config/config';
import { createApp } from '../../shared/http/create-app';
import { LAMBDA_RESPONSE_LIMIT_BYTES } from '../../shared/http/response-limit';
import { createDependencies } from '../../shared/runtime/create-dependencies';
import { announceAccess } from '../../shared/security/announce-access';
import { createEmfTelemetry } from '../../shared/telemetry/emf-telemetry';
import { createNodeHttpTransport } from '../../shared/upstream/node-http-transport';

/** The Service dimension of the EMF metrics. */
const EMF_SERVICE = 'embed-front-door';

const config = parseConfig(process.env);
const deps = createDependencies(config, {
  // node:http with a keep-alive agent, not an undici pool and not fetch: a bundled undici Pool
  // imports in about 60 ms, and Node's built-in fetch loads its internal undici on the first call,
  // about 30 ms of every cold start's first request (`npm run bench:bundle` times import plus
  // first request). One request per environment has no use for a pool.
  transport: createNodeHttpTransport(),
  runtime: 'aws-lambda',
  // One request per execution environment: nothing to coalesce, and no background probes.
  concurrentRequests: false,
  // Each environment counts alone and is never scraped: metrics leave as EMF log lines. Written
  // straight to stdout: console.log's Lambda prefix would break the JSON.
  ...(config.runtime.emfMetrics ? {
    telemetry: ({ snapshot }) => createEmfTelemetry({
      namespace: config.runtime.metricsNamespace,
      service: EMF_SERVICE,
      ...(config.runtime.functionName === undefined ? {} : { functionName: config.runtime.functionName }),
      write: (line) => process.stdout.write(`${line}\n`),
      now: Date.now,
      snapshot,
    }),
  } : {}),
});
// Once per execution environment, at init.
announceAccess(config.security, deps.logger);

/** What POST /warmup answers here: the warm-up is not this function's job. */
const WARMUP_ELSEWHERE = 'on AWS Lambda the warm-up is its own function (functions/warmup/handler.ts), run on a schedule by EventBridge (serverless.yml)';

// Lambda buffers at most 6 MB of response: larger answers get a 413 saying what to change.
export const handler = handle(createApp({ ...deps, maxResponseBytes: LAMBDA_RESPONSE_LIMIT_BYTES, warmupElsewhere: WARMUP_ELSEWHERE }));
