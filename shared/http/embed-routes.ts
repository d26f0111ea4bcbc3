/**
 * The three embed routes. Each parses its dialect's body into texts, hands them to the embedder,
 * and writes the vectors back in its dialect's shape; errors are mapped in one place (create-app).
 */
import type { Context, Hono } from 'hono';
import { formatDjlResponse, parseDjlRequest } from '../dialects/djl';
import { EncodingFormat, formatOpenAiResponse, parseOpenAiRequest } from '../dialects/openai';
import { parseJsonBody } from '../dialects/read-texts';
import { formatTeiResponse, parseTeiRequest } from '../dialects/tei';
import type { EmbedResult } from '../embed/embedder';
import { ErrorCode, FrontDoorError } from '../errors';
import type { AppContext, AppEnv } from './app-env';
import { limitBody as createBodyLimit } from './limit-body';
import { setEmbedHeaders } from './request-telemetry';
import { AnswerEncoding, createResponseLimit } from './response-limit';
import { addRoute } from './routes';

const JSON_HEADERS = { 'content-type': 'application/json' } as const;

/** A client may ask for a shorter deadline than REQUEST_TIMEOUT_MS (never a longer one). */
export const REQUEST_TIMEOUT_HEADER = 'x-request-timeout-ms';

/** The request's time budget: the client's header when valid and shorter, else the configured one. */
export function requestBudgetMs(header: string | undefined, configuredMs: number): number {
  if (header === undefined) return configuredMs;
  const asked = Number(header);
  if (!Number.isInteger(asked) || asked < 1) {
    throw new FrontDoorError(400, ErrorCode.invalidRequest,
      `${REQUEST_TIMEOUT_HEADER}=${JSON.stringify(header)} is not valid: send a whole number of milliseconds, at least 1`,
      { param: REQUEST_TIMEOUT_HEADER });
  }
  return Math.min(asked, configuredMs);
}

export function registerEmbedRoutes(app: Hono<AppEnv>, ctx: AppContext): void {
  const { config, embedder, clock, models } = ctx;
  const limits = config.limits;
  const responseLimit = createResponseLimit(ctx.maxResponseBytes, config.model.dimension);

  // Checked from Content-Length or while the body streams in, never buffering past the limit.
  const limitBody = createBodyLimit(limits.maxBodyBytes, () => {
    throw new FrontDoorError(413, ErrorCode.bodyTooLarge,
      `the request body is larger than ${limits.maxBodyBytes} bytes (MAX_BODY_BYTES): send fewer or shorter texts per request`);
  });

  async function embed(c: Context<AppEnv>, texts: readonly string[]): Promise<EmbedResult> {
    c.set('items', texts.length);
    // Texts are charged to the caller's key once parsed, before any work is queued.
    c.get('caller')?.chargeTexts(texts.length);
    const result = await embedder.embed({
      texts,
      requestId: c.get('requestId'),
      deadline: clock.now() + requestBudgetMs(c.req.header(REQUEST_TIMEOUT_HEADER), config.timeouts.requestMs),
      signal: c.req.raw.signal,
    });
    c.set('embedResult', result);
    return result;
  }

  addRoute(app, 'openaiEmbeddings', limitBody, async (c) => {
    const request = parseOpenAiRequest(parseJsonBody(await c.req.text()), {
      limits,
      models,
      dimension: config.model.dimension,
      strictModelNames: config.model.strictNames,
    });
    const encoding = request.encodingFormat === EncodingFormat.base64 ? AnswerEncoding.base64 : AnswerEncoding.float;
    responseLimit.checkEstimate(request.texts.length, encoding);
    const result = await embed(c, request.texts);
    const body = formatOpenAiResponse(request, result.vectors);
    responseLimit.checkBody(body, request.texts.length, encoding);
    setEmbedHeaders(c, result, performance.now());
    return c.body(body, 200, JSON_HEADERS);
  });

  addRoute(app, 'teiEmbed', limitBody, async (c) => {
    const request = parseTeiRequest(parseJsonBody(await c.req.text()), limits, config.model.dimension);
    responseLimit.checkEstimate(request.texts.length, AnswerEncoding.floatOnly);
    const result = await embed(c, request.texts);
    const body = formatTeiResponse(result.vectors);
    responseLimit.checkBody(body, request.texts.length, AnswerEncoding.floatOnly);
    setEmbedHeaders(c, result, performance.now());
    return c.body(body, 200, JSON_HEADERS);
  });

  const djl = async (c: Context<AppEnv>, model: string | undefined): Promise<Response> => {
    if (model !== undefined && !models.accepts(model)) {
      throw new FrontDoorError(404, ErrorCode.modelNotFound, `Model or workflow not found: ${model}`);
    }
    const request = parseDjlRequest(await c.req.text(), c.req.header('content-type'), limits);
    responseLimit.checkEstimate(request.texts.length, AnswerEncoding.floatOnly);
    const result = await embed(c, request.texts);
    const body = formatDjlResponse(request, result.vectors);
    responseLimit.checkBody(body, request.texts.length, AnswerEncoding.floatOnly);
    setEmbedHeaders(c, result, performance.now());
    return c.body(body, 200, JSON_HEADERS);
  };
  addRoute(app, 'djlPredictions', limitBody, (c) => djl(c, c.req.param('model')));
  addRoute(app, 'djlPredictionsVersion', limitBody, (c) => djl(c, c.req.param('model')));
  addRoute(app, 'djlInvoke', limitBody, (c) => djl(c, c.req.param('model')));
  addRoute(app, 'djlInvocations', limitBody, (c) => djl(c, c.req.query('model_name')));
}
