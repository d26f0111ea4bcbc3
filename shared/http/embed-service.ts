/**
 * What the embed routes do, with no framework in it: check the body's headers and size, parse the
 * dialect's body into texts, charge and bound them, embed them and print the answer. Built once per
 * app; the Hono routes (embed-routes.ts) and the Node server's fast lane (embed-fast-lane.ts) both
 * run it, so both answer alike and share the process-wide body and answer budgets.
 */
import { echoText, echoValue } from '../dialects/client-echo';
import { formatDjlResponse, parseDjlRequest } from '../dialects/djl';
import { EncodingFormat, formatOpenAiResponse, parseOpenAiRequest } from '../dialects/openai';
import { parseJsonBody } from '../dialects/read-texts';
import { formatTeiResponse, parseTeiRequest } from '../dialects/tei';
import type { CancelSignal, EmbedResult } from '../embed/embedder';
import { CacheControl } from '../core/cache-events';
import { ErrorCode, FrontDoorError, isFrontDoorError } from '../errors';
import type { KeyCaller } from '../security/key-guard';
import { BodyBudget, type BodyLease } from '../security/body-budget';
import type { AppContext } from './app-env';
import { admitKnownLength, type BodyLimitOptions } from './limit-body';
import { clientGone } from './read-body';
import { AnswerEncoding, createResponseLimit } from './response-limit';

/**
 * What the Cache-Control of a request asks of the embedding cache: `no-store` (neither read nor
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

/** One embed request as the service sees it, whichever runtime received it. */
export interface EmbedCall {
  /** A request header by lower-case name. */
  header(name: string): string | undefined;
  /** The body as text; returns the body's share of MAX_INFLIGHT_BODY_BYTES once read. */
  readBody(): Promise<string>;
  /** Aborted when the client leaves before its answer. */
  readonly signal: CancelSignal;
  readonly requestId: string;
  /** The caller's API key, when keys are configured. */
  readonly caller: KeyCaller | undefined;
  /** The answer's share of MAX_INFLIGHT_ANSWER_BYTES, held until the request ends. */
  readonly answerLease: BodyLease | undefined;
  /** Told how many texts the request holds, once parsed (for the access log and metrics). */
  parsed(items: number): void;
}

/** A 200 answer's body and how it was served. */
export interface EmbedAnswer {
  readonly body: string;
  readonly result: EmbedResult;
}

export class EmbedService {
  /** Bytes of the request bodies being received at once (MAX_INFLIGHT_BODY_BYTES). */
  readonly bodies: BodyBudget;
  /**
   * Answers are held from admission to the end of the request: as numbers while the vectors
   * arrive, then as the JSON text. Cache hits answer at once, so without a bound, many requests
   * for the same 2,048 texts built ~20 MB answers dozens at a time (bench:hostile (a)).
   */
  readonly answers: BodyBudget;
  /**
   * The request body limits: one body's size (MAX_BODY_BYTES, 413) and the bytes of every body
   * being received at once (MAX_INFLIGHT_BODY_BYTES, 429 like the full queue's, not 503: it is
   * load, and any client can cause it, so it must not count as a server error (alerts on 5xx)
   * while the openai SDKs still retry it).
   */
  readonly bodyLimit: BodyLimitOptions;
  private readonly responseLimit;

  constructor(private readonly ctx: AppContext) {
    const limits = ctx.config.limits;
    this.bodies = new BodyBudget(limits.maxInflightBodyBytes);
    this.answers = new BodyBudget(limits.maxInflightAnswerBytes);
    this.responseLimit = createResponseLimit(ctx.maxResponseBytes, ctx.config.model.dimension);
    this.bodyLimit = {
      maxBytes: limits.maxBodyBytes,
      budget: this.bodies,
      tooLarge: () => {
        throw new FrontDoorError(413, ErrorCode.bodyTooLarge,
          `the request body is larger than ${limits.maxBodyBytes} bytes (MAX_BODY_BYTES): send fewer or shorter texts per request`);
      },
      overBudget: () => {
        throw new FrontDoorError(429, ErrorCode.overloaded,
          `the front door is receiving too many request bodies at once (MAX_INFLIGHT_BODY_BYTES=${limits.maxInflightBodyBytes} bytes): ` +
            `retry after ${UPLOADS_RETRY_AFTER_S} s`, { retryAfterSeconds: UPLOADS_RETRY_AFTER_S });
      },
    };
  }

  /** Reserves a body of known length, refusing it (413, 429) before any of it is read. */
  admitBody(lease: BodyLease, bytes: number): void {
    admitKnownLength(this.bodyLimit, lease, bytes);
  }

