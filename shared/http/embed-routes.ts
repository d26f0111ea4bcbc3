/**
 * The three embed routes. Each parses its dialect's body into texts, hands them to the embedder,
 * and writes the vectors back in its dialect's shape; errors are mapped in one place (create-app).
 */
import type { Context, Hono, MiddlewareHandler } from 'hono';
import { echoText, echoValue } from '../dialects/client-echo';
import { formatDjlResponse, parseDjlRequest } from '../dialects/djl';
import { EncodingFormat, formatOpenAiResponse, parseOpenAiRequest } from '../dialects/openai';
import { parseJsonBody } from '../dialects/read-texts';
import { formatTeiResponse, parseTeiRequest } from '../dialects/tei';
import type { EmbedResult } from '../embed/embedder';
import { CacheControl } from '../core/cache-events';
import { ErrorCode, FrontDoorError, isFrontDoorError } from '../errors';
import type { AppContext, AppEnv } from './app-env';
import { acceptBody, BodyKind } from './accept-body';
import { limitBody as createBodyLimit } from './limit-body';
import { clientGoneError, readBodyText } from './read-body';
import type { AnswerHeaders } from './answer-headers';
import { AnswerEncoding, createResponseLimit } from './response-limit';
import { addRoute } from './routes';
import { BodyBudget } from '../security/body-budget';

/**
 * What the client's Cache-Control asks of the embedding cache: `no-store` (neither read nor
 * written) wins over `no-cache` (not read; the fresh vectors are stored), as in HTTP caching.
 */
export function cacheControlOf(header: string | undefined): CacheControl | undefined {
  if (header === undefined) return undefined;
  const directives = header.toLowerCase().split(',').map((directive) => directive.trim());
  if (directives.includes(CacheControl.noStore)) return CacheControl.noStore;
  if (directives.includes(CacheControl.noCache)) return CacheControl.noCache;
  return undefined;
}

/** A client may ask for a shorter deadline than REQUEST_TIMEOUT_MS (never a longer one). */
export const REQUEST_TIMEOUT_HEADER = 'x-request-timeout-ms';

/** The request's time budget: the client's header when valid and shorter, else the configured one. */
export function requestBudgetMs(header: string | undefined, configuredMs: number): number {
  if (header === undefined) return configuredMs;
  const asked = Number(header);
  if (!Number.isInteger(asked) || asked < 1) {
    throw new FrontDoorError(400, ErrorCode.invalidRequest,
      `${REQUEST_TIMEOUT_HEADER}=${echoValue(header)} is not valid: send a whole number of milliseconds, at least 1`,
      { param: REQUEST_TIMEOUT_HEADER });
  }
  return Math.min(asked, configuredMs);
}

/** Retry-After when the bodies being received fill MAX_INFLIGHT_BODY_BYTES: an upload lasts about that long. */
const UPLOADS_RETRY_AFTER_S = 1;
/** Memory of one answer number: a double while the vectors arrive, then up to ~16 characters of JSON. */
const ANSWER_BYTES_PER_NUMBER = 24;

/** Retry-After for a client deadline that ran out: the work itself was fine, only the time was short. */
const CLIENT_DEADLINE_RETRY_AFTER_S = 1;

/**
 * What an embed failure means for the client. A client that left gets 499 (nobody reads it; the
 * metrics count no server error); a deadline the client itself shortened with
 * x-request-timeout-ms that ran out is the 429 the API promises for work that cannot finish in
 * time, not a 504 blaming the backends.
 */
function clientView(c: Context<AppEnv>, error: unknown, clientDeadline: boolean): unknown {
  if ((c.env?.clientSignal?.() ?? c.req.raw.signal).aborted) return clientGoneError(c, error, 'answer');
  if (clientDeadline && isFrontDoorError(error) && error.code === ErrorCode.backendTimeout) {
    return new FrontDoorError(429, ErrorCode.overloaded,
      `the request could not be finished within its ${REQUEST_TIMEOUT_HEADER} deadline: allow more time, or retry after ${CLIENT_DEADLINE_RETRY_AFTER_S} s`,
      { retryAfterSeconds: CLIENT_DEADLINE_RETRY_AFTER_S, param: REQUEST_TIMEOUT_HEADER, cause: error });
  }
  return error;
}

