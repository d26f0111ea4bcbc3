/**
 * Senders for the URLs under test, built from the front door's own upstream clients, so the load
 * speaks each dialect exactly as the front door does (and checks every answer the same way:
 * one vector of the right length per text).
 */
import { Tier } from '../../shared/core/tier';
import { createDjlUpstream } from '../../shared/upstream/djl-upstream';
import { createOpenAiUpstream } from '../../shared/upstream/openai-upstream';
import { createTeiUpstream } from '../../shared/upstream/tei-upstream';
import type { HttpTransport } from '../../shared/upstream/transport';
import type { Upstream } from '../../shared/upstream/upstream';
import { isUpstreamError } from '../../shared/upstream/upstream-error';
import type { LoadTarget } from './loadtest-options';
import { errorCode, errorMessage, type LoadSender, OK_OUTCOME } from '../load/load-engine';
import type { TextSource } from './loadtest-texts';

/** What every target's client shares. */
export interface SenderSettings {
  readonly transport: HttpTransport;
  readonly dimension: number;
  readonly model: string;
  readonly timeoutMs: number;
  readonly apiKey: string | undefined;
  /** The largest batch any run sends: the TEI client must not split it (the server decides). */
  readonly maxBatch: number;
}

/** The upstream client for one target, by its dialect. */
export function createTargetUpstream(target: LoadTarget, index: number, settings: SenderSettings): Upstream {
  // The tier only labels the client's logs and metrics; a load test has none.
  const common = { id: `loadtest-${index}`, tier: Tier.cpu, url: target.url, dimension: settings.dimension, transport: settings.transport };
  switch (target.dialect) {
    case 'djl':
      return createDjlUpstream({ ...common, modelName: target.modelName });
    case 'tei':
      return createTeiUpstream({ ...common, apiKey: settings.apiKey, maxClientBatch: settings.maxBatch });
    case 'openai':
      return createOpenAiUpstream({ ...common, apiKey: settings.apiKey, model: settings.model });
  }
}

/** A sender over `upstream`; request ids say where load-test traffic came from in backend logs. */
export function createSender(upstream: Upstream, texts: TextSource, timeoutMs: number): LoadSender<readonly string[]> {
  let sequence = 0;
  return {
    prepare: (job) => texts.next(job.texts),
    send: async (batch, signal) => {
      await upstream.embed(batch, { requestId: `${upstream.id}-${sequence++}`, timeoutMs, signal });
      return { outcome: OK_OUTCOME };
    },
    classify: errorKey,
    describe: describeFailure,
  };
}

/**
 * The key a failure is counted under: the backend's HTTP status when it answered (`503`), else
 * what went wrong (`connect`, `timeout`, `reset`, `bad_response`).
 */
export function errorKey(error: unknown): string {
  if (isUpstreamError(error)) return error.upstreamStatus === undefined ? error.reason : String(error.upstreamStatus);
  return error instanceof Error ? errorCode(error) : 'unknown';
}

/** Network failures a person reads faster in words than as a code. */
const NETWORK_WORDS: Readonly<Record<string, string>> = {
  ECONNREFUSED: 'connection refused',
  ENOTFOUND: 'host not found',
  EAI_AGAIN: 'name lookup failed',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  EHOSTDOWN: 'host down',
  UND_ERR_CONNECT_TIMEOUT: 'connect timed out',
  ECONNRESET: 'connection reset',
};

/** How deep to follow `cause` links: the upstream error wraps undici's, which wraps the socket's. */
const MAX_CAUSE_DEPTH = 5;

/** The first string `code` along an error's causes (a Happy Eyeballs connect fails with several). */
function causeCode(error: unknown): string | undefined {
  for (let current = error, depth = 0; current instanceof Error && depth < MAX_CAUSE_DEPTH; current = current.cause, depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string' && code in NETWORK_WORDS) return code;
    if (current instanceof AggregateError) {
      const inner = current.errors.map(causeCode).find((item) => item !== undefined);
      if (inner !== undefined) return inner;
    }
  }
  return undefined;
}

/** A failure in words: `connection refused` for a network code, else the error's own message. */
export function describeFailure(error: unknown): string {
  const code = causeCode(error);
  return code === undefined ? errorMessage(error) : NETWORK_WORDS[code] ?? code;
}
