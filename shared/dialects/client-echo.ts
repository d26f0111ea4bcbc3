/**
 * Repeating client input back, bounded. An error message that quotes what the client sent helps
 * it fix the request, but a 1 MB `encoding_format` must not come back as a 1 MB answer (nor reach
 * a log line), so every echo is cut to a few dozen characters and JSON-escaped.
 */

/** How much of a client's value an error message repeats. */
export const MAX_ECHO_CHARS = 64;

const ELLIPSIS = '…';

/** `value` cut to `maxChars` (with an ellipsis when cut), before any copy of the whole. */
const cut = (value: string, maxChars: number): string =>
  value.length > maxChars ? `${value.slice(0, maxChars)}${ELLIPSIS}` : value;

/**
 * A client's text for the middle of a message (a path, a model name): cut, and JSON-escaped
 * without the quotes, so control characters and quotes cannot shape a message or a log line.
 */
export const echoText = (value: string, maxChars = MAX_ECHO_CHARS): string => JSON.stringify(cut(value, maxChars)).slice(1, -1);

/**
 * A client's JSON value as JSON: a string quoted and cut, a number, boolean or null as written,
 * an array or object only described (never serialised whole).
 */
export function echoValue(value: unknown, maxChars = MAX_ECHO_CHARS): string {
  if (typeof value === 'string') return JSON.stringify(cut(value, maxChars));
  if (typeof value === 'number' || typeof value === 'boolean' || value === null) return cut(JSON.stringify(value), maxChars);
  if (Array.isArray(value)) return `an array of ${value.length} items`;
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}
