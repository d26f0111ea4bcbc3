/**
 * Response shapes of DJL Serving (NettyUtils.sendJsonResponse / sendError / sendHttpResponse):
 * JSON bodies pretty-printed by Gson plus a newline, except inference output, which is compact.
 */

/** Exception class names DJL puts in the error body's `type`. */
export const DJL_ERROR_TYPES = {
  translate: 'TranslateException',
  wlmCapacity: 'WlmCapacityException',
  wlm: 'WlmException',
  modelNotFound: 'ModelNotFoundException',
  resourceNotFound: 'ResourceNotFoundException',
  methodNotAllowed: 'MethodNotAllowedException',
  badRequest: 'BadRequestException',
} as const;

/** One of {@link DJL_ERROR_TYPES}. */
export type DjlErrorType = (typeof DJL_ERROR_TYPES)[keyof typeof DJL_ERROR_TYPES];

/** Model states as `/ping` spells them. */
export const DJL_PING_STATES = {
  healthy: 'Healthy',
  unhealthy: 'Unhealthy',
  pending: 'PENDING',
} as const;

/** Model states as `GET /models` spells them. */
export const DJL_MODEL_STATES = { ready: 'READY', pending: 'PENDING' } as const;

/** Everything needed to write one response. */
export interface DjlReply {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

/** The status codes the simulator answers with. */
export const HTTP_STATUS = {
  ok: 200,
  multiStatus: 207,
  badRequest: 400,
  notFound: 404,
  methodNotAllowed: 405,
  payloadTooLarge: 413,
  serviceUnavailable: 503,
} as const;

/** Status codes from which DJL closes the connection after the response. */
export const FIRST_ERROR_STATUS = 400;

const JSON_CONTENT_TYPE = 'application/json';
const GSON_INDENT = 2;

/** DJL adds these to every response it writes itself (noCache in NettyUtils.sendHttpResponse). */
export const DJL_NO_CACHE_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  pragma: 'no-cache',
  'cache-control': 'no-cache; no-store, must-revalidate, private',
  expires: 'Thu, 01 Jan 1970 00:00:00 UTC',
});

const JSON_HEADERS = Object.freeze({ 'content-type': JSON_CONTENT_TYPE, ...DJL_NO_CACHE_HEADERS });

/** A Gson-pretty JSON response, as DJL writes pings, listings and errors. */
export function prettyJsonReply(status: number, value: unknown): DjlReply {
  return { status, headers: JSON_HEADERS, body: `${JSON.stringify(value, null, GSON_INDENT)}\n` };
}

/** An error body `{"code", "type", "message"}`; the caller closes the connection. */
export function djlErrorReply(status: number, type: DjlErrorType, message: string): DjlReply {
  return prettyJsonReply(status, { code: status, type, message });
}

/** The inference output: compact JSON exactly as the translator produced it. */
export function embeddingReply(body: string): DjlReply {
  return { status: HTTP_STATUS.ok, headers: JSON_HEADERS, body };
}

/** `GET /ping`: `{"<model>": {"status": "<S>"}}`. */
export function pingReply(status: number, modelName: string, state: string): DjlReply {
  return prettyJsonReply(status, { [modelName]: { status: state } });
}

/** What Netty's HttpObjectAggregator sends above max_request_size: no body, no DJL headers. */
export const TOO_LARGE_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  'content-length': '0',
  connection: 'close',
});

/** Messages as DJL words them. */
export const DJL_MESSAGES = {
  capacity: (model: string) => `Worker queue capacity exceeded for model: ${model}`,
  notReady: (model: string) => `Model is not ready: ${model}`,
  modelNotFound: (model: string) => `Model or workflow not found: ${model}`,
  resourceNotFound: 'Requested resource is not found, please refer to API document.',
  methodNotAllowed: 'Requested method is not allowed, please refer to API document.',
  invalidHttp: 'Invalid HTTP message.',
  badText: (marker: string) =>
    `Failed to embed: a text contains ${JSON.stringify(marker)}, which the simulated model rejects.`,
} as const;
