/**
 * Command-line flags of `npm run loadtest`, parsed and checked in one place: every bad flag is
 * reported at once, with what was expected. Pure: argv in, options or problems out.
 */
import { parseArgs } from 'node:util';
import { parseBackendList } from '../../shared/config/backends';
import { UpstreamDialect } from '../../shared/core/upstream-dialect';
import { DEFAULTS } from '../../shared/config/config';

/** The HTTP dialects a load test can speak. */
export type LoadDialect = Exclude<UpstreamDialect, 'local'>;
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

/** What argv asks for: the usage text, a session, or the list of everything wrong with it. */
export type ParsedLoadtestArgs =
  | { readonly kind: 'help' }
  | { readonly kind: 'run'; readonly options: LoadtestOptions }
  | { readonly kind: 'invalid'; readonly problems: readonly string[] };

const DEFAULT_BATCH = 32;
const DEFAULT_CONCURRENCY = 4;
/** A sweep measures service time, so by default one request at a time: no queueing to fit. */
const DEFAULT_SWEEP_CONCURRENCY = 1;
const DEFAULT_DURATION_S = 10;
const DEFAULT_SWEEP_STEP_S = 5;
const DEFAULT_WARMUP_S = 1;
/** About 256 tokens of English: a typical retrieval chunk. */
const DEFAULT_CHUNK_CHARS = 1_000;
// The model the front door serves by default, and its vector length.
const DEFAULT_DIMENSION = DEFAULTS.dimension;
const DEFAULT_TIMEOUT_MS = 30_000;
const DEFAULT_MODEL = DEFAULTS.modelId;

/** The `--help` text; also printed after the problems when flags are bad. */
export const LOADTEST_USAGE = `Usage: npm run loadtest -- --url URL [--url URL2 ...] [options]

Sends real embedding traffic to each URL in turn (one after another, so they do not compete),
prints a table, and writes report.json and a self-contained report.html with plots.

  --url URL             endpoint to load (repeat to compare, e.g. CPU vs GPU, direct vs front door);
                        the path tells the dialect: /predictions/<model> (DJL), /embed (TEI),
                        /v1/embeddings (OpenAI)
  --dialect D           djl|tei|openai for every URL, whatever its path
  --batch N             texts per request (default ${DEFAULT_BATCH})
  --concurrency N       closed loop: clients, each with one request in flight (default ${DEFAULT_CONCURRENCY};
                        ${DEFAULT_SWEEP_CONCURRENCY} with --sweep). With --rate: connections per origin
  --duration S          measuring window per run, seconds (default ${DEFAULT_DURATION_S}; ${DEFAULT_SWEEP_STEP_S} per step with --sweep)
  --texts N             texts to send per run; the run ends when they are answered (or at --duration)
  --rate R              open loop: start R requests per second whatever the answers; latency counts
                        from when each request was due
  --warmup S            load sent before each window and not counted (default ${DEFAULT_WARMUP_S})
  --chunk-chars N       generated texts of N characters each (default ${DEFAULT_CHUNK_CHARS})
  --text-file PATH      texts from a file instead, one per line (blank lines skipped), cycled
  --sweep N,N,...       fit the cost model latency = a + b * n: one run per batch size per URL.
                        Set --concurrency to the backend's worker count (or less) so requests do
                        not queue and each latency is one job's time; the line is fitted to each
                        step's p10 latency and printed as simulator flags (--base-ms, --per-item-ms)
  --model NAME          the "model" of OpenAI requests (default ${DEFAULT_MODEL})
  --dimension N         vector length every answer must have (default ${DEFAULT_DIMENSION})
  --timeout-ms MS       per-request timeout (default ${DEFAULT_TIMEOUT_MS})
  --api-key-file PATH   API key sent as "Authorization: Bearer" to TEI and OpenAI URLs
  --out DIR             where report.json and report.html go (default: a new directory under the
                        OS temp dir, printed at the end)
  --progress            draw the progress bar on stderr even when it is not a terminal
  --help                this text`;

const FLAG_SPEC = {
  url: { type: 'string', multiple: true },
  dialect: { type: 'string' },
  batch: { type: 'string' },
  concurrency: { type: 'string' },
  duration: { type: 'string' },
  texts: { type: 'string' },
  rate: { type: 'string' },
  warmup: { type: 'string' },
  'chunk-chars': { type: 'string' },
  'text-file': { type: 'string' },
  sweep: { type: 'string' },
  model: { type: 'string' },
  dimension: { type: 'string' },
  'timeout-ms': { type: 'string' },
  'api-key-file': { type: 'string' },
  out: { type: 'string' },
  progress: { type: 'boolean' },
  help: { type: 'boolean' },
} as const;

type FlagName = keyof typeof FLAG_SPEC;
const isFlag = (name: string): name is FlagName => Object.hasOwn(FLAG_SPEC, name);

/** Reads flag values, collecting a problem for each bad one instead of stopping at the first. */
class FlagReader {
  readonly problems: string[] = [];

  constructor(private readonly values: Readonly<Record<string, string | boolean | (string | boolean)[] | undefined>>) {}

