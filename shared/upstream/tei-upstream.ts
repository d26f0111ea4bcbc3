/**
 * Client for Hugging Face text-embeddings-inference: `POST /embed` with `{"inputs": [...]}`,
 * nested vectors back, errors as `{"error", "error_type"}`, health at `GET /health`.
 */
import { UpstreamDialect, type Tier } from '../config/backends';
import type { HttpTransport } from './transport';
import { type EndpointHealth, HealthState, type Upstream, type UpstreamCall } from './upstream';
import { assertVectors, errorFromResponse, parseJsonBody, tryParseJson } from './upstream-http';
import { isUpstreamError, UpstreamFailure } from './upstream-error';

export interface TeiUpstreamOptions {
  id: string;
  tier: Tier;
  url: string;
  dimension: number;
  transport: HttpTransport;
  apiKey: string | undefined;
  /** TEI rejects larger client batches; its `max_client_batch_size` defaults to 32. */
  maxClientBatch?: number;
}

export const TEI_DEFAULT_MAX_CLIENT_BATCH = 32;

export function createTeiUpstream(options: TeiUpstreamOptions): Upstream {
  const { transport, dimension } = options;
  const maxBatch = options.maxClientBatch ?? TEI_DEFAULT_MAX_CLIENT_BATCH;
  const healthUrl = new URL('health', new URL('.', options.url)).toString();
  const auth: Record<string, string> = options.apiKey ? { authorization: `Bearer ${options.apiKey}` } : {};

  async function embedChunk(texts: readonly string[], call: UpstreamCall): Promise<number[][]> {
    const response = await transport.request({
      url: options.url,
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json', 'x-request-id': call.requestId, ...auth },
      body: JSON.stringify({ inputs: texts, truncate: true }),
      timeoutMs: call.timeoutMs,
      ...(call.signal ? { signal: call.signal } : {}),
    });
    if (response.status !== 200) {
      const body = tryParseJson(response.body) as { error_type?: unknown } | undefined;
      throw errorFromResponse(response, typeof body?.error_type === 'string' ? body.error_type : undefined);
    }
    const vectors = parseJsonBody(response);
    assertVectors(vectors, texts.length, dimension);
    return vectors;
  }

  async function embed(texts: readonly string[], call: UpstreamCall): Promise<number[][]> {
    if (texts.length <= maxBatch) return embedChunk(texts, call);
    const chunks: Promise<number[][]>[] = [];
    for (let start = 0; start < texts.length; start += maxBatch) {
      chunks.push(embedChunk(texts.slice(start, start + maxBatch), call));
    }
    return (await Promise.all(chunks)).flat();
  }

  async function ping(call: Omit<UpstreamCall, 'requestId'>): Promise<EndpointHealth> {
    try {
      const response = await transport.request({ url: healthUrl, method: 'GET', headers: auth, ...call });
      return response.status === 200
        ? { state: HealthState.healthy }
        : { state: HealthState.unhealthy, detail: `/health answered ${response.status}` };
    } catch (error) {
      return { state: HealthState.down, detail: `/health failed: ${isUpstreamError(error) ? error.reason : UpstreamFailure.reset}` };
    }
  }

  return { id: options.id, tier: options.tier, dialect: UpstreamDialect.tei, embed, ping };
}
