/**
 * `npm start`: the front door as a plain Node server (local, Cloud Run, Fargate). Reads the
 * environment once, serves on HOST:PORT, drains gracefully on SIGTERM/SIGINT. Takes no flags
 * (`--help` prints the usage; anything else is refused before the server starts).
 */
import { exitUnlessRun, parseCommandLine } from '../../shared/cli/command-line';
import { parseConfig } from '../../shared/config/config';
import { ConfigError } from '../../shared/config/env-reader';
import { createApp } from '../../shared/http/create-app';
import { createLogger } from '../../shared/logger';
import { createDependencies } from '../../shared/runtime/create-dependencies';
import { hasNoBackends, prepareLocalModels, withLocalEngineDefault } from '../../shared/runtime/local-engine-startup';
import { startNodeServer } from '../../shared/runtime/node-server';
import { createWarmupRunner } from '../../shared/runtime/warmup-runner';
import { announceAccess } from '../../shared/security/announce-access';
import { createPrometheusTelemetry } from '../../shared/telemetry/prometheus-telemetry';
import { createDownloadProgress } from '../../shared/upstream/local/download-progress';
import { createLazyLocalUpstream } from '../../shared/upstream/local/lazy-local-upstream';
import { isLocalModelError } from '../../shared/upstream/local/local-model-error';
import { createUndiciTransport } from '../../shared/upstream/undici-transport';

const USAGE = `Usage: npm start

Runs the front door as a Node server on HOST:PORT; SIGTERM or SIGINT drains it and stops it.
It takes no flags: the environment configures it, read once at start. The main settings:

  PORT             port to listen on (default 8080)
  HOST             address to listen on (default 0.0.0.0)
  CPU_BACKENDS     the CPU tier's backends, comma-separated URIs (http(s)://, ecs://, cloudrun://,
                   dns://, local:); with neither CPU_BACKENDS nor GPU_BACKENDS set, it embeds
                   in-process with all-MiniLM-L6-v2
  GPU_BACKENDS     the GPU tier's backends, the same way
  API_KEYS         accepted keys, comma-separated NAME:SHA256 entries (npm run key:new makes one),
                   ending in :role=operator for /warmup, /info and /metrics; with neither it nor
                   API_KEYS_FILE set, every route is open
  EMBED_MODEL_DIR  a directory holding the in-process engine's model (npm run model:fetch)

Every setting, with its default: docs/configuration.md

  --help           this text`;

async function main(): Promise<void> {
  exitUnlessRun(parseCommandLine({ flags: {} }, process.argv.slice(2), () => undefined), USAGE);
  const parsed = parseConfig(process.env);
  const logger = createLogger(parsed.logLevel);
  // With no backend configured, the in-process engine serves: `npm start` works out of the box.
  const defaulted = hasNoBackends(parsed);
  const config = withLocalEngineDefault(parsed);
  if (defaulted) {
    logger.info('local_engine_default', {
      message: 'CPU_BACKENDS and GPU_BACKENDS are unset: embedding in-process with all-MiniLM-L6-v2 (see docs/local-engine.md)',
    });
  }
  await prepareLocalModels(config, { defaulted, logger, progress: createDownloadProgress(process.stderr) });
  const deps = createDependencies(config, {
    transport: createUndiciTransport({ connectionsPerOrigin: config.upstream.connectionsPerOrigin }),
    runtime: 'node',
    logger,
    telemetry: createPrometheusTelemetry,
    localEngine: createLazyLocalUpstream,
  });
  announceAccess(config.security, deps.logger);
  const server = await startNodeServer(createApp({ ...deps, warmup: createWarmupRunner(deps), checkHost: true }), {
    host: config.host,
    port: config.port,
    shutdownGraceMs: config.timeouts.shutdownGraceMs,
    requestTimeoutMs: config.security.clientBodyTimeoutMs,
    maxConnections: config.server.maxConnections,
    idleTimeoutMs: config.server.clientIdleTimeoutMs,
    logger: deps.logger,
  });
  // A drain that fails (a backend client that cannot close) is logged and ends the process with
  // 1, never as an unhandled rejection.
  const stop = (signal: string): void => {
    deps.logger.info('signal', { signal });
    server.shutdown().then(() => deps.close()).then(() => process.exit(0), (error: unknown) => {
      deps.logger.error('shutdown_failed', { signal, message: error instanceof Error ? error.message : String(error) });
      process.exit(1);
    });
  };
  // Installed before `listening` is announced, so a SIGTERM right after it still drains.
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.once('SIGINT', () => stop('SIGINT'));
  deps.logger.info('listening', {
    url: server.url,
    cpuBackends: config.tiers.cpu.length,
    gpuBackends: config.tiers.gpu.length,
  });
}

main().catch((error: unknown) => {
  // A bad configuration or a missing model is the operator's to fix: say what, without a stack trace.
  if (error instanceof ConfigError || isLocalModelError(error)) {
    process.stderr.write(`${error.message}\n`);
  } else {
    process.stderr.write(`embed-front-door failed to start: ${error instanceof Error ? error.stack : String(error)}\n`);
  }
  process.exit(1);
});