  string(name: FlagName): string | undefined {
    const value = this.values[name];
    if (value === undefined) return undefined;
    const last = Array.isArray(value) ? value[value.length - 1] : value;
    if (typeof last !== 'string' || last.startsWith('--')) {
      this.problems.push(`--${name}: needs a value`);
      return undefined;
    }
    return last;
  }

  strings(name: FlagName): string[] {
    const value = this.values[name];
    const list = value === undefined ? [] : Array.isArray(value) ? value : [value];
    return list.flatMap((item) => {
      if (typeof item === 'string' && !item.startsWith('--')) return [item];
      this.problems.push(`--${name}: needs a value`);
      return [];
    });
  }

  number(name: FlagName, check: (value: number) => boolean, expected: string): number | undefined {
    const text = this.string(name);
    if (text === undefined) return undefined;
    const value = Number(text);
    if (text.trim() === '' || !Number.isFinite(value) || !check(value)) {
      this.problems.push(`--${name}: expected ${expected}, got ${JSON.stringify(text)}`);
      return undefined;
    }
    return value;
  }

  integer(name: FlagName): number | undefined {
    return this.number(name, (value) => Number.isInteger(value) && value >= 1, 'a whole number >= 1');
  }

  positive(name: FlagName): number | undefined {
    return this.number(name, (value) => value > 0, 'a number > 0');
  }

  flag(name: FlagName): boolean {
    const value = this.values[name];
    if (value === undefined) return false;
    if (value !== true) this.problems.push(`--${name}: takes no value`);
    return true;
  }
}

function parseSweep(reader: FlagReader): number[] | undefined {
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

function parseDialect(reader: FlagReader): LoadDialect | undefined {
  const text = reader.string('dialect');
  if (text === undefined) return undefined;
  const dialect = LOAD_DIALECTS.find((known) => known === text);
  if (dialect === undefined) reader.problems.push(`--dialect: expected ${LOAD_DIALECTS.join(', ')}, got ${JSON.stringify(text)}`);
  return dialect;
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
export function parseLoadtestArgs(argv: readonly string[]): ParsedLoadtestArgs {
  // Not strict, so that unknown flags are collected with the rest instead of thrown one by one.
  const { values, positionals, tokens } = parseArgs({
    args: [...argv], options: FLAG_SPEC, strict: false, allowPositionals: true, tokens: true,
  });
  const reader = new FlagReader(values);
  const { problems } = reader;
  for (const token of tokens) {
    if (token.kind === 'option' && !isFlag(token.name)) problems.push(`${token.rawName}: not a flag (see --help)`);
  }
  if (positionals.length > 0) problems.push(`unexpected argument(s) ${positionals.map((arg) => JSON.stringify(arg)).join(' ')}: every value follows a flag`);
  if (reader.flag('help')) return { kind: 'help' };

  const dialect = parseDialect(reader);
  const targets = parseTargets(reader.strings('url'), dialect, problems);
  const sweep = parseSweep(reader);
  const batch = reader.integer('batch');
  const concurrency = reader.integer('concurrency');
  const durationS = reader.positive('duration');
  const texts = reader.integer('texts');
  const rate = reader.positive('rate');
  const warmupS = reader.number('warmup', (value) => value >= 0, 'a number of seconds >= 0');
  const chunkChars = reader.integer('chunk-chars');
  const textFile = reader.string('text-file');
  const dimension = reader.integer('dimension');
  const timeoutMs = reader.integer('timeout-ms');
  const model = reader.string('model');
  const apiKeyFile = reader.string('api-key-file');
  const outDir = reader.string('out');
  const progress = reader.flag('progress');

  if (sweep !== undefined && batch !== undefined) problems.push('--batch and --sweep: a sweep sets the batch size of each run; drop --batch');
  if (sweep !== undefined && rate !== undefined) problems.push('--rate and --sweep: a sweep measures service time in a closed loop; drop --rate');
  if (chunkChars !== undefined && textFile !== undefined) problems.push('--chunk-chars and --text-file: pick one text source');
  if (model === '') problems.push('--model: must not be empty');

  if (problems.length > 0) return { kind: 'invalid', problems };
  const sweeping = sweep !== undefined;
  const text: TextSpec = textFile === undefined
    ? { kind: 'generated', chars: chunkChars ?? DEFAULT_CHUNK_CHARS }
    : { kind: 'file', path: textFile };
  return {
    kind: 'run',
    options: Object.freeze<LoadtestOptions>({
      targets,
      model: model ?? DEFAULT_MODEL,
      dimension: dimension ?? DEFAULT_DIMENSION,
      batch: batch ?? DEFAULT_BATCH,
      concurrency: concurrency ?? (sweeping ? DEFAULT_SWEEP_CONCURRENCY : DEFAULT_CONCURRENCY),
      // --texts alone bounds the run by count; neither flag: the default window.
      durationS: durationS ?? (texts === undefined ? (sweeping ? DEFAULT_SWEEP_STEP_S : DEFAULT_DURATION_S) : undefined),
      texts,
      rate,
      warmupS: warmupS ?? DEFAULT_WARMUP_S,
      text,
      sweep,
      timeoutMs: timeoutMs ?? DEFAULT_TIMEOUT_MS,
      outDir,
      progress,
      apiKeyFile,
    }),
  };
}
