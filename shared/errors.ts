/**
 * One error base for the whole front door. Every error carries a stable `code` (what happened),
 * the HTTP `status` it maps to, and optionally the request field (`param`) a client must fix.
 * One place (`shared/http/error-response.ts`) turns it into each API dialect's error body.
 */

/** Stable error codes; clients and logs key on these, so they never change meaning. */
export const ErrorCode = {
  invalidJson: 'invalid_json',
  invalidRequest: 'invalid_request',
  unsupported: 'unsupported_parameter',
  emptyInput: 'empty_input',
  tooManyItems: 'too_many_items',
  itemTooLong: 'item_too_long',
  bodyTooLarge: 'body_too_large',
  /** The answer would exceed the runtime's response limit (Lambda's 6 MB). */
  responseTooLarge: 'response_too_large',
  /** A Content-Type the route does not read, or a compressed body (Content-Encoding): 415. */
  unsupportedMediaType: 'unsupported_media_type',
  /** The client did not send its whole body within CLIENT_BODY_TIMEOUT_MS: 408 (Node already said so). */
  clientTimeout: 'client_timeout',
  /**
   * The client closed its connection before its answer was ready: 499, nginx's "client closed
   * request", so it counts with the 4xx and never as a server error. Nobody receives it.
   */
  clientClosed: 'client_closed',
  /** With no API keys set, a Host header not on ALLOWED_HOSTS (the DNS-rebinding guard): 403. */
  hostNotAllowed: 'host_not_allowed',
  modelNotFound: 'model_not_found',
  /** A backend refused one specific text (DJL's TranslateException on that text alone). */
  inputRejected: 'input_rejected',
  /** The front door's queue cannot take or finish the request in time: 429 with Retry-After. */
  overloaded: 'overloaded',
  /** No API key, or one that matches none configured (401; the message never says which). */
  unauthorized: 'invalid_api_key',
  /** The caller's key is over its requests/s or texts/s: 429 with Retry-After. */
  rateLimited: 'rate_limited',
  /** The route exists but is turned off by configuration (POST /warmup without API keys). */
  forbidden: 'forbidden',
  /** A valid key without the operator role on /warmup, /info or /metrics: 403. */
  operatorKeyRequired: 'operator_key_required',
  /** POST /warmup while another run of this process is under way: 409 with Retry-After. */
  warmupRunning: 'warmup_running',
  routeNotFound: 'not_found',
  methodNotAllowed: 'method_not_allowed',
  backendUnavailable: 'backend_unavailable',
  backendOverloaded: 'backend_overloaded',
  backendTimeout: 'backend_timeout',
  backendError: 'backend_error',
  backendBadResponse: 'backend_bad_response',
  /** A backend's answer passed the cap that what was asked allows; the read was stopped there. */
  backendResponseTooLarge: 'backend_response_too_large',
  noBackends: 'no_backends',
  internal: 'internal_error',
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

export interface FrontDoorErrorOptions {
  /** The request field at fault, in the route's own naming (`input`, `inputs`, `encoding_format`). */
  param?: string;
  /** Seconds a client should wait before retrying (429/503). */
  retryAfterSeconds?: number;
  cause?: unknown;
}

/** The one error class the HTTP layer maps to a response. */
export class FrontDoorError extends Error {
  // Widened to string so each subclass names itself (logs print `name: message`); spelled out,
  // not read from the constructor, since the Lambda bundle is minified.
  override readonly name: string = 'FrontDoorError';
  readonly param: string | undefined;
  readonly retryAfterSeconds: number | undefined;

  constructor(
    readonly status: number,
    readonly code: ErrorCode,
    message: string,
    options: FrontDoorErrorOptions = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.param = options.param;
    this.retryAfterSeconds = options.retryAfterSeconds;
  }

  /** True for mistakes the client must fix (4xx), false for trouble on our side or upstream. */
  get isClientError(): boolean {
    return this.status >= 400 && this.status < 500;
  }
}

export const isFrontDoorError = (value: unknown): value is FrontDoorError =>
  value instanceof FrontDoorError;
