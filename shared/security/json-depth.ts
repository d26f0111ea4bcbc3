/**
 * Bounds a JSON body before JSON.parse runs, in one linear pass that stops as soon as a bound is
 * passed. JSON.parse is the expensive part of a hostile body: a 6 MB `[[[[...` builds a deep
 * structure for nothing (and a recursive walk over it could overflow the stack), and a 6 MB
 * `{"input":[{},{},...]}` builds two million objects, about a second of the event loop, before
 * the item count could refuse it. The pass counts nesting, the items of the input list and every
 * JSON value, none of which a valid request has many of.
 */

/** The deepest nesting accepted; far above any valid request, far below V8's limits. */
export const MAX_JSON_DEPTH = 64;

/**
 * JSON values a body may hold beyond its texts: room for every request field, the brackets and
 * any extra fields a client library adds, far below what makes JSON.parse slow.
 */
export const EXTRA_JSON_VALUES = 256;

/** The keys whose array is the request's list of texts (OpenAI `input`; TEI and DJL `inputs`). */
const INPUT_KEYS: ReadonlySet<string> = new Set(['input', 'inputs']);

/**
 * The characters that matter outside strings. A native regex jumps over the text between them:
 * four times faster than a charCodeAt loop on a typical 80 KB batch (0.06 against 0.24 ms), since
 * this runs on every request body. `test` rather than `exec`: no match array per character.
 */
const STRUCTURAL = /["[\]{},]/g;

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const COMMA = 0x2c;

export interface JsonScanLimits {
  /** Stop once nesting passes this (default MAX_JSON_DEPTH). */
  readonly maxDepth?: number;
  /** Stop once the input list has more items than this. */
  readonly maxItems?: number;
  /** Stop once the body holds more JSON values than this. */
  readonly maxValues?: number;
}

export interface JsonScan {
  /** The deepest nesting of `[`/`{` outside strings, up to the first level past `maxDepth`. */
  readonly depth: number;
  /**
   * Items of the input list: the top-level array, or the array of a top-level `input`/`inputs`
   * key (the largest, if several); up to the first count past `maxItems`. 0 when there is none.
   */
  readonly items: number;
  /** The key of that list, or undefined for a bare top-level array (or none). */
  readonly itemsField: string | undefined;
  /** Values opened or separated outside strings (`[`, `{`, `,`), up to the first count past `maxValues`. */
  readonly values: number;
}

/**
 * Where the string whose opening quote is just before `from` ends: the index after its closing
 * quote, or the text's length when it never closes. indexOf jumps to each quote at native speed;
 * a quote after an odd run of backslashes is escaped and does not end the string. Each backslash
 * is looked at once, so the walk stays linear whatever the string holds.
 */
function skipString(text: string, from: number): number {
  let start = from;
  for (;;) {
    const quote = text.indexOf('"', start);
    if (quote < 0) return text.length;
    let before = quote - 1;
    while (before >= start && text.charCodeAt(before) === BACKSLASH) before--;
    if ((quote - 1 - before) % 2 === 0) return quote + 1;
    start = quote + 1;
  }
}

/** True when only whitespace lies between an array's `[` and its `]`. */
function isEmptyBetween(text: string, open: number, close: number): boolean {
  for (let index = open + 1; index < close; index++) {
    const code = text.charCodeAt(index);
    if (code !== 0x20 && code !== 0x0a && code !== 0x0d && code !== 0x09) return false;
  }
  return true;
}

/**
 * Measures `text` as JSON without parsing it: nesting, the input list's items, and values. Stops
 * at the first bound passed, so a hostile body costs only the bytes up to that point. Malformed
 * JSON gets numbers too; JSON.parse refuses it afterwards.
 */
export function scanJson(text: string, limits: JsonScanLimits = {}): JsonScan {
  const maxDepth = limits.maxDepth ?? MAX_JSON_DEPTH;
  const maxItems = limits.maxItems ?? Number.POSITIVE_INFINITY;
  const maxValues = limits.maxValues ?? Number.POSITIVE_INFINITY;
  let depth = 0;
  let deepest = 0;
  let values = 0;
  let items = 0;
  let itemsField: string | undefined;
  let topIsObject = false;
  // The input list being counted: its depth inside, where it opened, its commas so far.
  let listDepth = -1;
  let listOpen = 0;
  let listField: string | undefined;
  let listCommas = 0;
  // The last string directly inside the top-level object, a candidate key: [start, end).
  let keyStart = -1;
  let keyEnd = -1;
  let previousWasKey = false;
  const result = (): JsonScan => ({ depth: deepest, items, itemsField, values });
  // A fresh regex per call: a shared /g one keeps state in lastIndex.
  const structural = new RegExp(STRUCTURAL);
  while (structural.test(text)) {
    const at = structural.lastIndex - 1;
    const char = text.charCodeAt(at);
    if (char === QUOTE) {
      const end = skipString(text, at + 1);
      structural.lastIndex = end;
      previousWasKey = depth === 1 && topIsObject;
      if (previousWasKey) {
        keyStart = at + 1;
        keyEnd = end - 1;
      }
      continue;
    }
    const afterKey = previousWasKey;
    previousWasKey = false;
    if (char === OPEN_BRACKET || char === OPEN_BRACE) {
      if (depth === 0 && deepest === 0) topIsObject = char === OPEN_BRACE;
      depth++;
      if (depth > deepest) {
        deepest = depth;
        if (deepest > maxDepth) return result();
      }
      if (++values > maxValues) return result();
      if (char === OPEN_BRACKET && listDepth < 0) {
        const bareList = depth === 1;
        const inputValue = depth === 2 && topIsObject && afterKey && INPUT_KEYS.has(text.slice(keyStart, keyEnd));
        if (bareList || inputValue) {
          listDepth = depth;
          listOpen = at;
          listCommas = 0;
          listField = bareList ? undefined : text.slice(keyStart, keyEnd);
        }
      }
    } else if (char === CLOSE_BRACKET || char === CLOSE_BRACE) {
      if (depth === listDepth) {
        const count = listCommas === 0 && isEmptyBetween(text, listOpen, at) ? 0 : listCommas + 1;
        if (count > items) {
          items = count;
          itemsField = listField;
        }
        listDepth = -1;
      }
      depth--;
    } else if (char === COMMA) {
      if (++values > maxValues) return result();
      // n commas separate n + 1 items: past the limit as soon as there are as many commas.
      if (depth === listDepth && ++listCommas >= maxItems) {
        items = listCommas + 1;
        itemsField = listField;
        return result();
      }
    }
  }
  // An input list still open at the end (malformed JSON) counts what it had.
  if (listDepth >= 0 && !isEmptyBetween(text, listOpen, text.length) && listCommas + 1 > items) {
    items = listCommas + 1;
    itemsField = listField;
  }
  return result();
}

/** The deepest nesting of `[`/`{` in `text` outside strings, stopping once past `limit`. */
export function jsonDepth(text: string, limit = MAX_JSON_DEPTH): number {
  return scanJson(text, { maxDepth: limit }).depth;
}
