/**
 * The front door's configuration: parsed once from the environment, validated as a whole (one
 * error lists every bad key), typed and frozen. Every key and its default is documented in
 * docs/configuration.md; test/unit/docs.test.ts keeps the two in step.
 */
import { type BackendSpec, parseBackendList } from './backends';
import { type CacheConfig, readCacheConfig } from './cache-config';
import { type DiscoveryConfig, readDiscoveryConfig } from './discovery-config';
import { type DispatchConfig, readDispatchConfig } from './dispatch-config';
import { type Env, EnvReader } from './env-reader';
import { type LocalEngineConfig, readLocalEngineConfig } from './local-engine-config';
import { readRuntimeConfig, type RuntimeConfig } from './runtime-config';
import { readSecurityConfig, type SecurityConfig } from './security-config';
import { readServerConfig, type ServerConfig } from './server-config';
import { readWarmupConfig, type WarmupConfig } from './warmup-config';
import { LogLevel } from '../logger';

export interface Config {
  readonly host: string;
  readonly port: number;
  readonly model: {
    /** The public model id, echoed to OpenAI clients and reported by /info. */
    readonly id: string;
    readonly dimension: number;
    /** Extra names accepted for the model (DJL route, OpenAI strict mode). */
    readonly aliases: readonly string[];
    /** When true, /v1/embeddings answers unknown model names with 404 model_not_found. */
    readonly strictNames: boolean;
    /** The `model` sent to OpenAI-compatible upstreams. */
    readonly upstreamName: string;
  };
  readonly limits: {
    readonly maxItems: number;
    readonly maxCharsPerItem: number;
    readonly maxBodyBytes: number;
    /** Request-body bytes being received and held at once, process-wide (see security/body-budget.ts). */
    readonly maxInflightBodyBytes: number;
    /** Bytes of answers being waited for and built at once, process-wide, estimated from their texts. */
    readonly maxInflightAnswerBytes: number;
  };
  readonly timeouts: {
    /** Whole-request budget, across every upstream attempt. */
    readonly requestMs: number;
    /** One upstream call. */
    readonly upstreamMs: number;
    /** How long SIGTERM waits for in-flight requests before closing connections. */
    readonly shutdownGraceMs: number;
  };
  readonly tiers: {
    readonly cpu: readonly BackendSpec[];
    readonly gpu: readonly BackendSpec[];
  };
  readonly upstream: {
    /** Bearer key for TEI / OpenAI-compatible upstreams; never logged. */
    readonly apiKey: string | undefined;
    readonly connectionsPerOrigin: number;
  };
  readonly dispatch: DispatchConfig;
  /** How `ecs://`, `cloudrun://` and `dns://` backends are discovered and refreshed. */
  readonly discovery: DiscoveryConfig;
  /** Scheduled warm-up: the bursts and the lead time (functions/warmup, POST /warmup). */
  readonly warmup: WarmupConfig;
  /** The in-process engine (`local:` backends; `npm start`'s default with no backend). */
  readonly local: LocalEngineConfig;
  /** API keys, per-key limits, CORS, client timeouts (see security-config.ts). */
  readonly security: SecurityConfig;
  /** The Node server's connection cap and client idle timeout (see server-config.ts). */
  readonly server: ServerConfig;
  /** What the hosting runtime says about itself (Lambda's init type) and where metrics go. */
  readonly runtime: RuntimeConfig;
  /** The embedding cache: in-process LRU and shared Valkey/Redis (see cache-config.ts, docs/cache.md). */
  readonly cache: CacheConfig;
  readonly logLevel: LogLevel;
  /** One `request` line per request at info level (ACCESS_LOG, default true). */
  readonly accessLog: boolean;
}

export const DEFAULTS = {
  host: '0.0.0.0',
  port: 8080,
  modelId: 'sentence-transformers/all-MiniLM-L6-v2',
  dimension: 384,
  // OpenAI's own limit on items in one embeddings request.
  maxItems: 2048,
  // all-MiniLM-L6-v2 reads 256 tokens (~1,000 characters) and truncates the rest; this only stops
  // abuse while leaving room for clients that send whole pages and rely on truncation.
  maxCharsPerItem: 32_768,
  // Lambda's synchronous payload limit; a Node server may raise it.
  maxBodyBytes: 6 * 1024 * 1024,
  // An eighth of a 512 MB instance for bodies being received: ten of the largest (6 MiB) at once.
  maxInflightBodyBytes: 64 * 1024 * 1024,
  // A quarter of a 512 MB instance for answers: about 6,900 texts' vectors at 384 numbers, held
  // as numbers and printed as JSON (24 bytes a number), so cache hits answered at once cannot pile
  // up hundreds of MB of answers for clients that read slowly.
  maxInflightAnswerBytes: 128 * 1024 * 1024,
  // API Gateway's HTTP API integration timeout is 30 s.
  requestMs: 30_000,
  upstreamMs: 20_000,
  // Cloud Run gives 10 s between SIGTERM and SIGKILL; Fargate 30 s by default.
  shutdownGraceMs: 10_000,
  connectionsPerOrigin: 32,
} as const;

