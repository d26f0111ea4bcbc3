/**
 * Client for OpenAI-compatible embedding servers (vLLM, TEI's /v1 route, Infinity, OpenAI itself):
 * `POST .../embeddings` with `{"input": [...], "model"}`, `data[].embedding` back by `index`.
 */
import { UpstreamDialect, type Tier } from '../config/backends';
import type { HttpTransport } from './transport';
import { type EndpointHealth, HealthState, type Upstream, type UpstreamCall } from './upstream';
import { assertVectors, errorFromResponse, parseJsonBody, tryParseJson } from './upstream-http';
import { isUpstreamError, UpstreamError, UpstreamFailure } from './upstream-error';

export interface OpenAiUpstreamOptions {
  id: string;
  tier: Tier;
  url: string;
  /** The `model` field sent upstream. */
  model: string;
  dimension: number;
  transport: HttpTransport;
  apiKey: string | undefined;
}

interface OpenAiEmbeddingList {
  data?: { embedding?: unknown; index?: unknown }[];
}

export function createOpenAiUpstream(options: OpenAiUpstreamOptions): Upstream {
  const { transport, dimension } = options;
  // `/v1/models` is the one read-only route every OpenAI-compatible server has.
  const modelsUrl = new URL('models', new URL('.', options.url)).toString();
  const auth: Record<string, string> = options.apiKey ? { authorization: `Bearer ${options.apiKey}` } : {};

  async function embed(texts: readonly string[], call: UpstreamCall): Promise<number[][]> {
    const response = await transport.request({
      url: options.url,
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json', 'x-request-id': call.requestId, ...auth },
      body: JSON.stringify({ input: texts, model: options.model, encoding_format: 'float' }),
      timeoutMs: call.timeoutMs,
      ...(call.signal ? { signal: call.signal } : {}),
    });
    if (response.status !== 200) {
      const body = tryParseJson(response.body) as { error?: { type?: unknown; code?: unknown } } | undefined;
      const type = body?.error?.code ?? body?.error?.type;
      throw errorFromResponse(response, typeof type === 'string' ? type : undefined);
    }
    const list = parseJsonBody(response) as OpenAiEmbeddingList;
    if (!Array.isArray(list?.data)) {
      throw new UpstreamError(UpstreamFailure.badResponse, 'the backend answered without a data list');
    }
    const vectors: unknown[] = new Array(texts.length);
    for (const item of list.data) {
      if (typeof item?.index === 'number' && item.index >= 0 && item.index < texts.length) {
        vectors[item.index] = item.embedding;
      }
    }
    assertVectors(list.data.length === texts.length ? vectors : list.data, texts.length, dimension);
    return vectors as number[][];
  }

  async function ping(call: Omit<UpstreamCall, 'requestId'>): Promise<EndpointHealth> {
    try {
      const response = await transport.request({ url: modelsUrl, method: 'GET', headers: auth, ...call });
      return response.status === 200
        ? { state: HealthState.healthy }
        : { state: HealthState.unhealthy, detail: `/models answered ${response.status}` };
    } catch (error) {
      return { state: HealthState.down, detail: `/models failed: ${isUpstreamError(error) ? error.reason : UpstreamFailure.reset}` };
    }
  }

  return { id: options.id, tier: options.tier, dialect: UpstreamDialect.openai, embed, ping };
}
