/**
 * Validation shared by the three dialects: turn a request's input field into a list of texts, or
 * fail with a 4xx that names the field, the item and what to change.
 */
import { ErrorCode, FrontDoorError } from '../errors';
import { echoValue } from './client-echo';
import { EXTRA_JSON_VALUES, MAX_JSON_DEPTH, scanJson } from '../security/json-depth';
import { toWellFormedText } from '../security/well-formed-text';

export interface TextLimits {
  readonly maxItems: number;
  readonly maxCharsPerItem: number;
}

export interface ReadTextsOptions {
  /** The field's name as the client spelled it (`input`, `inputs`). */
  readonly field: string;
  readonly limits: TextLimits;
  /** DJL embeds "" like any text; OpenAI and TEI reject it. */
  readonly allowEmptyStrings: boolean;
}

export interface ReadTexts {
  readonly texts: string[];
  /** True when the client sent one bare string rather than a list. */
  readonly single: boolean;
}

const describe = (value: unknown): string =>
  value === null ? 'null' : Array.isArray(value) ? 'an array' : typeof value === 'object' ? 'an object' : `a ${typeof value}`;

function invalid(field: string, message: string, code: (typeof ErrorCode)[keyof typeof ErrorCode] = ErrorCode.invalidRequest): FrontDoorError {
  return new FrontDoorError(400, code, message, { param: field });
}

function isTokenArray(value: unknown[]): boolean {
  const first = value[0];
  return typeof first === 'number' || (Array.isArray(first) && typeof first[0] === 'number');
}

/** Reads `value` as one text or a list of texts under the given limits. */
export function readTexts(value: unknown, options: ReadTextsOptions): ReadTexts {
  const { field, limits } = options;
  if (value === undefined || value === null) {
    throw invalid(field, `missing \`${field}\`: send a string or an array of strings`, ErrorCode.emptyInput);
  }
  const single = typeof value === 'string';
  const items: unknown[] = single ? [value] : Array.isArray(value) ? value : [];
  if (!single && !Array.isArray(value)) {
    throw invalid(field, `\`${field}\` must be a string or an array of strings, not ${describe(value)}`);
  }
  if (items.length === 0) {
    throw invalid(field, `\`${field}\` is an empty array: send at least one text`, ErrorCode.emptyInput);
  }
  if (isTokenArray(items)) {
    throw new FrontDoorError(400, ErrorCode.unsupported,
      `\`${field}\` holds token ids: token arrays are not supported, send the texts themselves as strings`, { param: field });
  }
  if (items.length > limits.maxItems) {
    throw invalid(field, `\`${field}\` has ${items.length} items, more than the ${limits.maxItems} allowed per request: ` +
      'split it into several requests', ErrorCode.tooManyItems);
  }
  for (let index = 0; index < items.length; index++) {
    const item = items[index];
    const where = single ? `\`${field}\`` : `\`${field}[${index}]\``;
    if (typeof item !== 'string') {
      throw invalid(field, `${where} is ${describe(item)}: every item must be a string`);
    }
    if (item.length === 0 && !options.allowEmptyStrings) {
      throw invalid(field, `${where} is an empty string: remove it or send some text`, ErrorCode.emptyInput);
    }
    if (item.length > limits.maxCharsPerItem) {
      throw invalid(field, `${where} has ${item.length} characters, more than the ${limits.maxCharsPerItem} allowed per text: ` +
        'split it into chunks', ErrorCode.itemTooLong);
    }
    items[index] = toWellFormedText(item);
  }
  return { texts: items as string[], single };
}

/**
 * Parses a JSON body, or fails with a 400 that says what is wrong with it. With `maxItems` (the
 * embed routes), a body whose list of texts has more items, or that holds more JSON values than
 * such a request could, is refused before JSON.parse: the pre-scan stops at the first item past
 * the limit, where parsing a 6 MB `[{},{},...]` would hold the event loop for about a second.
 */
export function parseJsonBody(body: string, maxItems?: number): unknown {
  if (body.trim() === '') {
    throw new FrontDoorError(400, ErrorCode.invalidJson, 'the request body is empty: send a JSON object');
  }
  const maxValues = maxItems === undefined ? undefined : 2 * maxItems + EXTRA_JSON_VALUES;
  const scan = scanJson(body, { maxDepth: MAX_JSON_DEPTH, ...(maxItems === undefined ? {} : { maxItems, maxValues }) });
  if (scan.depth > MAX_JSON_DEPTH) {
    throw new FrontDoorError(400, ErrorCode.invalidJson,
      `the request body nests JSON more than ${MAX_JSON_DEPTH} levels deep: send a JSON object with a list of strings`);
  }
  if (maxItems !== undefined && scan.items > maxItems) {
    const list = scan.itemsField === undefined ? 'the list of texts' : `\`${scan.itemsField}\``;
    throw new FrontDoorError(400, ErrorCode.tooManyItems,
      `${list} has more than the ${maxItems} items allowed per request (MAX_ITEMS_PER_REQUEST): split it into several requests`,
      scan.itemsField === undefined ? {} : { param: scan.itemsField });
  }
  if (maxValues !== undefined && scan.values > maxValues) {
    throw new FrontDoorError(400, ErrorCode.tooManyItems,
      `the request body holds more than ${maxValues} JSON values, more than a request of at most ${maxItems} texts ` +
        '(MAX_ITEMS_PER_REQUEST) needs: send a JSON object with a list of at most that many strings');
  }
  try {
    return JSON.parse(body);
  } catch (error) {
    throw new FrontDoorError(400, ErrorCode.invalidJson,
      `the request body is not valid JSON (${(error as Error).message}); send a JSON object with Content-Type: application/json`);
  }
}

/** Requires a JSON object (not an array, string or null) as the request body. */
export function requireObject(value: unknown, example: string): Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new FrontDoorError(400, ErrorCode.invalidRequest, `the request body must be a JSON object like ${example}, not ${describe(value)}`);
  }
  return value as Record<string, unknown>;
}

/**
 * Checks a requested `dimensions`: only the model's own size can be served, since the backends
 * return full vectors and truncating them is only meaningful for Matryoshka-trained models.
 */
export function checkDimensions(value: unknown, modelDimension: number): void {
  if (value === undefined || value === null || value === modelDimension) return;
  throw new FrontDoorError(400, ErrorCode.unsupported,
    `\`dimensions\`=${echoValue(value)} is not supported: this model returns ${modelDimension} dimensions; ` +
      `omit \`dimensions\` or set it to ${modelDimension}`, { param: 'dimensions' });
}
