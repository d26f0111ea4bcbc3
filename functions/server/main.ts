/**
 * `npm start`: the front door as a plain Node server (local, Cloud Run, Fargate). Reads the
 * environment once, serves on HOST:PORT, drains gracefully on SIGTERM/SIGINT.
 */
import { parseConfig } from '../../shared/config/config';
import { ConfigError } from '../../shared/config/env-reader';
import { createApp } from '../../shared/http/create-app';
import { createDependencies } from '../../shared/runtime/create-dependencies';
import { startNodeServer } from '../../shared/runtime/node-server';
import { createUndiciTransport } from '../../shared/upstream/undici-transport';

async function main(): Promise<void> {
  const config = parseConfig(process.env);
  const deps = createDependencies(config, {
    transport: createUndiciTransport({ connectionsPerOrigin: config.upstream.connectionsPerOrigin }),
    runtime: 'node',
  });
  if (config.tiers.cpu.length === 0 && config.tiers.gpu.length === 0) {
    deps.logger.warn('no_backends', {
      message: 'CPU_BACKENDS is not set: embed requests will get 503 until it is. ' +
        'Try `npm run demo`, or set CPU_BACKENDS=http://host:8080/predictions/all_MiniLM_L6_v2',
    });
  }
  const server = await startNodeServer(createApp(deps), {
    host: config.host,
    port: config.port,
    shutdownGraceMs: config.timeouts.shutdownGraceMs,
    logger: deps.logger,
  });
  deps.logger.info('listening', {
    url: server.url,
    cpuBackends: config.tiers.cpu.length,
    gpuBackends: config.tiers.gpu.length,
  });

  const stop = (signal: string): void => {
    deps.logger.info('signal', { signal });
    void server.shutdown().then(() => deps.close()).then(() => process.exit(0));
  };
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.once('SIGINT', () => stop('SIGINT'));
}

main().catch((error: unknown) => {
  // A bad configuration is the operator's to fix: say what, without a stack trace.
  if (error instanceof ConfigError) {
    process.stderr.write(`${error.message}\n`);
  } else {
    process.stderr.write(`embed-front-door failed to start: ${error instanceof Error ? error.stack : String(error)}\n`);
  }
  process.exit(1);
});
