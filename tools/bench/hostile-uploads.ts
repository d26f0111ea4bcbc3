/**
 * Attack (a), issue 17 finding 1: many large uploads at once, with no keys and with one valid key
 * at default limits. Every body is valid and as large as the route allows, so the front door has
 * no early reason to refuse it except the bytes it is already holding. The front door's peak RSS
 * (VmHWM) is the figure; its answers are counted by status and code.
 */
import { setMaxListeners } from 'node:events';
import { Pool } from 'undici';
import { apiKey, jsonHeaders, OPENAI_ROUTE, startSubject, type ScenarioContext } from './hostile-context';
import { failureOutcome, OutcomeCounter, readAnswer } from './hostile-probes';

/** How the body of each upload is made up. */
export const UPLOAD_BODIES = {
  /** MAX_ITEMS_PER_REQUEST's default: 2,048 texts of about 2,400 characters. */
  maxItems: { label: '2,048 texts of ~2.4 KB', texts: 2_048 },
  /** Texts near MAX_CHARS_PER_ITEM (32,768): few per request, many requests fit in the texts queue. */
  longTexts: { label: '166 texts of ~30 KB', texts: 166 },
} as const;

export type UploadBodyId = keyof typeof UPLOAD_BODIES;

/** One upload attack's figures. */
export interface UploadResult {
  readonly keys: 'none' | 'one valid key';
  readonly body: UploadBodyId;
  readonly uploads: number;
  readonly bodyBytes: number;
  readonly rssBeforeMiB: number | undefined;
  readonly peakRssMiB: number | undefined;
  /** Seconds from the start of the attack to the highest RSS sampled (every 250 ms). */
  readonly peakAtS: number | undefined;
  readonly outcomes: Readonly<Record<string, number>>;
  readonly seconds: number;
}

const FILLER = 'lorem ipsum dolor sit amet consectetur adipiscing elit ';
/** `{"input":[` and `]}`, and a text's quotes and comma. */
const ENVELOPE_BYTES = 12;
const PER_TEXT_BYTES = 3;
const MS_PER_S = 1_000;
const SAMPLE_INTERVAL_MS = 250;
const UNANSWERED = 'unanswered at the end of the window';

/** A `{"input":[...]}` body of `texts` distinct texts filling about `bytes`. */
export function uploadBody(bytes: number, texts: number): Buffer {
  const chars = Math.floor((bytes - ENVELOPE_BYTES) / texts) - PER_TEXT_BYTES;
  const filler = FILLER.repeat(Math.ceil(chars / FILLER.length) + 1);
  const list = Array.from({ length: texts }, (_, index) => {
    const prefix = `${index} `;
    return `"${prefix}${filler.slice(0, chars - prefix.length)}"`;
  });
  return Buffer.from(`{"input":[${list.join(',')}]}`);
}

/** Sends `uploads` copies of one body at once and counts the answers that come within `windowMs`. */
async function attack(url: string, body: Buffer, uploads: number, key: string | undefined, windowMs: number): Promise<OutcomeCounter> {
  const pool = new Pool(url, { connections: uploads });
  const outcomes = new OutcomeCounter();
  const headers = jsonHeaders(key);
  const window = new AbortController();
  // Every call in flight listens to it.
  setMaxListeners(0, window.signal);
  const timer = setTimeout(() => window.abort(), windowMs);
  try {
    await Promise.all(Array.from({ length: uploads }, async () => {
      try {
        const answer = await readAnswer(await pool.request({ path: OPENAI_ROUTE, method: 'POST', headers, body, signal: window.signal }));
        outcomes.add(answer.outcome);
      } catch (error) {
        outcomes.add(window.signal.aborted ? UNANSWERED : failureOutcome(error));
      }
    }));
  } finally {
    clearTimeout(timer);
    await pool.destroy();
  }
  return outcomes;
}

/** Runs the upload attack with no keys and with one key, for each body kind. */
export async function runUploads(context: ScenarioContext, bodies: readonly UploadBodyId[] = ['maxItems', 'longTexts']): Promise<UploadResult[]> {
  const { uploads, uploadBytes } = context.shape;
  const results: UploadResult[] = [];
  const attacker = apiKey('uploader');
  for (const bodyId of bodies) {
    const body = uploadBody(uploadBytes, UPLOAD_BODIES[bodyId].texts);
    for (const keys of ['none', 'one valid key'] as const) {
      const key = keys === 'none' ? undefined : attacker.key;
      const subject = await startSubject(context, keys === 'none' ? {} : { API_KEYS: attacker.entry });
      try {
        const before = subject.memory();
        const startedAt = performance.now();
        // VmHWM is the peak; samples of VmRSS only tell when it came.
        let highest = { rssMiB: 0, atS: undefined as number | undefined };
        const sampler = setInterval(() => {
          const { rssMiB } = subject.memory();
          if (rssMiB !== undefined && rssMiB > highest.rssMiB) highest = { rssMiB, atS: (performance.now() - startedAt) / MS_PER_S };
        }, SAMPLE_INTERVAL_MS);
        let outcomes: OutcomeCounter;
        try {
          outcomes = await attack(subject.frontDoor.url, body, uploads, key, context.shape.uploadWindowS * MS_PER_S);
        } finally {
          clearInterval(sampler);
        }
        const seconds = (performance.now() - startedAt) / MS_PER_S;
        const peak = subject.memory().peakMiB;
        context.log(`  uploads, ${UPLOAD_BODIES[bodyId].label}, keys ${keys}: peak RSS ${peak?.toFixed(0) ?? 'n/a'} MiB ` +
          `(${before.rssMiB?.toFixed(0) ?? 'n/a'} before; highest sample at ${highest.atS?.toFixed(1) ?? 'n/a'} s), ${JSON.stringify(outcomes.counts)} in ${seconds.toFixed(1)} s`);
        results.push({
          keys, body: bodyId, uploads, bodyBytes: body.length, rssBeforeMiB: before.rssMiB, peakRssMiB: peak, peakAtS: highest.atS, outcomes: outcomes.counts, seconds,
        });
      } finally {
        await subject.stop();
      }
    }
  }
  return results;
}
