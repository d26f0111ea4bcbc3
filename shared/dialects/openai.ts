/**
 * The OpenAI dialect: `POST /v1/embeddings`, as the `openai` SDKs, LangChain and LlamaIndex send it.
 */
import { ErrorCode, FrontDoorError } from '../errors';
import { echoText, echoValue } from './client-echo';
import type { ModelNames } from './model-names';
import { checkDimensions, readTexts, requireObject, type TextLimits } from './read-texts';
import { encodeFloat32Base64 } from './vector-encoding';
import { vectorJson } from '../core/vector-json';

export const EncodingFormat = { float: 'float', base64: 'base64' } as const;
export type EncodingFormat = (typeof EncodingFormat)[keyof typeof EncodingFormat];

export interface OpenAiRequest {
  readonly texts: string[];
  /** The model name to echo back: the client's, when it reads as a model name, else the served one. */
  readonly model: string;
  readonly encodingFormat: EncodingFormat;
}

export interface OpenAiParseOptions {
  readonly limits: TextLimits;
  readonly models: ModelNames;
  readonly dimension: number;
  readonly strictModelNames: boolean;
}

const EXAMPLE = '{"input": ["some text"], "model": "all-MiniLM-L6-v2"}';

/**
 * A client's model name short and plain enough to answer with, as clients often compare it with
 * what they sent (`text-embedding-ada-002`). Hugging Face ids are at most 96 characters after
 * the owner; anything longer or odder is answered with the served model's id instead.
 */
const ECHOABLE_MODEL = /^[\x20-\x7E]{1,100}$/;

export function parseOpenAiRequest(json: unknown, options: OpenAiParseOptions): OpenAiRequest {
  const body = requireObject(json, EXAMPLE);
  const { texts } = readTexts(body.input, { field: 'input', limits: options.limits, allowEmptyStrings: false });

  const model = body.model;
  if (model !== undefined && model !== null && typeof model !== 'string') {
    throw new FrontDoorError(400, ErrorCode.invalidRequest, '`model` must be a string', { param: 'model' });
  }
  if (options.strictModelNames) {
    if (typeof model !== 'string' || model === '') {
      throw new FrontDoorError(400, ErrorCode.invalidRequest, `missing \`model\`: set it to "${options.models.id}"`, { param: 'model' });
    }
    if (!options.models.accepts(model)) {
      throw new FrontDoorError(404, ErrorCode.modelNotFound,
        `The model \`${echoText(model)}\` does not exist; this server serves ${options.models.accepted.map((n) => `\`${n}\``).join(', ')}`,
        { param: 'model' });
    }
  }

  const format = body.encoding_format ?? EncodingFormat.float;
  if (format !== EncodingFormat.float && format !== EncodingFormat.base64) {
    throw new FrontDoorError(400, ErrorCode.invalidRequest,
      `\`encoding_format\`=${echoValue(format)} is not supported: use "float" or "base64"`, { param: 'encoding_format' });
  }
  checkDimensions(body.dimensions, options.dimension);
  if (body.user !== undefined && body.user !== null && typeof body.user !== 'string') {
    throw new FrontDoorError(400, ErrorCode.invalidRequest, '`user` must be a string', { param: 'user' });
  }
  return { texts, model: typeof model === 'string' && ECHOABLE_MODEL.test(model) ? model : options.models.id, encodingFormat: format };
}

/**
 * Token usage estimate: about four characters per token, OpenAI's rule of thumb for English, plus
 * the two special tokens a BERT tokenizer adds. The backends return no counts.
 */
export function estimateTokens(texts: readonly string[]): number {
  let tokens = 0;
  for (const text of texts) tokens += Math.ceil(text.length / 4) + 2;
  return tokens;
}

/**
 * The answer, written as JSON.stringify would write {object, data: [{object, index, embedding}],
 * model, usage}, but with each float vector's checked backend text copied when it has one (see
 * core/vector-json.ts). Base64 is only letters, digits, `+`, `/` and `=`: nothing to escape.
 */
export function formatOpenAiResponse(request: OpenAiRequest, vectors: readonly number[][]): string {
  const base64 = request.encodingFormat === EncodingFormat.base64;
  let data = '';
  for (let index = 0; index < vectors.length; index++) {
    const vector = vectors[index] as number[];
    const embedding = base64 ? `"${encodeFloat32Base64(vector)}"` : vectorJson(vector);
    data += `${index > 0 ? ',' : ''}{"object":"embedding","index":${index},"embedding":${embedding}}`;
  }
  const tokens = estimateTokens(request.texts);
  return `{"object":"list","data":[${data}],"model":${JSON.stringify(request.model)},` +
    `"usage":{"prompt_tokens":${tokens},"total_tokens":${tokens}}}`;
}

const OPENAI_TYPE_BY_STATUS: Readonly<Record<number, string>> = {
  401: 'authentication_error',
  403: 'permission_error',
  404: 'invalid_request_error',
  429: 'rate_limit_error',
};

export function openAiErrorBody(error: FrontDoorError): unknown {
  const type = OPENAI_TYPE_BY_STATUS[error.status] ?? (error.status >= 500 ? 'server_error' : 'invalid_request_error');
  return { error: { message: error.message, type, param: error.param ?? null, code: error.code } };
}
