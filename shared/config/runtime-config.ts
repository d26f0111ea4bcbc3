/**
 * The runtime section of the configuration: what the platform tells the front door about its
 * execution environment (Lambda's own variables) and where its CloudWatch EMF metrics go. Read by
 * parseConfig through the same EnvReader, so a bad key is reported with all the others.
 */
import type { EnvReader } from './env-reader';

export interface RuntimeConfig {
  /**
   * AWS_LAMBDA_INITIALIZATION_TYPE, set by Lambda: `on-demand`, `provisioned-concurrency` or
   * `snap-start`. Unset off Lambda. Kept as given, unknown values included, so a type Lambda adds
   * later still reaches the cold-start line instead of being refused at start-up.
   */
  readonly initializationType: string | undefined;
  /** AWS_LAMBDA_FUNCTION_NAME, set by Lambda; unset off Lambda. The cold-start metric's dimension. */
  readonly functionName: string | undefined;
  /** METRICS_NAMESPACE (default `EmbedFrontDoor`): the CloudWatch namespace of the EMF metrics. */
  readonly metricsNamespace: string;
  /** EMF_METRICS (default true): write one EMF line per invocation when running on Lambda. */
  readonly emfMetrics: boolean;
}

export const RUNTIME_DEFAULTS = {
  metricsNamespace: 'EmbedFrontDoor',
  emfMetrics: true,
} as const;

/** CloudWatch's limit on a namespace's length. */
const MAX_NAMESPACE_LENGTH = 255;
/** The characters CloudWatch allows in a namespace: alphanumerics, `.`, `-`, `_`, `/`, `#`, `:` and space. */
const NAMESPACE_CHARACTERS = /^[0-9A-Za-z.\-_/#: ]+$/;
/** Namespaces under this prefix belong to AWS services; PutMetricData and EMF refuse them. */
const RESERVED_NAMESPACE_PREFIX = 'AWS/';

/** Why `namespace` is not a valid CloudWatch namespace, or undefined when it is. */
export function namespaceProblem(namespace: string): string | undefined {
  if (namespace.length > MAX_NAMESPACE_LENGTH) return `expected at most ${MAX_NAMESPACE_LENGTH} characters`;
  if (!NAMESPACE_CHARACTERS.test(namespace) || namespace.trim() === '') {
    return 'expected letters, digits, spaces and . - _ / # : only, with at least one non-space';
  }
  if (namespace.startsWith(RESERVED_NAMESPACE_PREFIX)) return `the ${RESERVED_NAMESPACE_PREFIX} prefix is reserved for AWS services`;
  return undefined;
}

/** Reads the runtime section; every problem goes to `read` for the one start-up error. */
export function readRuntimeConfig(read: EnvReader): RuntimeConfig {
  let metricsNamespace = read.string('METRICS_NAMESPACE', RUNTIME_DEFAULTS.metricsNamespace);
  const problem = namespaceProblem(metricsNamespace);
  if (problem !== undefined) {
    read.problem(`METRICS_NAMESPACE=${JSON.stringify(metricsNamespace)}: ${problem}`);
    metricsNamespace = RUNTIME_DEFAULTS.metricsNamespace;
  }
  return {
    initializationType: read.raw('AWS_LAMBDA_INITIALIZATION_TYPE'),
    functionName: read.raw('AWS_LAMBDA_FUNCTION_NAME'),
    metricsNamespace,
    emfMetrics: read.bool('EMF_METRICS', RUNTIME_DEFAULTS.emfMetrics),
  };
}
