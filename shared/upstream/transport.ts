/**
 * The HTTP transport upstream clients talk through. One small interface so each runtime picks its
 * own implementation: undici pools for long-lived servers (undici-transport.ts), `node:http` with
 * keep-alive agents where a bundle's cold start matters (the Lambda handlers: node-http-transport.ts),
 * Node's built-in fetch for runtimes that prefer the web API (fetch-transport.ts).
 */

export interface TransportRequest {
  readonly url: string;
  readonly method: 'GET' | 'POST';
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: string;
  /** Budget for the whole exchange, headers and body. */
  readonly timeoutMs: number;
  /** Aborted when the caller no longer wants the answer. */
  readonly signal?: AbortSignal;
  /**
   * The most body bytes to read (answer-limit.ts derives it from what was asked). A 2xx body past
   * it fails the call as `too_large`; an error body is cut at the smaller ERROR_BODY_MAX_BYTES. The
   * read stops and the connection closes at the cap: nothing beyond it is buffered.
   */
  readonly maxResponseBytes: number;
}

export interface TransportResponse {
  readonly status: number;
  /** Lower-case header names. */
  readonly headers: Readonly<Record<string, string | undefined>>;
  readonly body: string;
}

export interface HttpTransport {
  /**
   * Performs one exchange. Resolves for every HTTP status; rejects only with an UpstreamError of
   * reason `connect`, `timeout`, `reset`, `aborted` or `too_large`.
   */
  request(request: TransportRequest): Promise<TransportResponse>;
  close(): Promise<void>;
}
