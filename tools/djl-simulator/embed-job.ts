/**
 * What one worker job produces: DJL's translator reads every request of the server batch, and one
 * bad request fails them all; otherwise each request gets its vectors. Pure, apart from the CPU
 * time the vectors take (which counts towards the job's simulated time).
 */
import { DJL_MESSAGES } from './djl-responses';
import type { ParsedEmbedRequest } from './request-body';
import { simulatedEmbedding, vectorJson, type FloatFormat } from './vectors';

/** The settings a job needs. */
export interface EmbedJobSettings {
  readonly dimension: number;
  readonly floatFormat: FloatFormat;
  readonly baseMs: number;
  readonly perItemMs: number;
  /** '' turns the marker off. */
  readonly badTextMarker: string;
}

/** The result of one job: a body per request in batch order, or one message for all of them. */
export type EmbedJobResult =
  | { readonly ok: true; readonly textCount: number; readonly durationMs: number; readonly bodies: readonly string[] }
  | { readonly ok: false; readonly textCount: number; readonly durationMs: number; readonly message: string };

function batchFailure(batch: readonly ParsedEmbedRequest[], marker: string): string | undefined {
  for (const parsed of batch) {
    if (!parsed.ok) return parsed.message;
    if (marker !== '' && parsed.texts.some((text) => text.includes(marker))) return DJL_MESSAGES.badText(marker);
  }
  return undefined;
}

/** A single text gets a flat vector, a list gets a nested one, in input order. */
export function embeddingBody(
  texts: readonly string[],
  batch: boolean,
  settings: Pick<EmbedJobSettings, 'dimension' | 'floatFormat'>,
): string {
  const vectors = texts.map((text) => vectorJson(simulatedEmbedding(text, settings.dimension), settings.floatFormat));
  return batch ? `[${vectors.join(',')}]` : (vectors[0] ?? '[]');
}

/**
 * Runs one job's work. A failing batch costs nothing: the translator throws while reading inputs,
 * before the forward pass. A good one costs `baseMs + perItemMs * texts`.
 */
export function runEmbedJob(batch: readonly ParsedEmbedRequest[], settings: EmbedJobSettings): EmbedJobResult {
  let textCount = 0;
  for (const parsed of batch) if (parsed.ok) textCount += parsed.texts.length;
  const message = batchFailure(batch, settings.badTextMarker);
  if (message !== undefined) return { ok: false, textCount, durationMs: 0, message };
  const bodies = batch.map((parsed) => (parsed.ok ? embeddingBody(parsed.texts, parsed.batch, settings) : ''));
  return { ok: true, textCount, durationMs: settings.baseMs + settings.perItemMs * textCount, bodies };
}
