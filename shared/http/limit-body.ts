/**
 * The request body limits, checked before any byte of the body is read: the size of one body
 * (MAX_BODY_BYTES, 413) and the bytes of every body being received at once (the process-wide
 * BodyBudget, MAX_INFLIGHT_BODY_BYTES). With a Content-Length (what the openai SDK, curl and DJL
 * clients send) the header decides at once, and the body is then read by the runtime's fast path;
 * only a chunked body of unknown length is counted here while it streams, chunk by chunk. A refused
 * body is never buffered: the runtime discards what the client still sends.
 */
import type { Context, MiddlewareHandler } from 'hono';
import type { BodyBudget, BodyLease } from '../security/body-budget';
import type { AppEnv } from './app-env';
import { readFailure } from './read-body';

export interface BodyLimitOptions {
  readonly maxBytes: number;
  readonly budget: BodyBudget;
  /** Throws the 413 for one body over `maxBytes`. */
  readonly tooLarge: () => never;
  /** Throws the refusal for a body the budget cannot take now. */
  readonly overBudget: () => never;
}

/** Reads a chunked body into memory, counting each chunk against both limits as it arrives. */
async function readCounted(c: Context<AppEnv>, lease: BodyLease, options: BodyLimitOptions): Promise<void> {
  const body = c.req.raw.body;
  if (body === null) return;
  const reader = (body as ReadableStream<Uint8Array>).getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    let chunk: Awaited<ReturnType<typeof reader.read>>;
    try {
      chunk = await reader.read();
    } catch (error) {
      throw readFailure(c, error);
    }
    if (chunk.done) break;
    size += chunk.value.length;
    if (size > options.maxBytes) options.tooLarge();
    if (!lease.reserve(chunk.value.length)) options.overBudget();
    chunks.push(chunk.value);
  }
  c.req.raw = new Request(c.req.raw, { body: Buffer.concat(chunks, size) });
}

/**
 * Reserves a body of known length against both limits before any of it is read: the 413 for one
 * body over `maxBytes`, the budget's refusal when it cannot take it now. The Node server's embed
 * fast lane admits its bodies through this too.
 */
export function admitKnownLength(options: BodyLimitOptions, lease: BodyLease, bytes: number): void {
  if (bytes > options.maxBytes) options.tooLarge();
  if (bytes > 0 && !lease.reserve(bytes)) options.overBudget();
}

export function limitBody(options: BodyLimitOptions): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const lease = options.budget.lease();
    c.set('bodyLease', lease);
    try {
      const length = c.req.header('content-length');
      if (length !== undefined && c.req.header('transfer-encoding') === undefined) {
        admitKnownLength(options, lease, Number(length));
      } else {
        await readCounted(c, lease, options);
      }
      await next();
    } finally {
      // The route releases it once the body is parsed; this covers every other way out.
      lease.release();
    }
  };
}
