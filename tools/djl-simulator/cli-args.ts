/**
 * Command-line flags of `npm run sim`, parsed and checked in one place: every bad flag is reported
 * at once, with what was expected.
 */
import { type CommandLine, parseCommandLine, valueFlags } from '../../shared/cli/command-line';
import { DJL_PROFILES, resolveDjlOptions, type DjlProfileName, type DjlSimulatorOptions } from './options';
import { FLOAT_FORMATS, type FloatFormat } from './vectors';

/** What the CLI will start. */
export interface SimulatorCliPlan {
  readonly profile: DjlProfileName;
  /** Options of each instance, ports already assigned. */
  readonly instances: readonly Partial<DjlSimulatorOptions>[];
}

const DEFAULT_PORT = 8081;
const DEFAULT_INSTANCES = 3;
const MAX_INSTANCES = 64;
const MAX_PORT = 65_535;

export const CLI_USAGE = `Usage: npm run sim -- [options]

Starts simulated DJL Serving instances on 127.0.0.1, on consecutive ports.

  --profile cpu|gpu|zero      cost preset (default cpu)
  --port N                    first port (default ${DEFAULT_PORT}; 0 = ephemeral ports)
  --instances N               how many instances (default ${DEFAULT_INSTANCES})
  --workers N                 parallel workers per instance (default: the profile's)
  --base-ms X                 fixed cost of one job in ms (default: the profile's)
  --per-item-ms Y             cost of each text in ms (default: the profile's)
  --batch-size N              DJL server-side batch_size (default 1)
  --max-batch-delay-ms X      DJL max_batch_delay (default 100)
  --job-queue-size N          DJL job_queue_size (default 1000)
  --cold-start-ms X           model load time; the port opens after it (default 0)
  --wait-model-loading B      true: port closed while loading; false: /ping says PENDING (default true)
  --error-rate F              fraction of predictions answered 503 (default 0)
  --hang-rate F               fraction of predictions never answered (default 0)
  --model-name NAME           model name (default all_MiniLM_L6_v2)
  --dimension N               vector length (default 384)
  --float-format exact|java   exact JS doubles, or Java Float.toString as DJL sends (default exact)
  --help                      this text
`;

const FLAG_SPEC = {
  ...valueFlags('profile', 'port', 'instances', 'workers', 'base-ms', 'per-item-ms', 'batch-size', 'max-batch-delay-ms', 'job-queue-size', 'cold-start-ms', 'wait-model-loading', 'error-rate', 'hang-rate', 'model-name', 'dimension', 'float-format'),
} as const;

/** The flag that sets each library option, to word the library's problems as flags. */
const FLAG_OF_OPTION: Readonly<Partial<Record<keyof DjlSimulatorOptions, keyof typeof FLAG_SPEC>>> = {
  workers: 'workers',
  baseMs: 'base-ms',
  perItemMs: 'per-item-ms',
  serverBatchSize: 'batch-size',
  maxBatchDelayMs: 'max-batch-delay-ms',
  jobQueueSize: 'job-queue-size',
  coldStartMs: 'cold-start-ms',
  errorRate: 'error-rate',
  hangRate: 'hang-rate',
  modelName: 'model-name',
  dimension: 'dimension',
};

function asFlagProblem(problem: string): string {
  const separator = problem.indexOf(':');
  const flag = FLAG_OF_OPTION[problem.slice(0, separator) as keyof DjlSimulatorOptions];
  return flag === undefined ? problem : `--${flag}${problem.slice(separator)}`;
}

const INTEGER = { integer: true } as const;
const BOOLEAN_WORDS = { true: true, false: false } as const;

/** Parses `npm run sim` flags; every bad one is reported at once. */
export function parseSimulatorCli(argv: readonly string[]): CommandLine<SimulatorCliPlan> {
  return parseCommandLine({ flags: FLAG_SPEC }, argv, (read) => {
    const profile = read.choice('profile', Object.keys(DJL_PROFILES) as DjlProfileName[]) ?? 'cpu';
    const firstPort = read.number('port', INTEGER) ?? DEFAULT_PORT;
    const count = read.number('instances', INTEGER) ?? DEFAULT_INSTANCES;
    const waitWord = read.choice('wait-model-loading', Object.keys(BOOLEAN_WORDS) as (keyof typeof BOOLEAN_WORDS)[]);
    const fromFlags: Partial<DjlSimulatorOptions> = {
      workers: read.number('workers', INTEGER),
      baseMs: read.number('base-ms'),
      perItemMs: read.number('per-item-ms'),
      serverBatchSize: read.number('batch-size', INTEGER),
      maxBatchDelayMs: read.number('max-batch-delay-ms'),
      jobQueueSize: read.number('job-queue-size', INTEGER),
      coldStartMs: read.number('cold-start-ms'),
      waitModelLoading: waitWord === undefined ? undefined : BOOLEAN_WORDS[waitWord],
      errorRate: read.number('error-rate'),
      hangRate: read.number('hang-rate'),
      modelName: read.string('model-name'),
      dimension: read.number('dimension', INTEGER),
      floatFormat: read.choice<FloatFormat>('float-format', Object.values(FLOAT_FORMATS)),
    };
    const setFlags = Object.entries(fromFlags).filter(([, value]) => value !== undefined);
    const options: Partial<DjlSimulatorOptions> = { ...DJL_PROFILES[profile], ...Object.fromEntries(setFlags) };
    const { problems } = read;
    if (!Number.isInteger(count) || count < 1 || count > MAX_INSTANCES) {
      problems.push(`--instances: expected 1..${MAX_INSTANCES}, got ${count}`);
    }
    if (firstPort < 0 || (firstPort > 0 && firstPort + count - 1 > MAX_PORT)) {
      problems.push(`--port: expected 0, or a first port that leaves room for ${count} ports up to ${MAX_PORT}; got ${firstPort}`);
    }
    try {
      resolveDjlOptions({ ...options, port: 0 });
    } catch (error) {
      problems.push(...(error as Error).message.split('\n').slice(1).map((line) => asFlagProblem(line.trim())));
    }
    const instances = Array.from({ length: count }, (_, index) => ({
      ...options,
      port: firstPort === 0 ? 0 : firstPort + index,
    }));
    return { profile, instances };
  });
}
