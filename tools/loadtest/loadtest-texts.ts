/**
 * Where a load test's texts come from: generated chunks of a given length, or lines of a file
 * (read by the caller; this module only gets the content). Pure and deterministic, so two runs
 * send the same texts.
 */

/** Hands out texts for requests, cycling forever. */
export interface TextSource {
  /** The next `count` texts. */
  next(count: number): string[];
  /** What the texts are, for the report. */
  readonly description: string;
}

/**
 * Ordinary English words, so a real tokenizer sees a realistic tokens-per-character ratio (about
 * four characters per token) instead of the far longer token runs random letters would make.
 */
const WORDS = [
  'the', 'service', 'returns', 'an', 'embedding', 'for', 'each', 'chunk', 'of', 'text', 'that', 'is',
  'sent', 'to', 'it', 'and', 'latency', 'depends', 'on', 'batch', 'size', 'model', 'hardware', 'queue',
  'request', 'answer', 'vector', 'document', 'search', 'index', 'with', 'many', 'short', 'long',
  'sentences', 'about', 'capacity', 'planning', 'workers', 'throughput',
] as const;
/** Texts differ from one another by a counter, so no cache anywhere can answer them for free. */
const DISTINCT_TEXTS = 1_000_000;

/** Deterministic filler of exactly `chars` characters, built once. */
function fillerText(chars: number): string {
  const parts: string[] = [];
  let length = 0;
  // A fixed linear congruential walk over the words: varied text, same every run.
  for (let state = 1; length < chars; state = (state * 1_103_515_245 + 12_345) % 2_147_483_648) {
    const word = WORDS[state % WORDS.length] ?? 'text';
    parts.push(word);
    length += word.length + 1;
  }
  return parts.join(' ').slice(0, chars);
}

/** Generated chunks of `chars` characters each, every one unique (a counter leads it). */
export function generatedTexts(chars: number): TextSource {
  if (!Number.isInteger(chars) || chars < 1) throw new RangeError(`chunk length must be a whole number >= 1, got ${chars}`);
  const filler = fillerText(chars);
  let counter = 0;
  return {
    description: `generated chunks of ${chars} characters`,
    next(count) {
      const texts: string[] = [];
      for (let index = 0; index < count; index++) {
        const prefix = `${counter % DISTINCT_TEXTS} `;
        counter++;
        // The counter replaces the start of the filler, so the length stays exactly `chars`.
        texts.push(prefix.length >= chars ? prefix.slice(0, chars) : prefix + filler.slice(prefix.length));
      }
      return texts;
    },
  };
}

/** The non-blank lines of `content`, cycled. Throws when there are none. */
export function textsFromLines(content: string, name: string): TextSource {
  const lines = content.split(/\r?\n/).filter((line) => line.trim() !== '');
  if (lines.length === 0) throw new RangeError(`${name}: no texts (one per line expected, blank lines are skipped)`);
  let position = 0;
  return {
    description: `${lines.length} texts from ${name}`,
    next(count) {
      const texts: string[] = [];
      for (let index = 0; index < count; index++) {
        texts.push(lines[position] ?? '');
        position = (position + 1) % lines.length;
      }
      return texts;
    },
  };
}
