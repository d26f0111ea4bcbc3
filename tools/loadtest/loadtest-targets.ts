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
import { errorCode, type LoadSender, OK_OUTCOME } from '../load/load-engine';
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
