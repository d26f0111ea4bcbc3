/**
 * The Hugging Face text-embeddings-inference dialect: `POST /embed`, always-nested vectors back,
 * errors as `{"error", "error_type"}` with TEI's statuses (422 for validation).
 */
import { ErrorCode, FrontDoorError } from '../errors';
import { checkDimensions, readTexts, requireObject, type TextLimits } from './read-texts';
import { vectorListJson } from '../core/vector-json';

export interface TeiRequest {
  readonly texts: string[];
}

const EXAMPLE = '{"inputs": ["some text"]}';

function unsupported(param: string, message: string): FrontDoorError {
  return new FrontDoorError(400, ErrorCode.unsupported, message, { param });
}

export function parseTeiRequest(json: unknown, limits: TextLimits, dimension: number): TeiRequest {
  const body = requireObject(json, EXAMPLE);
  const { texts } = readTexts(body.inputs, { field: 'inputs', limits, allowEmptyStrings: false });
  // The backends always return L2-normalised vectors.
  if (body.normalize !== undefined && body.normalize !== null && body.normalize !== true) {
    throw unsupported('normalize', '`normalize`=false is not supported: vectors are always L2-normalised; omit it');
  }
  if (body.truncate !== undefined && body.truncate !== null && typeof body.truncate !== 'boolean') {
    throw new FrontDoorError(400, ErrorCode.invalidRequest, '`truncate` must be true or false', { param: 'truncate' });
  }
  const direction = body.truncation_direction;
  if (direction !== undefined && direction !== null && (typeof direction !== 'string' || direction.toLowerCase() !== 'right')) {
    throw unsupported('truncation_direction', '`truncation_direction` must be "Right": the backends truncate the end of long texts');
  }
  if (body.prompt_name !== undefined && body.prompt_name !== null) {
    throw unsupported('prompt_name', '`prompt_name` is not supported: this model has no prompts; prepend any prefix to the text yourself');
  }
  checkDimensions(body.dimensions, dimension);
  return { texts };
}

/** The list of vectors; each vector's checked backend text when it has one. */
export function formatTeiResponse(vectors: readonly number[][]): string {
  return vectorListJson(vectors);
}

/** TEI answers validation failures with 422 and an empty input with 400. */
export function teiStatus(error: FrontDoorError): number {
  const keeps400 = error.code === ErrorCode.emptyInput || error.code === ErrorCode.invalidJson;
  return error.status === 400 && !keeps400 ? 422 : error.status;
}

const TEI_TYPE_BY_STATUS: Readonly<Record<number, string>> = {
  401: 'Unauthorized',
  403: 'Forbidden',
  413: 'Validation',
  422: 'Validation',
  429: 'Overloaded',
  503: 'Unhealthy',
};

export function teiErrorBody(error: FrontDoorError): unknown {
  const status = teiStatus(error);
  const type = error.code === ErrorCode.emptyInput ? 'Empty'
    : TEI_TYPE_BY_STATUS[status] ?? (status >= 500 ? 'Backend' : 'Validation');
  return { error: error.message, error_type: type };
}
