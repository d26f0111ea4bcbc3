/**
 * Parsing of `CPU_BACKENDS` / `GPU_BACKENDS` entries. Each entry is a URI whose scheme picks the
 * source: `http(s)://` is a static endpoint whose path names its dialect. Later sources (`ecs://`,
 * `cloudrun://`, `dns://`, `local:`) register one parser each in `SOURCE_PARSERS`.
 */
import { isAbsolute } from 'node:path';

export const UpstreamDialect = {
  djl: 'djl',
  tei: 'tei',
  openai: 'openai',
  /** The in-process ONNX Runtime engine (`local:`), no HTTP involved. */
  local: 'local',
} as const;
export type UpstreamDialect = (typeof UpstreamDialect)[keyof typeof UpstreamDialect];

export const Tier = { cpu: 'cpu', gpu: 'gpu' } as const;
export type Tier = (typeof Tier)[keyof typeof Tier];

/** One fixed upstream endpoint. `url` is the full inference URL the front door posts to. */
export interface StaticBackendSpec {
  readonly source: 'static';
  readonly dialect: Exclude<UpstreamDialect, 'local'>;
  readonly url: string;
  /** For DJL: the model name the backend really serves (from the URL path). */
  readonly modelName?: string;
}

/**
 * The in-process engine (`local:` or `local:/abs/model-dir`). Without a directory the model comes
 * from EMBED_MODEL_DIR, else the cache, else a download (shared/upstream/local/model-source.ts).
 */
export interface LocalBackendSpec {
  readonly source: 'local';
  readonly dialect: 'local';
  readonly modelDir?: string;
}

export type BackendSpec = StaticBackendSpec | LocalBackendSpec;

type SourceParser = (uri: URL, entry: string) => BackendSpec;

const DJL_PREDICTIONS_PATH = /^(?<prefix>.*)\/predictions\/(?<model>[^/]+)(?:\/[^/]+)?\/?$/;
const DJL_INVOCATIONS_PATH = /\/invocations\/?$/;
const TEI_PATH = /\/embed\/?$/;
const OPENAI_PATH = /(?:^|\/)(?:v1\/)?embeddings\/?$/;

function parseHttpEntry(uri: URL, entry: string): StaticBackendSpec {
  if (uri.username !== '' || uri.password !== '') {
    throw new Error(`${entry}: credentials in the URL are not allowed; set UPSTREAM_API_KEY instead`);
  }
  if (uri.hash !== '') throw new Error(`${entry}: remove the #fragment`);
  const url = uri.toString();
  const path = uri.pathname;
  const djl = DJL_PREDICTIONS_PATH.exec(path);
  if (djl?.groups?.model !== undefined) {
    return { source: 'static', dialect: UpstreamDialect.djl, url, modelName: decodeURIComponent(djl.groups.model) };
  }
  if (DJL_INVOCATIONS_PATH.test(path)) {
    const modelName = uri.searchParams.get('model_name') ?? undefined;
    return { source: 'static', dialect: UpstreamDialect.djl, url, ...(modelName ? { modelName } : {}) };
  }
  if (TEI_PATH.test(path)) return { source: 'static', dialect: UpstreamDialect.tei, url };
  if (OPENAI_PATH.test(path)) return { source: 'static', dialect: UpstreamDialect.openai, url };
  throw new Error(
    `${entry}: cannot tell the backend's API from the path "${path}"; end it with ` +
      '/predictions/<model> (DJL Serving), /embed (text-embeddings-inference) or /v1/embeddings (OpenAI-compatible)',
  );
}

const LOCAL_SCHEME = 'local:';

// The path is taken verbatim from the entry (not from URL parsing, which would percent-encode it).
function parseLocalEntry(_uri: URL, entry: string): LocalBackendSpec {
  const modelDir = entry.slice(LOCAL_SCHEME.length);
  if (modelDir === '') return { source: 'local', dialect: UpstreamDialect.local };
  if (!isAbsolute(modelDir) || modelDir.startsWith('//')) {
    throw new Error(`${entry}: the model directory must be an absolute path, e.g. local:/srv/models/all-MiniLM-L6-v2 (or just local:)`);
  }
  return { source: 'local', dialect: UpstreamDialect.local, modelDir };
}

/** Parsers by URI scheme (with the trailing colon, as `URL.protocol` gives it). */
const SOURCE_PARSERS: Readonly<Record<string, SourceParser>> = {
  'http:': parseHttpEntry,
  'https:': parseHttpEntry,
  [LOCAL_SCHEME]: parseLocalEntry,
};

/**
 * Parses a comma-separated backend list. Returns the specs and the problems found (each naming
 * the key and the entry), so the config module can report every bad key at once.
 */
export function parseBackendList(key: string, entries: readonly string[]): { specs: BackendSpec[]; problems: string[] } {
  const specs: BackendSpec[] = [];
  const problems: string[] = [];
  for (const entry of entries) {
    let uri: URL;
    try {
      uri = new URL(entry);
    } catch {
      problems.push(`${key}: "${entry}" is not a URL (expected e.g. http://10.0.0.5:8080/predictions/all_MiniLM_L6_v2)`);
      continue;
    }
    const parse = SOURCE_PARSERS[uri.protocol];
    if (parse === undefined) {
      problems.push(`${key}: "${entry}" has unsupported scheme "${uri.protocol}"; use ${Object.keys(SOURCE_PARSERS).join(' or ')}`);
      continue;
    }
    try {
      specs.push(parse(uri, entry));
    } catch (error) {
      problems.push(`${key}: ${(error as Error).message}`);
    }
  }
  return { specs, problems };
}
