/**
 * Client for OpenAI-compatible embedding servers (vLLM, TEI's /v1 route, Infinity, OpenAI itself):
 * `POST .../embeddings` with `{"input": [...], "model"}`, `data[].embedding` back by `index`.
 */
import { UpstreamDialect } from '../core/upstream-dialect';
import type { Tier } from '../core/tier';
import { embedAnswerLimit } from './answer-limit';
import type { HttpTransport } from './transport';
import type { EndpointHealth, Upstream, UpstreamCall } from './upstream';
import { assertVectors, backendErrorType, postEmbedAnswer, probeForOk } from './upstream-http';
import { UpstreamError, UpstreamFailure } from './upstream-error';

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
    const answerCall = { ...call, maxResponseBytes: embedAnswerLimit(texts.length, dimension) };
    const answer = await postEmbedAnswer(transport, options.url, { input: texts, model: options.model, encoding_format: 'float' }, answerCall, auth,
      (body) => {
        // OpenAI's `code` is often null; then its `type` names the error.
        const error = (body as { error?: { type?: unknown; code?: unknown } } | undefined)?.error;
        return backendErrorType(error?.code, error?.type);
      });
    const list = answer.json as OpenAiEmbeddingList;
    if (!Array.isArray(list?.data)) {
      throw new UpstreamError(UpstreamFailure.badResponse, 'the backend answered without a data list');
    }
    if (list.data.length !== texts.length) {
      throw new UpstreamError(UpstreamFailure.badResponse, `the backend answered ${list.data.length} vectors for ${texts.length} texts`);
    }
    // Put back in input order by `index`; a missing or repeated index leaves a hole assertVectors reports.
    const vectors: unknown[] = new Array(texts.length);
    for (const item of list.data) {
      if (typeof item?.index === 'number' && item.index >= 0 && item.index < texts.length) vectors[item.index] = item.embedding;
    }
    assertVectors(vectors, texts.length, dimension);
    return vectors;
  }

  const ping = (call: Omit<UpstreamCall, 'requestId'>): Promise<EndpointHealth> => probeForOk(transport, modelsUrl, auth, call);

  return { id: options.id, tier: options.tier, dialect: UpstreamDialect.openai, embed, ping };
}