  /** POST /v1/embeddings. */
  async openai(call: EmbedCall): Promise<EmbedAnswer> {
    const { limits, model } = this.ctx.config;
    const request = parseOpenAiRequest(parseJsonBody(await call.readBody(), limits.maxItems), {
      limits,
      models: this.ctx.models,
      dimension: model.dimension,
      strictModelNames: model.strictNames,
    });
    const encoding = request.encodingFormat === EncodingFormat.base64 ? AnswerEncoding.base64 : AnswerEncoding.float;
    this.responseLimit.checkEstimate(request.texts.length, encoding);
    const result = await this.embed(call, request.texts);
    const body = formatOpenAiResponse(request, result.vectors);
    this.responseLimit.checkBody(body, request.texts.length, encoding);
    return { body, result };
  }

  /** POST /embed. */
  async tei(call: EmbedCall): Promise<EmbedAnswer> {
    const { limits, model } = this.ctx.config;
    const request = parseTeiRequest(parseJsonBody(await call.readBody(), limits.maxItems), limits, model.dimension);
    this.responseLimit.checkEstimate(request.texts.length, AnswerEncoding.floatOnly);
    const result = await this.embed(call, request.texts);
    const body = formatTeiResponse(result.vectors);
    this.responseLimit.checkBody(body, request.texts.length, AnswerEncoding.floatOnly);
    return { body, result };
  }

  /** The DJL routes; `model` from the path (or `model_name`), when the route names one. */
  async djl(call: EmbedCall, model: string | undefined): Promise<EmbedAnswer> {
    if (model !== undefined && !this.ctx.models.accepts(model)) {
      throw new FrontDoorError(404, ErrorCode.modelNotFound, `Model or workflow not found: ${echoText(model)}`);
    }
    const request = parseDjlRequest(await call.readBody(), call.header('content-type'), this.ctx.config.limits);
    this.responseLimit.checkEstimate(request.texts.length, AnswerEncoding.floatOnly);
    const result = await this.embed(call, request.texts);
    const body = formatDjlResponse(request, result.vectors);
    this.responseLimit.checkBody(body, request.texts.length, AnswerEncoding.floatOnly);
    return { body, result };
  }

  private async embed(call: EmbedCall, texts: readonly string[]): Promise<EmbedResult> {
    const { config, embedder, clock } = this.ctx;
    const limits = config.limits;
    call.parsed(texts.length);
    // One request alone may always be answered, whatever its size (MAX_ITEMS_PER_REQUEST bounds it).
    const answerBytes = Math.min(this.answers.maxBytes, texts.length * config.model.dimension * ANSWER_BYTES_PER_NUMBER);
    if (call.answerLease?.reserve(answerBytes) === false) {
      throw new FrontDoorError(429, ErrorCode.overloaded,
        `the front door is building too many answers at once (MAX_INFLIGHT_ANSWER_BYTES=${limits.maxInflightAnswerBytes} bytes): ` +
          `retry after ${UPLOADS_RETRY_AFTER_S} s, or send fewer texts per request`, { retryAfterSeconds: UPLOADS_RETRY_AFTER_S });
    }
    // Texts are charged to the caller's key once parsed, before any work is queued.
    call.caller?.chargeTexts(texts.length);
    const budgetMs = requestBudgetMs(call.header(REQUEST_TIMEOUT_HEADER), config.timeouts.requestMs);
    const cacheControl = cacheControlOf(call.header('cache-control'));
    try {
      return await embedder.embed({
        texts, requestId: call.requestId, deadline: clock.now() + budgetMs, signal: call.signal, tenant: call.caller?.name,
        ...(cacheControl === undefined ? {} : { cacheControl }),
      });
    } catch (error) {
      throw clientView(call.signal, error, budgetMs < config.timeouts.requestMs);
    }
  }
}

/**
 * What an embed failure means for the client. A client that left gets 499 (nobody reads it; the
 * metrics count no server error); a deadline the client itself shortened with
 * x-request-timeout-ms that ran out is the 429 the API promises for work that cannot finish in
 * time, not a 504 blaming the backends.
 */
function clientView(signal: CancelSignal, error: unknown, clientDeadline: boolean): unknown {
  if (signal.aborted) return clientGone(false, error, 'answer');
  if (clientDeadline && isFrontDoorError(error) && error.code === ErrorCode.backendTimeout) {
    return new FrontDoorError(429, ErrorCode.overloaded,
      `the request could not be finished within its ${REQUEST_TIMEOUT_HEADER} deadline: allow more time, or retry after ${CLIENT_DEADLINE_RETRY_AFTER_S} s`,
      { retryAfterSeconds: CLIENT_DEADLINE_RETRY_AFTER_S, param: REQUEST_TIMEOUT_HEADER, cause: error });
  }
  return error;
}
