/**
 * Texts the load generator sends: about 300 characters each (a typical RAG chunk), distinct per
 * request and per position, cheap to make. Distinct, so no layer can answer from a cache.
 */

/** Length of one generated chunk, in characters. */
export const CHUNK_CHARS = 300;

const WORDS = [
  'embedding', 'vector', 'retrieval', 'chunk', 'document', 'search', 'index', 'semantic', 'query',
  'latency', 'throughput', 'backend', 'instance', 'cluster', 'batch', 'token', 'model', 'sentence',
  'paragraph', 'section', 'context', 'answer', 'question', 'ranking', 'similarity', 'cosine',
  'corpus', 'pipeline', 'ingest', 'storage', 'shard', 'replica', 'request', 'response', 'service',
] as const;

/** A long, fixed run of words; a chunk is a slice of it behind a unique prefix. */
const FILLER = (() => {
  let text = '';
  // A fixed multiplier walks the word list in an order that does not repeat too soon.
  const stride = 7;
  for (let i = 0; text.length < CHUNK_CHARS * 4; i++) text += `${WORDS[(i * stride) % WORDS.length]} `;
  return text;
})();

/** Offsets into FILLER are taken modulo this, so every slice still has CHUNK_CHARS to give. */
const FILLER_OFFSETS = FILLER.length - CHUNK_CHARS;
/** Primes that spread neighbouring clients, requests and positions over different filler. */
const OFFSET_STEP = { client: 131, sequence: 31, index: 17 } as const;

/** The `index`-th text of request `sequence` of client `client`: unique, CHUNK_CHARS long. */
export function chunkText(client: number, sequence: number, index: number): string {
  const prefix = `client ${client} request ${sequence} text ${index}: `;
  const offset = (client * OFFSET_STEP.client + sequence * OFFSET_STEP.sequence + index * OFFSET_STEP.index) % FILLER_OFFSETS;
  return prefix + FILLER.slice(offset, offset + CHUNK_CHARS - prefix.length);
}

/** The JSON body of one DJL request: a list of `count` distinct chunks. */
export function requestBody(client: number, sequence: number, count: number): string {
  const texts = new Array<string>(count);
  for (let index = 0; index < count; index++) texts[index] = chunkText(client, sequence, index);
  return JSON.stringify(texts);
}