/** Registers the embed routes; `answerHeaders` writes their 200 answers' headers (answer-headers.ts). */
export function registerEmbedRoutes(app: Hono<AppEnv>, ctx: AppContext, answerHeaders: AnswerHeaders): void {
  const { config, embedder, clock, models } = ctx;
  const limits = config.limits;
  const responseLimit = createResponseLimit(ctx.maxResponseBytes, config.model.dimension);

  // Checked from Content-Length or while the body streams in, never buffering past the limit.
  const limitBody = createBodyLimit({
    maxBytes: limits.maxBodyBytes,
    budget: new BodyBudget(limits.maxInflightBodyBytes),
    tooLarge: () => {
      throw new FrontDoorError(413, ErrorCode.bodyTooLarge,
        `the request body is larger than ${limits.maxBodyBytes} bytes (MAX_BODY_BYTES): send fewer or shorter texts per request`);
    },
    // 429 like the full queue's refusal, not 503: it is load, and any client can cause it, so it
    // must not count as a server error (alerts on 5xx) while the openai SDKs still retry it.
    overBudget: () => {
      throw new FrontDoorError(429, ErrorCode.overloaded,
        `the front door is receiving too many request bodies at once (MAX_INFLIGHT_BODY_BYTES=${limits.maxInflightBodyBytes} bytes): ` +
          `retry after ${UPLOADS_RETRY_AFTER_S} s`, { retryAfterSeconds: UPLOADS_RETRY_AFTER_S });
    },
  });

  // Answers are held from admission to the end of the request: as numbers while the vectors
  // arrive, then as the JSON text. Cache hits answer at once, so without a bound, many requests
  // for the same 2,048 texts built ~20 MB answers dozens at a time (bench:hostile (a)).
  const answers = new BodyBudget(limits.maxInflightAnswerBytes);
  const holdAnswer: MiddlewareHandler<AppEnv> = async (c, next) => {
    const lease = answers.lease();
    c.set('answerLease', lease);
    try {
      await next();
    } finally {
      lease.release();
    }
  };

  async function embed(c: Context<AppEnv>, texts: readonly string[]): Promise<EmbedResult> {
    c.set('items', texts.length);
    // One request alone may always be answered, whatever its size (MAX_ITEMS_PER_REQUEST bounds it).
    const answerBytes = Math.min(answers.maxBytes, texts.length * config.model.dimension * ANSWER_BYTES_PER_NUMBER);
    if (c.get('answerLease')?.reserve(answerBytes) === false) {
      throw new FrontDoorError(429, ErrorCode.overloaded,
        `the front door is building too many answers at once (MAX_INFLIGHT_ANSWER_BYTES=${limits.maxInflightAnswerBytes} bytes): ` +
          `retry after ${UPLOADS_RETRY_AFTER_S} s, or send fewer texts per request`, { retryAfterSeconds: UPLOADS_RETRY_AFTER_S });
    }
    // Texts are charged to the caller's key once parsed, before any work is queued.
    c.get('caller')?.chargeTexts(texts.length);
    const budgetMs = requestBudgetMs(c.req.header(REQUEST_TIMEOUT_HEADER), config.timeouts.requestMs);
    const cacheControl = cacheControlOf(c.req.header('cache-control'));
    let result: EmbedResult;
    try {
      result = await embedder.embed({
        texts, requestId: c.get('requestId'), deadline: clock.now() + budgetMs, signal: c.env?.clientSignal?.() ?? c.req.raw.signal,
        tenant: c.get('caller')?.name,
        ...(cacheControl === undefined ? {} : { cacheControl }),
      });
    } catch (error) {
      throw clientView(c, error, budgetMs < config.timeouts.requestMs);
    }
    c.set('embedResult', result);
    return result;
  }

  const json = acceptBody(BodyKind.json);
  const jsonOrText = acceptBody(BodyKind.jsonOrText);

  addRoute(app, 'openaiEmbeddings', json, limitBody, holdAnswer, async (c) => {
    const request = parseOpenAiRequest(parseJsonBody(await readBodyText(c), limits.maxItems), {
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
    return answerHeaders.answer(c, body, result, performance.now());
  });

  addRoute(app, 'teiEmbed', json, limitBody, holdAnswer, async (c) => {
    const request = parseTeiRequest(parseJsonBody(await readBodyText(c), limits.maxItems), limits, config.model.dimension);
    responseLimit.checkEstimate(request.texts.length, AnswerEncoding.floatOnly);
    const result = await embed(c, request.texts);
    const body = formatTeiResponse(result.vectors);
    responseLimit.checkBody(body, request.texts.length, AnswerEncoding.floatOnly);
    return answerHeaders.answer(c, body, result, performance.now());
  });

  const djl = async (c: Context<AppEnv>, model: string | undefined): Promise<Response> => {
    if (model !== undefined && !models.accepts(model)) {
      throw new FrontDoorError(404, ErrorCode.modelNotFound, `Model or workflow not found: ${echoText(model)}`);
    }
    const request = parseDjlRequest(await readBodyText(c), c.req.header('content-type'), limits);
    responseLimit.checkEstimate(request.texts.length, AnswerEncoding.floatOnly);
    const result = await embed(c, request.texts);
    const body = formatDjlResponse(request, result.vectors);
    responseLimit.checkBody(body, request.texts.length, AnswerEncoding.floatOnly);
    return answerHeaders.answer(c, body, result, performance.now());
  };
  addRoute(app, 'djlPredictions', jsonOrText, limitBody, holdAnswer, (c) => djl(c, c.req.param('model')));
  addRoute(app, 'djlPredictionsVersion', jsonOrText, limitBody, holdAnswer, (c) => djl(c, c.req.param('model')));
  addRoute(app, 'djlInvoke', jsonOrText, limitBody, holdAnswer, (c) => djl(c, c.req.param('model')));
  addRoute(app, 'djlInvocations', jsonOrText, limitBody, holdAnswer, (c) => djl(c, c.req.query('model_name')));
}
