/**
 * Client for DJL Serving, built to its real behaviour (../shared/reference/djl-serving.md):
 * `{"inputs": [...]}` with exactly `Content-Type: application/json`, a nested list back, errors as
 * `{"code", "type", "message"}` on a connection DJL then closes, and a `/ping` whose body (not its
 * status) says whether the model is ready.
 */
import { UpstreamDialect } from '../core/upstream-dialect';
import type { Tier } from '../core/tier';
import { embedAnswerLimit, PROBE_ANSWER_MAX_BYTES } from './answer-limit';
import type { HttpTransport } from './transport';
import { type EndpointHealth, HealthState, type Upstream, type UpstreamCall } from './upstream';
import { assertVectors, backendErrorType, postEmbedAnswer, tryParseJson } from './upstream-http';
import { attachVectorJson } from '../core/vector-json';
import { isUpstreamError, UpstreamFailure } from './upstream-error';

export interface DjlUpstreamOptions {
  id: string;
  tier: Tier;
  /** Full inference URL, e.g. http://10.0.0.5:8080/predictions/all_MiniLM_L6_v2 */
  url: string;
  /** The model name the backend serves; found in the `/ping` body. */
  modelName: string | undefined;
  dimension: number;
  transport: HttpTransport;
}

const NO_HEADERS: Readonly<Record<string, string>> = {};

/** DJL model states as `/ping` spells them. */
const DJL_STATES: Readonly<Record<string, HealthState>> = {
  Healthy: HealthState.healthy,
  Unhealthy: HealthState.unhealthy,
  PENDING: HealthState.pending,
  FAILED: HealthState.failed,
};

export function createDjlUpstream(options: DjlUpstreamOptions): Upstream {
  const { transport, dimension } = options;
  const pingUrl = new URL('/ping', options.url).toString();

  async function embed(texts: readonly string[], call: UpstreamCall): Promise<number[][]> {
    // Exactly `application/json`: DJL 0.29 reads a body as plain text when a charset follows.
    const answerCall = { ...call, maxResponseBytes: embedAnswerLimit(texts.length, dimension) };
    const answer = await postEmbedAnswer(transport, options.url, { inputs: texts }, answerCall, NO_HEADERS,
      (body) => (body as { type?: unknown } | undefined)?.type);
    const vectors = answer.json;
    assertVectors(vectors, texts.length, dimension);
    // Checked: DJL and TEI clients get each vector's own text back instead of it printed again.
    attachVectorJson(answer.text, vectors);
    return vectors;
  }

  async function ping(call: Omit<UpstreamCall, 'requestId'>): Promise<EndpointHealth> {
    try {
      const response = await transport.request({ url: pingUrl, method: 'GET', maxResponseBytes: PROBE_ANSWER_MAX_BYTES, ...call });
      const body = tryParseJson(response.body);
      if (body === null || typeof body !== 'object') {
        return { state: HealthState.unhealthy, detail: `/ping answered ${response.status} without a JSON body` };
      }
      const models = body as Record<string, { status?: unknown } | undefined>;
      const entry = options.modelName === undefined ? Object.values(models)[0] : models[options.modelName];
      if (entry === undefined) {
        return { state: HealthState.failed, detail: `model ${options.modelName ?? '(any)'} is not loaded on this backend` };
      }
      const state = typeof entry.status === 'string' ? DJL_STATES[entry.status] : undefined;
      return state === undefined
        ? { state: HealthState.unhealthy, detail: `unknown model status ${backendErrorType(entry.status) ?? '(not an identifier)'}` }
        : { state, detail: `model status ${String(entry.status)}` };
    } catch (error) {
      const reason = isUpstreamError(error) ? error.reason : UpstreamFailure.reset;
      return { state: HealthState.down, detail: `/ping failed: ${reason}` };
    }
  }

  return { id: options.id, tier: options.tier, dialect: UpstreamDialect.djl, embed, ping };
}
