/**
 * Client for Hugging Face text-embeddings-inference: `POST /embed` with `{"inputs": [...]}`,
 * nested vectors back, errors as `{"error", "error_type"}`, health at `GET /health`.
 */
import { UpstreamDialect } from '../core/upstream-dialect';
import type { Tier } from '../core/tier';
import { embedAnswerLimit } from './answer-limit';
import type { HttpTransport } from './transport';
import type { EndpointHealth, Upstream, UpstreamCall } from './upstream';
import { assertVectors, postEmbedAnswer, probeForOk } from './upstream-http';
import { attachVectorJson } from '../core/vector-json';

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
    const answerCall = { ...call, maxResponseBytes: embedAnswerLimit(texts.length, dimension) };
    const answer = await postEmbedAnswer(transport, options.url, { inputs: texts, truncate: true }, answerCall, auth,
      (body) => (body as { error_type?: unknown } | undefined)?.error_type);
    const vectors = answer.json;
    assertVectors(vectors, texts.length, dimension);
    attachVectorJson(answer.text, vectors);
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

  const ping = (call: Omit<UpstreamCall, 'requestId'>): Promise<EndpointHealth> => probeForOk(transport, healthUrl, auth, call);

  return { id: options.id, tier: options.tier, dialect: UpstreamDialect.tei, embed, ping };
}