const MAX_PORT = 65_535;
const ONE_HOUR_MS = 3_600_000;

/** Parses and validates the environment. Throws ConfigError listing every problem. */
export function parseConfig(env: Env): Config {
  const read = new EnvReader(env);

  const cpuKey = ['CPU_BACKENDS', 'DJL_URLS', 'DJL_URL'].find((key) => read.raw(key) !== undefined) ?? 'CPU_BACKENDS';
  const setAliases = ['CPU_BACKENDS', 'DJL_URLS', 'DJL_URL'].filter((key) => read.raw(key) !== undefined);
  if (setAliases.length > 1) {
    read.problem(`${setAliases.join(' and ')} are all set; set only CPU_BACKENDS (DJL_URLS and DJL_URL are its aliases)`);
  }
  const cpu = parseBackendList(cpuKey, read.list(cpuKey));
  const gpu = parseBackendList('GPU_BACKENDS', read.list('GPU_BACKENDS'));
  for (const problem of [...cpu.problems, ...gpu.problems]) read.problem(problem);

  const modelId = read.string('MODEL_ID', DEFAULTS.modelId);
  const requestMs = read.int('REQUEST_TIMEOUT_MS', DEFAULTS.requestMs, { min: 1, max: ONE_HOUR_MS });
  const upstreamMs = read.int('UPSTREAM_TIMEOUT_MS', DEFAULTS.upstreamMs, { min: 1, max: ONE_HOUR_MS });

  const maxBodyBytes = read.int('MAX_BODY_BYTES', DEFAULTS.maxBodyBytes, { min: 1024 });
  // A body larger than the whole budget could never be taken: refused at start, not per request.
  const maxInflightBodyBytes = read.int('MAX_INFLIGHT_BODY_BYTES', Math.max(DEFAULTS.maxInflightBodyBytes, maxBodyBytes), { min: 1024 });
  if (maxInflightBodyBytes < maxBodyBytes) {
    read.problem(`MAX_INFLIGHT_BODY_BYTES=${maxInflightBodyBytes} is below MAX_BODY_BYTES=${maxBodyBytes}: set it at least as large, or no body of the largest size could ever be received`);
  }

  const config: Config = {
    host: read.string('HOST', DEFAULTS.host),
    port: read.int('PORT', DEFAULTS.port, { min: 0, max: MAX_PORT }),
    model: {
      id: modelId,
      dimension: read.int('MODEL_DIMENSION', DEFAULTS.dimension, { min: 1, max: 65_536 }),
      aliases: read.list('MODEL_ALIASES'),
      strictNames: read.bool('STRICT_MODEL_NAMES', false),
      upstreamName: read.string('UPSTREAM_MODEL', modelId),
    },
    limits: {
      maxItems: read.int('MAX_ITEMS_PER_REQUEST', DEFAULTS.maxItems, { min: 1, max: 1_000_000 }),
      maxCharsPerItem: read.int('MAX_CHARS_PER_ITEM', DEFAULTS.maxCharsPerItem, { min: 1 }),
      maxBodyBytes,
      maxInflightBodyBytes,
      maxInflightAnswerBytes: read.int('MAX_INFLIGHT_ANSWER_BYTES', DEFAULTS.maxInflightAnswerBytes, { min: 1024 }),
    },
    timeouts: {
      requestMs,
      upstreamMs: Math.min(upstreamMs, requestMs),
      shutdownGraceMs: read.int('SHUTDOWN_GRACE_MS', DEFAULTS.shutdownGraceMs, { min: 0, max: ONE_HOUR_MS }),
    },
    tiers: { cpu: cpu.specs, gpu: gpu.specs },
    upstream: {
      apiKey: read.raw('UPSTREAM_API_KEY'),
      connectionsPerOrigin: read.int('UPSTREAM_CONNECTIONS', DEFAULTS.connectionsPerOrigin, { min: 1, max: 4096 }),
    },
    dispatch: readDispatchConfig(read),
    discovery: readDiscoveryConfig(read),
    warmup: readWarmupConfig(read),
    local: readLocalEngineConfig(read),
    security: readSecurityConfig(read),
    server: readServerConfig(read),
    runtime: readRuntimeConfig(read),
    cache: readCacheConfig(read),
    logLevel: read.oneOf('LOG_LEVEL', LogLevel, 'info'),
    accessLog: read.bool('ACCESS_LOG', true),
  };
  read.finish();
  return deepFreeze(config);
}

/** Freezes the tree of data properties; getters (lazily worked-out defaults) are left unread. */
function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object') {
    for (const descriptor of Object.values(Object.getOwnPropertyDescriptors(value))) {
      if ('value' in descriptor) deepFreeze(descriptor.value);
    }
    Object.freeze(value);
  }
  return value;
}
