/**
 * Command-line flags of `npm run loadtest`, parsed and checked in one place: every bad flag is
 * reported at once, with what was expected. Pure: argv in, options or problems out.
 */
import { parseBackendList } from '../../shared/config/backends';
import { UpstreamDialect } from '../../shared/core/upstream-dialect';
import { DEFAULTS } from '../../shared/config/config';
import { type CommandLine, type FlagReader, type NumberBounds, parseCommandLine, valueFlags } from '../../shared/cli/command-line';

/** The HTTP dialects a load test can speak. */
export type LoadDialect = Exclude<UpstreamDialect, 'local' | 'lambda'>;
const LOAD_DIALECTS: readonly LoadDialect[] = [UpstreamDialect.djl, UpstreamDialect.tei, UpstreamDialect.openai];

/** One URL under test and how to talk to it. */
export interface LoadTarget {
  readonly url: string;
  readonly dialect: LoadDialect;
  /** For DJL: the model name in the URL path (unused by the request itself). */
  readonly modelName?: string;
}

/** Where the texts come from. */
export type TextSpec =
  | { readonly kind: 'generated'; readonly chars: number }
  | { readonly kind: 'file'; readonly path: string };

/** Everything one load-test session is told, defaults filled in. */
export interface LoadtestOptions {
  readonly targets: readonly LoadTarget[];
  /** The `model` field of OpenAI requests. */
  readonly model: string;
  /** Vector length every answer must have. */
  readonly dimension: number;
  /** Texts per request. */
  readonly batch: number;
  /** Closed loop: clients each with one request in flight. Open loop: connections per origin. */
  readonly concurrency: number;
  /** Measuring window per run, seconds; undefined when only `texts` bounds the run. */
  readonly durationS: number | undefined;
  /** Texts to send per run (measured part); undefined when only the duration bounds it. */
  readonly texts: number | undefined;
  /** Open loop: requests started per second, whatever the answers. Undefined: closed loop. */
  readonly rate: number | undefined;
  /** Load sent before each measuring window and not counted (connections, JIT, caches). */
  readonly warmupS: number;
  readonly text: TextSpec;
  /** Batch sizes of a cost-model sweep; undefined: one run per URL at `batch`. */
  readonly sweep: readonly number[] | undefined;
  readonly timeoutMs: number;
  /** Undefined: a fresh directory under the OS temp dir. */
  readonly outDir: string | undefined;
  /** Draw the progress bar even when stderr is not a terminal. */
  readonly progress: boolean;
  /** A file holding the API key sent as `Authorization: Bearer` to TEI and OpenAI URLs. */
  readonly apiKeyFile: string | undefined;
}

const WHOLE: NumberBounds = { integer: true, min: 1 };
const POSITIVE: NumberBounds = { above: 0 };
/** What every flag left out means. */
const LOADTEST_DEFAULTS = {
  batch: 32,
  concurrency: 4,
  /** A sweep measures service time, so by default one request at a time: no queueing to fit. */
  sweepConcurrency: 1,
  durationS: 10,
  sweepStepS: 5,
  warmupS: 1,
  /** About 256 tokens of English: a typical retrieval chunk. */
  chunkChars: 1_000,
  // The model the front door serves by default, and its vector length.
  dimension: DEFAULTS.dimension,
  model: DEFAULTS.modelId,
  timeoutMs: 30_000,
} as const;

/** The `--help` text; also printed after the problems when flags are bad. */
export const LOADTEST_USAGE = `Usage: npm run loadtest -- --url URL [--url URL2 ...] [options]

Sends real embedding traffic to each URL in turn (one after another, so they do not compete),
prints a table, and writes report.json and a self-contained report.html with plots.

  --url URL             endpoint to load (repeat to compare, e.g. CPU vs GPU, direct vs front door);
                        the path tells the dialect: /predictions/<model> (DJL), /embed (TEI),
                        /v1/embeddings (OpenAI)
  --dialect D           djl|tei|openai for every URL, whatever its path
  --batch N             texts per request (default ${LOADTEST_DEFAULTS.batch})
  --concurrency N       closed loop: clients, each with one request in flight (default ${LOADTEST_DEFAULTS.concurrency};
                        ${LOADTEST_DEFAULTS.sweepConcurrency} with --sweep). With --rate: connections per origin
  --duration S          measuring window per run, seconds (default ${LOADTEST_DEFAULTS.durationS}; ${LOADTEST_DEFAULTS.sweepStepS} per step with --sweep)
  --texts N             texts to send per run; the run ends when they are answered (or at --duration)
  --rate R              open loop: start R requests per second whatever the answers; latency counts
                        from when each request was due
  --warmup S            load sent before each window and not counted (default ${LOADTEST_DEFAULTS.warmupS})
  --chunk-chars N       generated texts of N characters each (default ${LOADTEST_DEFAULTS.chunkChars})
  --text-file PATH      texts from a file instead, one per line (blank lines skipped), cycled
  --sweep N,N,...       fit the cost model latency = a + b * n: one run per batch size per URL.
                        Set --concurrency to the backend's worker count (or less) so requests do
                        not queue and each latency is one job's time; the line is fitted to each
                        step's p10 latency and printed as simulator flags (--base-ms, --per-item-ms)
  --model NAME          the "model" of OpenAI requests (default ${LOADTEST_DEFAULTS.model})
  --dimension N         vector length every answer must have (default ${LOADTEST_DEFAULTS.dimension})
  --timeout-ms MS       per-request timeout (default ${LOADTEST_DEFAULTS.timeoutMs})
  --api-key-file PATH   API key sent as "Authorization: Bearer" to TEI and OpenAI URLs
  --out DIR             where report.json and report.html go (default: a new directory under the
                        OS temp dir, printed at the end)
  --progress            draw the progress bar on stderr even when it is not a terminal
  --help                this text`;

