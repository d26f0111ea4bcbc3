/**
 * AWS Lambda entry point of the embedding worker, the `lambda://` burst tier: `{ v: 1, texts }`
 * in, float32 vectors out (shared/worker/worker-payload.ts). The model starts loading at init, at
 * module scope, so Lambda's init phase (not the first invoke) pays for most of it.
 */
import { parseConfig } from '../../shared/config/config';
import { createEmbedWorker } from '../../shared/worker/embed-worker';
import { loadWorkerEngine } from '../../shared/worker/load-worker-engine';
import { createWorkerMetrics, noWorkerMetrics } from '../../shared/worker/worker-metrics';

const config = parseConfig(process.env);
const metrics = config.runtime.emfMetrics
  ? createWorkerMetrics({
    namespace: config.runtime.metricsNamespace,
    functionName: config.runtime.functionName,
    write: (line) => process.stdout.write(`${line}\n`),
    now: Date.now,
  })
  : noWorkerMetrics;

export const handler = createEmbedWorker({
  engine: loadWorkerEngine(config.local),
  batchSize: config.local.batchSize,
  now: () => performance.now(),
  metrics,
});
