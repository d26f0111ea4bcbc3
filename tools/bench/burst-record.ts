/**
 * One request as the load generator saw it, when the plan asks for records (`--record`): when it
 * was due, how it ended, and what the front door said about it in its headers (`x-embed-tier`,
 * `x-embed-overflow`, `Retry-After`, `Server-Timing`). The burst benchmark cuts these into phases.
 * Pure: headers in, record fields out.
 */

/** What one request did. Times in milliseconds; `atMs` from the start of the load. */
export interface RequestRecord {
  /** When it was due to start (its place in the open-loop schedule). */
  readonly atMs: number;
  /** How late the generator actually sent it: its own lag, which should stay near 0. */
  readonly lagMs: number;
  /** From when it was due to the last byte of the answer (or the failure). */
  readonly latencyMs: number;
  /** `ok`, `status 429`, `wrong vector count`, or an error code (`UND_ERR_HEADERS_TIMEOUT`). */
  readonly outcome: string;
  /** HTTP status; absent when no answer came. */
  readonly status?: number;
  /** `x-embed-tier`: cpu or gpu. */
  readonly tier?: string;
  /** `x-embed-overflow`: why the GPU tier served. */
  readonly overflow?: string;
  /** `Retry-After`, as sent. */
  readonly retryAfter?: string;
  /** Server-Timing `queue`: waiting in the front door's queue. */
  readonly queueMs?: number;
  /** Server-Timing `upstream`: the backend call. */
  readonly upstreamMs?: number;
  /** Server-Timing `total`: the front door's own time for the request. */
  readonly serverMs?: number;
}

/** Response headers as undici gives them: lower-case names, repeated ones as arrays. */
export type ResponseHeaders = Readonly<Record<string, string | string[] | undefined>>;

/** The first value of a header, if any. */
export function headerValue(headers: ResponseHeaders, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/** Server-Timing's `name;dur=N` metrics by name (`queue;dur=1.2, upstream;dur=30`). */
export function parseServerTiming(header: string | undefined): Record<string, number> {
  const timings: Record<string, number> = {};
  if (header === undefined) return timings;
  for (const metric of header.split(',')) {
    const [name, ...params] = metric.split(';').map((part) => part.trim());
    const duration = params.find((param) => param.startsWith('dur='));
    const value = duration === undefined ? Number.NaN : Number(duration.slice('dur='.length));
    if (name !== undefined && name !== '' && Number.isFinite(value)) timings[name] = value;
  }
  return timings;
}

/** The header-derived fields of a record; fields the front door did not send are left out. */
export function headerFields(status: number, headers: ResponseHeaders): Omit<RequestRecord, 'atMs' | 'lagMs' | 'latencyMs' | 'outcome'> {
  const timing = parseServerTiming(headerValue(headers, 'server-timing'));
  const fields: {
    status: number; tier?: string; overflow?: string; retryAfter?: string; queueMs?: number; upstreamMs?: number; serverMs?: number;
  } = { status };
  const tier = headerValue(headers, 'x-embed-tier');
  const overflow = headerValue(headers, 'x-embed-overflow');
  const retryAfter = headerValue(headers, 'retry-after');
  if (tier !== undefined) fields.tier = tier;
  if (overflow !== undefined) fields.overflow = overflow;
  if (retryAfter !== undefined) fields.retryAfter = retryAfter;
  if (timing.queue !== undefined) fields.queueMs = timing.queue;
  if (timing.upstream !== undefined) fields.upstreamMs = timing.upstream;
  if (timing.total !== undefined) fields.serverMs = timing.total;
  return fields;
}
