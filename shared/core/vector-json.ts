/**
 * A vector's JSON text as the backend wrote it, carried with the parsed vector, so that an answer
 * in JSON copies it instead of printing its 384 doubles again (shortest round-trip printing was
 * the biggest single cost of a one-text DJL answer in `npm run bench -- --cpu-prof`). The backend
 * is not trusted for it: the text is attached only after the whole answer was parsed and checked
 * (count, dimension, finite float32 numbers), and it is exactly the text those checked numbers
 * were parsed from, so a client parses the same doubles. One exception: JSON.stringify prints -0
 * as 0, so a vector holding -0 keeps no text and is printed, as before.
 */

const JSON_TEXT: unique symbol = Symbol('vectorJsonText');

type WithJsonText = readonly number[] & { [JSON_TEXT]?: string };

function hasNegativeZero(vector: readonly number[]): boolean {
  for (const x of vector) if (x === 0 && 1 / x < 0) return true;
  return false;
}

/**
 * Attaches to each of `vectors` its text in `body`, the JSON list of lists of numbers they were
 * parsed from (and checked) by the caller. Numbers hold no brackets, so the n-th `[...]` after the
 * outer `[` is the n-th vector.
 */
export function attachVectorJson(body: string, vectors: readonly (readonly number[])[]): void {
  let at = body.indexOf('[');
  for (const vector of vectors) {
    const start = body.indexOf('[', at + 1);
    const end = start < 0 ? -1 : body.indexOf(']', start);
    if (end < 0) return;
    at = end;
    if (!hasNegativeZero(vector)) (vector as WithJsonText)[JSON_TEXT] = body.slice(start, end + 1);
  }
}

/** A vector as JSON: the backend's checked text when it came with one, else printed. */
export function vectorJson(vector: readonly number[]): string {
  return (vector as WithJsonText)[JSON_TEXT] ?? JSON.stringify(vector);
}

/** A list of vectors as JSON, as JSON.stringify writes it but for each vector's own text. */
export function vectorListJson(vectors: readonly (readonly number[])[]): string {
  let json = '[';
  for (let index = 0; index < vectors.length; index++) {
    if (index > 0) json += ',';
    json += vectorJson(vectors[index] as readonly number[]);
  }
  return `${json}]`;
}