const FLAG_SPEC = {
  ...valueFlags('dialect', 'batch', 'concurrency', 'duration', 'texts', 'rate', 'warmup', 'chunk-chars', 'text-file', 'sweep', 'model', 'dimension', 'timeout-ms', 'api-key-file', 'out'),
  url: { type: 'string', multiple: true },
  progress: { type: 'boolean' },
} as const;

type LoadtestFlags = FlagReader<typeof FLAG_SPEC>;

function parseSweep(reader: LoadtestFlags): number[] | undefined {
  const text = reader.string('sweep');
  if (text === undefined) return undefined;
  const sizes = text.split(',').map((part) => Number(part.trim()));
  const distinct = new Set(sizes);
  if (sizes.some((size) => !Number.isInteger(size) || size < 1) || distinct.size < 2) {
    reader.problems.push(`--sweep: expected two or more distinct whole numbers >= 1 separated by commas (e.g. 1,4,16,32), got ${JSON.stringify(text)}`);
    return undefined;
  }
  return [...distinct].sort((x, y) => x - y);
}

function parseDialect(reader: LoadtestFlags): LoadDialect | undefined {
  return reader.choice('dialect', LOAD_DIALECTS);
}

/** Each URL with its dialect: from --dialect when given, else from the path (as the front door's config reads it). */
function parseTargets(urls: readonly string[], dialect: LoadDialect | undefined, problems: string[]): LoadTarget[] {
  if (urls.length === 0) problems.push('--url: give at least one endpoint, e.g. --url http://127.0.0.1:8080/predictions/all_MiniLM_L6_v2');
  return urls.flatMap((url): LoadTarget[] => {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      problems.push(`--url: "${url}" is not a URL`);
      return [];
    }
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
      problems.push(`--url: "${url}" must be an http:// or https:// URL`);
      return [];
    }
    if (dialect !== undefined) return [{ url, dialect }];
    const { specs, problems: found } = parseBackendList('--url', [url]);
    problems.push(...found.map((problem) => `${problem} (or pass --dialect)`));
    const spec = specs[0];
    if (spec?.source !== 'static') return [];
    return [{ url: spec.url, dialect: spec.dialect, ...(spec.modelName === undefined ? {} : { modelName: spec.modelName }) }];
  });
}

/** Parses `argv` (without node and the script). Reports every bad flag at once. */
export function parseLoadtestArgs(argv: readonly string[]): CommandLine<LoadtestOptions> {
  return parseCommandLine({ flags: FLAG_SPEC }, argv, (reader) => {
    const { problems } = reader;
    const dialect = parseDialect(reader);
    const targets = parseTargets(reader.strings('url'), dialect, problems);
    const sweep = parseSweep(reader);
    const batch = reader.number('batch', WHOLE);
    const concurrency = reader.number('concurrency', WHOLE);
    const durationS = reader.number('duration', POSITIVE);
    const texts = reader.number('texts', WHOLE);
    const rate = reader.number('rate', POSITIVE);
    const warmupS = reader.number('warmup', { min: 0 });
    const chunkChars = reader.number('chunk-chars', WHOLE);
    const textFile = reader.string('text-file');
    const dimension = reader.number('dimension', WHOLE);
    const timeoutMs = reader.number('timeout-ms', WHOLE);
    const model = reader.string('model');
    const apiKeyFile = reader.string('api-key-file');
    const outDir = reader.string('out');
    const progress = reader.flag('progress');

    if (sweep !== undefined && batch !== undefined) problems.push('--batch and --sweep: a sweep sets the batch size of each run; drop --batch');
    if (sweep !== undefined && rate !== undefined) problems.push('--rate and --sweep: a sweep measures service time in a closed loop; drop --rate');
    if (chunkChars !== undefined && textFile !== undefined) problems.push('--chunk-chars and --text-file: pick one text source');
    if (model === '') problems.push('--model: must not be empty');

    const sweeping = sweep !== undefined;
    const text: TextSpec = textFile === undefined
      ? { kind: 'generated', chars: chunkChars ?? LOADTEST_DEFAULTS.chunkChars }
      : { kind: 'file', path: textFile };
    return Object.freeze<LoadtestOptions>({
      targets,
      model: model ?? LOADTEST_DEFAULTS.model,
      dimension: dimension ?? LOADTEST_DEFAULTS.dimension,
      batch: batch ?? LOADTEST_DEFAULTS.batch,
      concurrency: concurrency ?? (sweeping ? LOADTEST_DEFAULTS.sweepConcurrency : LOADTEST_DEFAULTS.concurrency),
      // --texts alone bounds the run by count; neither flag: the default window.
      durationS: durationS ?? (texts === undefined ? (sweeping ? LOADTEST_DEFAULTS.sweepStepS : LOADTEST_DEFAULTS.durationS) : undefined),
      texts,
      rate,
      warmupS: warmupS ?? LOADTEST_DEFAULTS.warmupS,
      text,
      sweep,
      timeoutMs: timeoutMs ?? LOADTEST_DEFAULTS.timeoutMs,
      outDir,
      progress,
      apiKeyFile,
    });
  });
}
