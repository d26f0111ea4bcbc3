/**
 * The DJL Serving dialect, so a DJL client only changes its host: `POST /predictions/{model}`
 * and `POST /invocations`. Like DJL, a JSON content type means the body is JSON (an object's
 * `inputs`, or a bare value); text/plain (or no content type) means the whole body is one text
 * (the route refuses other types with 415 before this parser runs). A list
 * gets nested vectors back, a single text a flat one.
 */
import { ErrorCode, FrontDoorError } from '../errors';
import { isJsonMediaType } from './media-type';
import { parseJsonBody, readTexts, type TextLimits } from './read-texts';
import { vectorJson, vectorListJson } from '../core/vector-json';

export interface DjlRequest {
  readonly texts: string[];
  /** A single text gets a flat vector back, a list a nested one. */
  readonly single: boolean;
}

/** DJL 0.30+ strips a `; charset=...` suffix before deciding the body is JSON; `+json` types count too. */
export const isJsonContentType = isJsonMediaType;

export function parseDjlRequest(body: string, contentType: string | undefined, limits: TextLimits): DjlRequest {
  if (!isJsonContentType(contentType)) {
    if (body === '') {
      throw new FrontDoorError(400, ErrorCode.emptyInput, 'the request body is empty: send the text, or a JSON list of texts with Content-Type: application/json');
    }
    return readTexts(body, { field: 'body', limits, allowEmptyStrings: true });
  }
  const json = parseJsonBody(body, limits.maxItems);
  const isObject = json !== null && typeof json === 'object' && !Array.isArray(json);
  if (isObject && !('inputs' in json)) {
    throw new FrontDoorError(400, ErrorCode.emptyInput, 'missing `inputs`: send {"inputs": ["text", ...]} or a bare JSON list of texts', { param: 'inputs' });
  }
  const value = isObject ? (json as { inputs: unknown }).inputs : json;
  return readTexts(value, { field: 'inputs', limits, allowEmptyStrings: true });
}

/** A single text's flat vector, or the list of vectors; each vector's checked backend text when it has one. */
export function formatDjlResponse(request: DjlRequest, vectors: readonly number[][]): string {
  return request.single ? vectorJson(vectors[0] as number[]) : vectorListJson(vectors);
}

const DJL_TYPE_BY_CODE: Partial<Record<ErrorCode, string>> = {
  [ErrorCode.modelNotFound]: 'ModelNotFoundException',
  [ErrorCode.routeNotFound]: 'ResourceNotFoundException',
  [ErrorCode.methodNotAllowed]: 'MethodNotAllowedException',
  [ErrorCode.bodyTooLarge]: 'RequestTooLargeException',
  [ErrorCode.responseTooLarge]: 'RequestTooLargeException',
  [ErrorCode.backendOverloaded]: 'WlmCapacityException',
  // DJL's own name for "capacity exceeded", so DJL-aware clients recognise it (with status 429).
  [ErrorCode.overloaded]: 'WlmCapacityException',
  [ErrorCode.rateLimited]: 'WlmCapacityException',
  [ErrorCode.unauthorized]: 'UnauthorizedException',
  [ErrorCode.backendUnavailable]: 'ServiceUnavailableException',
  [ErrorCode.noBackends]: 'ServiceUnavailableException',
  [ErrorCode.backendTimeout]: 'GatewayTimeoutException',
  [ErrorCode.backendError]: 'BadGatewayException',
  [ErrorCode.backendBadResponse]: 'BadGatewayException',
  [ErrorCode.backendResponseTooLarge]: 'BadGatewayException',
  [ErrorCode.internal]: 'InternalServerException',
};

export function djlErrorBody(error: FrontDoorError): unknown {
  const type = DJL_TYPE_BY_CODE[error.code] ?? (error.status < 500 ? 'TranslateException' : 'InternalServerException');
  return { code: error.status, type, message: error.message };
}
