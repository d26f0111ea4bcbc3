/**
 * Google Cloud Functions (gen2) / Cloud Run entry point through the Functions Framework: the
 * function `embed` serves the same app as the Node server. Dependencies are built once per
 * instance, at module scope; one instance serves many requests at once, so it gets the server's
 * keep-alive pools, Prometheus `/metrics` and `POST /warmup` (for Cloud Scheduler).
 *
 * Deployed as a bundle: `npm run gcp-build` (run by Google's Node.js buildpack) writes
 * dist/gcp/index.mjs, which package.json `main` names and the framework loads; no TypeScript or
 * tsx at run time (tools/build/bundles.ts). Locally, exactly as the platform runs it:
 * `npm run start:gcp` (the same build, then `functions-framework` with FUNCTION_TARGET=embed).
 */
import { http } from '@google-cloud/functions-framework';
import { getRequestListener } from '@hono/node-server';
import { type Config, parseConfig } from '../../shared/config/config';
import { ConfigError } from '../../shared/config/env-reader';
import { createApp } from '../../shared/http/create-app';
import { createDependencies } from '../../shared/runtime/create-dependencies';
import { createWarmupRunner } from '../../shared/runtime/warmup-runner';
import { announceAccess } from '../../shared/security/announce-access';
import { createPrometheusTelemetry } from '../../shared/telemetry/prometheus-telemetry';
import { createLazyLocalUpstream } from '../../shared/upstream/local/lazy-local-upstream';
import { createUndiciTransport } from '../../shared/upstream/undici-transport';

/** The function's name: `--target` / `--entry-point` in the deploy command. */
export const FUNCTION_NAME = 'embed';

/** A bad configuration is the operator's to fix: say what, without a stack trace, and stop. */
function readConfig(): Config {
  try {
    return parseConfig(process.env);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`${error.message}\n`);
    process.exit(1);
  }
}

const config = readConfig();
const deps = createDependencies(config, {
  transport: createUndiciTransport({ connectionsPerOrigin: config.upstream.connectionsPerOrigin }),
  runtime: 'google-cloud (functions-framework)',
  telemetry: createPrometheusTelemetry,
  localEngine: createLazyLocalUpstream,
});
announceAccess(config.security, deps.logger);

/** The Node request listener the Functions Framework calls (it may have read the body already). */
export const embed = getRequestListener(createApp({ ...deps, warmup: createWarmupRunner(deps) }).fetch);

http(FUNCTION_NAME, embed);
