/**
 * `npm run demo`: the front door on PORT (default 8080) in front of three simulated DJL Serving
 * CPU instances, all in one process, so the whole API can be tried with no backend, Java or
 * Docker. The simulator's vectors are deterministic stand-ins, not real embeddings.
 */
import { parseConfig } from '../../shared/config/config';
import { createApp } from '../../shared/http/create-app';
import { createDependencies } from '../../shared/runtime/create-dependencies';
import { startNodeServer } from '../../shared/runtime/node-server';
import { createPrometheusTelemetry } from '../../shared/telemetry/prometheus-telemetry';
import { createUndiciTransport } from '../../shared/upstream/undici-transport';
import { DJL_PROFILES, startDjlSimulator } from '../djl-simulator/djl-simulator';
import { exitUnlessRun, parseCommandLine } from '../../shared/cli/command-line';

const INSTANCES = 3;
const USAGE = `Usage: npm run demo

The front door on PORT (default 8080) in front of ${INSTANCES} simulated DJL Serving CPU instances, in one
process; the front door's other settings come from the environment as for \`npm start\`.

  --help   this text`;

exitUnlessRun(parseCommandLine({ flags: {} }, process.argv.slice(2), () => undefined), USAGE);

const sims = await Promise.all(Array.from({ length: INSTANCES }, () => startDjlSimulator({ ...DJL_PROFILES.cpu })));
const config = parseConfig({ ...process.env, CPU_BACKENDS: sims.map((sim) => sim.predictionsUrl).join(',') });
const deps = createDependencies(config, {
  transport: createUndiciTransport({ connectionsPerOrigin: config.upstream.connectionsPerOrigin }),
  runtime: 'node (demo)',
  telemetry: createPrometheusTelemetry,
});
const server = await startNodeServer(createApp(deps), {
  host: config.host,
  port: config.port,
  shutdownGraceMs: config.timeouts.shutdownGraceMs,
  logger: deps.logger,
});

const base = server.url;
process.stdout.write(`
embed-front-door demo: ${base}, in front of ${INSTANCES} simulated DJL CPU instances
(deterministic stand-in vectors; set CPU_BACKENDS and run \`npm start\` for real backends)

  curl -s ${base}/v1/embeddings -H 'content-type: application/json' -d '{"input": ["hello", "world"], "model": "all-MiniLM-L6-v2"}'
  curl -s ${base}/embed -H 'content-type: application/json' -d '{"inputs": "hello"}'
  curl -s ${base}/predictions/all-MiniLM-L6-v2 -H 'content-type: text/plain' -d 'hello'
  curl -s ${base}/info

Ctrl-C stops it.
`);

const stop = async (): Promise<void> => {
  await server.shutdown();
  await deps.close();
  await Promise.all(sims.map((sim) => sim.close()));
  process.exit(0);
};
process.once('SIGINT', () => void stop());
process.once('SIGTERM', () => void stop());
