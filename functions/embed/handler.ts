/**
 * AWS Lambda entry point (API Gateway HTTP API, Function URL, ALB). Dependencies are built once
 * per execution environment, at module scope; the handler only translates events.
 */
import { handle } from 'hono/aws-lambda';
import { parseConfig } from '../../shared/config/config';
import { createApp } from '../../shared/http/create-app';
import { createDependencies } from '../../shared/runtime/create-dependencies';
import { announceAccess } from '../../shared/security/announce-access';
import { createUndiciTransport } from '../../shared/upstream/undici-transport';

const config = parseConfig(process.env);
const deps = createDependencies(config, {
  transport: createUndiciTransport({ connectionsPerOrigin: config.upstream.connectionsPerOrigin }),
  runtime: 'aws-lambda',
  // One request per execution environment: nothing to coalesce, and no background probes.
  concurrentRequests: false,
});
// Once per execution environment, at init.
announceAccess(config.security, deps.logger);

export const handler = handle(createApp(deps));
