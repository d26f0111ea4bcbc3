/**
 * How DJL's text-embedding translator reads a request body. DJL does this on the worker, inside
 * the job, which is why a bad body can fail a whole server-side batch.
 */

/** Texts of one request, or the TranslateException message DJL would give. */
export type ParsedEmbedRequest =
  | { readonly ok: true; readonly texts: readonly string[]; readonly batch: boolean }
  | { readonly ok: false; readonly message: string };

const JSON_MIME = 'application/json';

/**
 * True when DJL reads the body as JSON: the media type is exactly `application/json`; from 0.30 a
 * `; charset=...` (any parameter) is stripped first. Anything else, even `text/json`, is one text.
 */
export function isJsonContentType(contentType: string | undefined): boolean {
  if (contentType === undefined) return false;
  const separator = contentType.indexOf(';');
  const mime = separator === -1 ? contentType : contentType.slice(0, separator);
  return mime.trim() === JSON_MIME;
}

function fail(message: string): ParsedEmbedRequest {
  return { ok: false, message };
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  return Array.isArray(value) ? 'array' : typeof value;
}

/** Reads the texts of one request the way DJL does (see shared/reference/djl-serving.md). */
export function parseEmbedRequest(contentType: string | undefined, body: Buffer): ParsedEmbedRequest {
  if (body.length === 0) return fail('Input data is empty.');
  const text = body.toString('utf8');
  if (!isJsonContentType(contentType)) return { ok: true, texts: [text], batch: false };

  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    return fail(`Input is not a valid JSON: ${(error as Error).message}`);
  }
  let inputs: unknown = parsed;
  if (isPlainObject(parsed)) {
    if (!('inputs' in parsed)) return fail('Missing "inputs" in the JSON input.');
    inputs = parsed.inputs;
  }
  if (typeof inputs === 'string') return { ok: true, texts: [inputs], batch: false };
  if (!Array.isArray(inputs)) {
    return fail(`"inputs" must be a string or a list of strings, got ${describe(inputs)}.`);
  }
  if (inputs.length === 0) return fail('"inputs" is an empty list.');
  const badIndex = inputs.findIndex((item) => typeof item !== 'string');
  if (badIndex !== -1) {
    return fail(`"inputs"[${badIndex}] must be a string, got ${describe(inputs[badIndex])}.`);
  }
  return { ok: true, texts: inputs as string[], batch: true };
}
