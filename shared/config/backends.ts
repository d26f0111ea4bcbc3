/**
 * Parsing of `CPU_BACKENDS` / `GPU_BACKENDS` entries. Each entry is a URI whose scheme picks the
 * source: `http(s)://` is a static endpoint whose path names its dialect. Later sources (`ecs://`,
 * `cloudrun://`, `dns://`, `local:`) register one parser each in `SOURCE_PARSERS`.
 */
import { UpstreamDialect } from '../core/upstream-dialect';
import { LAMBDA_SCHEME, type LambdaBackendSpec, parseLambdaEntry } from './lambda-backend';

export type { LambdaBackendSpec } from './lambda-backend';

/** The dialects reached over HTTP at a URL. */
type HttpDialect = Exclude<UpstreamDialect, 'local' | 'lambda'>;

/** One fixed upstream endpoint. `url` is the full inference URL the front door posts to. */
export interface StaticBackendSpec {
  readonly source: 'static';
  readonly dialect: HttpDialect;
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

/** Where discovered endpoints are posted to: the scheme, port and path the source's entry gives. */
interface DiscoveredTarget {
  readonly dialect: HttpDialect;
  /** The inference path (`/predictions/all_MiniLM_L6_v2`), query included. */
  readonly path: string;
  readonly modelName?: string;
  /** The entry as configured, for logs (it holds no secret). */
  readonly entry: string;
}

/** `ecs://<cluster>/<service>?port=8080&path=...&scheme=http`: every RUNNING task's private IP. */
export interface EcsBackendSpec extends DiscoveredTarget {
  readonly source: 'ecs';
  readonly cluster: string;
  readonly service: string;
  readonly port: number;
  readonly scheme: 'http' | 'https';
}

/** `cloudrun://projects/<p>/locations/<l>/services/<s>?path=...`: the service's URL, one endpoint. */
export interface CloudRunBackendSpec extends DiscoveredTarget {
  readonly source: 'cloudrun';
  /** `projects/<p>/locations/<l>/services/<s>`. */
  readonly name: string;
}

/** `dns://<name>[:<port>]?path=...&scheme=http`: A records (with a port) or SRV records (without). */
export interface DnsBackendSpec extends DiscoveredTarget {
  readonly source: 'dns';
  readonly name: string;
  readonly port: number | undefined;
  readonly scheme: 'http' | 'https';
}

export type DiscoveredBackendSpec = EcsBackendSpec | CloudRunBackendSpec | DnsBackendSpec;

export type BackendSpec = StaticBackendSpec | LocalBackendSpec | DiscoveredBackendSpec | LambdaBackendSpec;

export const isDiscoveredSpec = (spec: BackendSpec): spec is DiscoveredBackendSpec =>
  spec.source === 'ecs' || spec.source === 'cloudrun' || spec.source === 'dns';

export const isLambdaSpec = (spec: BackendSpec): spec is LambdaBackendSpec => spec.source === 'lambda';

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
  if (!process.getBuiltinModule('node:path').isAbsolute(modelDir) || modelDir.startsWith('//')) {
    throw new Error(`${entry}: the model directory must be an absolute path, e.g. local:/srv/models/all-MiniLM-L6-v2 (or just local:)`);
  }
  return { source: 'local', dialect: UpstreamDialect.local, modelDir };
}

/** DJL's default port, and the seed's containers'. */
const DEFAULT_DJL_PORT = 8080;
const ALLOWED_DISCOVERY_PARAMS = new Set(['port', 'path', 'scheme']);

/** The query parameters every discovery entry shares: where to post, and how. */
function discoveryTarget(uri: URL, entry: string, portRequired: boolean): DiscoveredTarget & { port: number | undefined; scheme: 'http' | 'https' } {
  const unknown = [...uri.searchParams.keys()].filter((key) => !ALLOWED_DISCOVERY_PARAMS.has(key));
  if (unknown.length > 0) throw new Error(`${entry}: unknown parameter ${unknown.join(', ')}; use port, path and scheme`);
  const path = uri.searchParams.get('path');
  if (path === null || !path.startsWith('/')) {
    throw new Error(`${entry}: add ?path=/predictions/<model> (or /embed, /v1/embeddings): the path tells the backend's API`);
  }
  const scheme = uri.searchParams.get('scheme') ?? 'http';
  if (scheme !== 'http' && scheme !== 'https') throw new Error(`${entry}: scheme must be http or https`);
  const portText = uri.searchParams.get('port') ?? (uri.port === '' ? undefined : uri.port);
  const port = portText === undefined ? (portRequired ? DEFAULT_DJL_PORT : undefined) : Number(portText);
  if (port !== undefined && (!Number.isInteger(port) || port < 1 || port > 65_535)) throw new Error(`${entry}: port must be 1..65535`);
  // The dialect comes from the path exactly as for a static URL.
  const { dialect, modelName } = parseHttpEntry(new URL(`http://discovered${path}`), entry);
  return { dialect, path, entry, port, scheme, ...(modelName === undefined ? {} : { modelName }) };
}

