/**
 * Counts the top-level items of a JSON array as its bytes stream in, without parsing the numbers:
 * the load generator checks that every answer holds one vector per text while spending as little
 * CPU as it can, since it shares the machine with what it measures.
 */

const BYTE = {
  quote: 0x22,
  backslash: 0x5c,
  comma: 0x2c,
  openArray: 0x5b,
  closeArray: 0x5d,
  openObject: 0x7b,
  closeObject: 0x7d,
  space: 0x20,
  tab: 0x09,
  newline: 0x0a,
  carriageReturn: 0x0d,
} as const;

const isWhitespace = (byte: number): boolean =>
  byte === BYTE.space || byte === BYTE.newline || byte === BYTE.carriageReturn || byte === BYTE.tab;

/** Streaming counter: `push` each chunk, then `count()`. */
export class TopLevelItemCounter {
  private depth = 0;
  private inString = false;
  private escaped = false;
  private commas = 0;
  private hasItem = false;
  /** undefined until the first value starts; false when the document is not an array. */
  private topIsArray: boolean | undefined;

  push(chunk: Uint8Array): void {
    for (let i = 0; i < chunk.length; i++) {
      const byte = chunk[i] ?? 0;
      if (this.inString) {
        if (this.escaped) this.escaped = false;
        else if (byte === BYTE.backslash) this.escaped = true;
        else if (byte === BYTE.quote) this.inString = false;
        continue;
      }
      if (isWhitespace(byte)) continue;
      if (byte === BYTE.closeArray || byte === BYTE.closeObject) {
        this.depth--;
        continue;
      }
      if (byte === BYTE.comma) {
        if (this.depth === 1) this.commas++;
        continue;
      }
      if (this.depth === 0) this.topIsArray ??= byte === BYTE.openArray;
      else if (this.depth === 1) this.hasItem = true;
      if (byte === BYTE.openArray || byte === BYTE.openObject) this.depth++;
      else if (byte === BYTE.quote) this.inString = true;
    }
  }

  /** Items of the top-level array; undefined when the body was not a JSON array. */
  count(): number | undefined {
    if (this.topIsArray !== true) return undefined;
    return this.hasItem ? this.commas + 1 : 0;
  }
}

/** Top-level items of a whole JSON array body; undefined when it is not an array. */
export function countTopLevelItems(body: Uint8Array | string): number | undefined {
  const counter = new TopLevelItemCounter();
  counter.push(typeof body === 'string' ? Buffer.from(body) : body);
  return counter.count();
}
