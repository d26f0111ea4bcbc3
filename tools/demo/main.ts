/**
 * `npm run demo`: the front door on HOST:PORT (default 127.0.0.1:8080: loopback, where `npm start`
 * binds 0.0.0.0) in front of three simulated DJL Serving CPU instances, all in one process, so the
 * whole API can be tried with no backend, Java or Docker. The simulator's vectors are deterministic
 * stand-ins, not real embeddings.
 */
import { parseConfig } from '../../shared/config/config';
import { createApp } from '../../shared/http/create-app';
import { createDependencies } from '../../shared/runtime/create-dependencies';
import { startNodeServer } from '../../shared/runtime/node-server';
import { createWarmupRunner } from '../../shared/runtime/warmup-runner';
import { announceAccess } from '../../shared/security/announce-access';
import { createPrometheusTelemetry } from '../../shared/telemetry/prometheus-telemetry';
import { createUndiciTransport } from '../../shared/upstream/undici-transport';
import { DJL_PROFILES, startDjlSimulator } from '../djl-simulator/djl-simulator';
import { demoBanner } from './demo-banner';
import { exitUnlessRun, parseCommandLine } from '../../shared/cli/command-line';

const INSTANCES = 3;
const USAGE = `Usage: npm run demo

The front door on HOST:PORT (default 127.0.0.1:8080: this machine only) in front of ${INSTANCES} simulated
DJL Serving CPU instances, in one process; prints its URL, the simulators' URLs and curl lines to
try. The vectors are deterministic stand-ins, not real embeddings. The front door's other settings
come from the environment as for \`npm start\` (API_KEYS turns keys on).

  --help   this text`;

exitUnlessRun(parseCommandLine({ flags: {} }, process.argv.slice(2), () => undefined), USAGE);

/** A demo is for this machine: loopback unless HOST says otherwise (`npm start` defaults to 0.0.0.0, for containers). */
const DEMO_HOST = '127.0.0.1';

const sims = await Promise.all(Array.from({ length: INSTANCES }, () => startDjlSimulator({ ...DJL_PROFILES.cpu })));
// The same parsing as `npm start`; a blank HOST counts as unset there too.
const host = process.env.HOST?.trim() ? process.env.HOST : DEMO_HOST;
const config = parseConfig({ ...process.env, HOST: host, CPU_BACKENDS: sims.map((sim) => sim.predictionsUrl).join(',') });
const deps = createDependencies(config, {
  transport: createUndiciTransport({ connectionsPerOrigin: config.upstream.connectionsPerOrigin }),
  runtime: 'node (demo)',
  telemetry: createPrometheusTelemetry,
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
deps.logger.info('listening', { url: server.url, cpuBackends: config.tiers.cpu.length, gpuBackends: config.tiers.gpu.length });

process.stdout.write(demoBanner({
  url: server.url,
  simulatorUrls: sims.map((sim) => sim.predictionsUrl),
  model: config.model.id.slice(config.model.id.lastIndexOf('/') + 1),
  keysConfigured: config.security.keys.length > 0,
  protectOperatorRoutes: config.security.protectOperatorRoutes,
}));

const stop = async (): Promise<void> => {
  await server.shutdown();
  await deps.close();
  await Promise.all(sims.map((sim) => sim.close()));
  process.exit(0);
};
process.once('SIGINT', () => void stop());
process.once('SIGTERM', () => void stop());