function parseEcsEntry(uri: URL, entry: string): EcsBackendSpec {
  const cluster = decodeURIComponent(uri.hostname);
  const service = decodeURIComponent(uri.pathname.replace(/^\/+|\/+$/g, ''));
  if (cluster === '' || service === '' || service.includes('/')) {
    throw new Error(`${entry}: expected ecs://<cluster>/<service>?port=8080&path=/predictions/<model>`);
  }
  const { port, ...target } = discoveryTarget(uri, entry, true);
  return { source: 'ecs', cluster, service, port: port ?? DEFAULT_DJL_PORT, ...target };
}

const CLOUD_RUN_NAME = /^projects\/[^/]+\/locations\/[^/]+\/services\/[^/]+$/;

function parseCloudRunEntry(uri: URL, entry: string): CloudRunBackendSpec {
  const name = `${uri.hostname}${uri.pathname}`.replace(/\/+$/, '');
  if (!CLOUD_RUN_NAME.test(name)) {
    throw new Error(`${entry}: expected cloudrun://projects/<project>/locations/<region>/services/<service>?path=/predictions/<model>`);
  }
  if (uri.searchParams.has('port') || uri.searchParams.has('scheme')) {
    throw new Error(`${entry}: a Cloud Run service is reached at its own https URL; remove port and scheme`);
  }
  const { port: _port, scheme: _scheme, ...target } = discoveryTarget(uri, entry, false);
  return { source: 'cloudrun', name, ...target };
}

function parseDnsEntry(uri: URL, entry: string): DnsBackendSpec {
  const name = uri.hostname;
  if (name === '' || uri.pathname.replace(/\/+$/, '') !== '') {
    throw new Error(`${entry}: expected dns://<name>[:<port>]?path=/predictions/<model> (without a port, SRV records give the ports)`);
  }
  const target = discoveryTarget(uri, entry, false);
  return { source: 'dns', name, ...target };
}

/** Parsers by URI scheme (with the trailing colon, as `URL.protocol` gives it). */
const SOURCE_PARSERS: Readonly<Record<string, SourceParser>> = {
  'http:': parseHttpEntry,
  'https:': parseHttpEntry,
  [LOCAL_SCHEME]: parseLocalEntry,
  'ecs:': parseEcsEntry,
  'cloudrun:': parseCloudRunEntry,
  'dns:': parseDnsEntry,
};

/**
 * Parses a comma-separated backend list. Returns the specs and the problems found (each naming
 * the key and the entry), so the config module can report every bad key at once.
 */
export function parseBackendList(key: string, entries: readonly string[]): { specs: BackendSpec[]; problems: string[] } {
  const specs: BackendSpec[] = [];
  const problems: string[] = [];
  for (const entry of entries) {
    // Before URL parsing: a function ARN's colons are no host and port.
    if (entry.startsWith(LAMBDA_SCHEME)) {
      const parsed = parseLambdaEntry(entry);
      if (typeof parsed === 'string') problems.push(`${key}: ${parsed}`);
      else specs.push(parsed);
      continue;
    }
    let uri: URL;
    try {
      uri = new URL(entry);
    } catch {
      problems.push(`${key}: "${entry}" is not a URL (expected e.g. http://10.0.0.5:8080/predictions/all_MiniLM_L6_v2)`);
      continue;
    }
    const parse = SOURCE_PARSERS[uri.protocol];
    if (parse === undefined) {
      problems.push(`${key}: "${entry}" has unsupported scheme "${uri.protocol}"; use ${[...Object.keys(SOURCE_PARSERS), LAMBDA_SCHEME].join(' or ')}`);
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
