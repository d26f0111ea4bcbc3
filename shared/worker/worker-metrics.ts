/**
 * The worker's CloudWatch EMF lines, in the conventions of the front door's sink
 * (shared/telemetry/emf-telemetry.ts): the same namespace (METRICS_NAMESPACE), a Service
 * dimension, the function name as a second dimension on the once-per-environment init line only,
 * and lines written straight to stdout (console.log's Lambda prefix would break the JSON).
 */
import { namespaceProblem } from '../config/runtime-config';

/** Metric names, as they appear in CloudWatch. */
export const WorkerMetric = {
  coldStart: 'WorkerColdStart',
  initDuration: 'WorkerInitDuration',
  batchDuration: 'WorkerBatchDuration',
  texts: 'WorkerTexts',
} as const;

/** The worker's Service dimension. */
export const WORKER_SERVICE = 'embed-worker';

export interface WorkerMetrics {
  /** Once per environment: ms from process start to model ready, and whether it loaded. */
  init(initMs: number, loaded: boolean): void;
  /** Once per answered invoke: its texts and the ms spent embedding them. */
  batch(texts: number, computeMs: number): void;
}

export interface WorkerMetricsOptions {
  readonly namespace: string;
  /** AWS_LAMBDA_FUNCTION_NAME, the init line's second dimension when set. */
  readonly functionName: string | undefined;
  readonly write: (line: string) => void;
  /** Epoch ms, each line's Timestamp. */
  readonly now: () => number;
}

type Unit = 'Milliseconds' | 'Count';

/** Writes EMF lines; throws at construction on a namespace CloudWatch would refuse. */
export function createWorkerMetrics(options: WorkerMetricsOptions): WorkerMetrics {
  const problem = namespaceProblem(options.namespace);
  if (problem !== undefined) throw new Error(`EMF namespace ${JSON.stringify(options.namespace)}: ${problem}`);
  const line = (dimensions: Record<string, string>, metrics: readonly [string, Unit, number][], properties: Record<string, string | number>): void => {
    const finite = metrics.filter(([, , value]) => Number.isFinite(value));
    if (finite.length === 0) return;
    options.write(JSON.stringify({
      _aws: {
        Timestamp: Math.round(options.now()),
        CloudWatchMetrics: [{ Namespace: options.namespace, Dimensions: [Object.keys(dimensions)], Metrics: finite.map(([Name, Unit]) => ({ Name, Unit })) }],
      },
      ...properties,
      ...dimensions,
      ...Object.fromEntries(finite.map(([name, , value]) => [name, value])),
    }));
  };
  const service = { Service: WORKER_SERVICE };
  return {
    init: (initMs, loaded) => line(
      options.functionName === undefined || options.functionName === '' ? service : { ...service, FunctionName: options.functionName },
      [[WorkerMetric.coldStart, 'Count', 1], [WorkerMetric.initDuration, 'Milliseconds', Math.round(initMs)]],
      { modelLoaded: loaded ? 1 : 0 },
    ),
    batch: (texts, computeMs) => line(service, [[WorkerMetric.batchDuration, 'Milliseconds', Math.round(computeMs * 10) / 10], [WorkerMetric.texts, 'Count', texts]], {}),
  };
}

/** No lines (EMF_METRICS=false, and tests). */
export const noWorkerMetrics: WorkerMetrics = { init: () => {}, batch: () => {} };
