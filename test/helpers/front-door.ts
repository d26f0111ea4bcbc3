/**
 * Starts the real front door (config parsing, undici transport, Node server) on 127.0.0.1 port 0
 * for a test, and stops it.
 */
import { parseConfig } from '../../shared/config/config';
import { createApp, type FrontDoorApp } from '../../shared/http/create-app';
import { type Logger, silentLogger } from '../../shared/logger';
import { createDependencies, type Dependencies, type DependencyOptions } from '../../shared/runtime/create-dependencies';
import { type FetchApp, startNodeServer } from '../../shared/runtime/node-server';
import { createWarmupRunner } from '../../shared/runtime/warmup-runner';
import { createPrometheusTelemetry } from '../../shared/telemetry/prometheus-telemetry';
import { createLazyLocalUpstream } from '../../shared/upstream/local/lazy-local-upstream';
import { createUndiciTransport } from '../../shared/upstream/undici-transport';
import type { WarmupRunner } from '../../shared/warmup/run-warmup';

export interface TestFrontDoor {
  readonly url: string;
  readonly deps: Dependencies;
  close(): Promise<void>;
}

/**
 * Dependency options a test may set beyond the environment, the warm-up POST /warmup runs
 * (default: the real one), and what the Node server is given of the app (default: the app, with
 * its embed fast lane).
 */
export type FrontDoorOptions = Pick<DependencyOptions, 'pingTimeoutMs'> & {
  readonly warmup?: (deps: Dependencies) => WarmupRunner;
  readonly serve?: (app: FrontDoorApp) => FetchApp;
};

export async function startFrontDoor(env: Record<string, string | undefined>, logger: Logger = silentLogger, options: FrontDoorOptions = {}): Promise<TestFrontDoor> {
  const { warmup = createWarmupRunner, serve = (app) => app, ...dependencyOptions } = options;
  // The embedding cache is off unless a test asks for it: tests count the texts backends receive.
  const config = parseConfig({ HOST: '127.0.0.1', PORT: '0', LOG_LEVEL: 'silent', CACHE_MEMORY_MB: '0', ...env });
  const deps = createDependencies(config, {
    transport: createUndiciTransport({ connectionsPerOrigin: config.upstream.connectionsPerOrigin }),
    runtime: 'node',
    logger,
    telemetry: createPrometheusTelemetry,
    localEngine: createLazyLocalUpstream,
    ...dependencyOptions,
  });
  const server = await startNodeServer(serve(createApp({ ...deps, warmup: warmup(deps), checkHost: true })), {
    host: config.host,
    port: config.port,
    shutdownGraceMs: 1_000,
    requestTimeoutMs: config.security.clientBodyTimeoutMs,
    maxConnections: config.server.maxConnections,
    idleTimeoutMs: config.server.clientIdleTimeoutMs,
    logger,
  });
  return {
    url: server.url,
    deps,
    close: async () => {
      await server.shutdown();
      await deps.close();
    },
  };
}

/** POSTs JSON (or a raw string with its own content type) and returns status, headers and parsed body. */
export async function post(url: string, body: unknown, headers: Record<string, string> = {}): Promise<{ status: number; headers: Headers; body: any; text: string }> {
  const raw = typeof body === 'string' ? body : JSON.stringify(body);
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: raw,
  });
  const text = await response.text();
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = undefined;
  }
  return { status: response.status, headers: response.headers, body: parsed, text };
}

/** The texts `text-0` ... `text-(n-1)`. */
export const numberedTexts = (count: number, prefix = 'text'): string[] =>
  Array.from({ length: count }, (_, index) => `${prefix}-${index}`);

/** A response's JSON body, typed loosely for assertions. */
export const readJson = async (response: Response): Promise<any> => response.json();
