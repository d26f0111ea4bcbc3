/**
 * What went wrong talking to a backend, classified once so that retry policy and the HTTP
 * mapping both key on `reason`. Upstream trouble is always 502/503/504 to our clients, never 500,
 * and never echoes the backend's address.
 */
import { ErrorCode, FrontDoorError } from '../errors';

export const UpstreamFailure = {
  /** Connection refused / DNS failure / connect timeout: nothing reached the backend. */
  connect: 'connect',
  /** No (complete) answer within the call's time budget. */
  timeout: 'timeout',
  /** The socket closed mid-exchange. */
  reset: 'reset',
  /** The backend answered 429/503: overloaded, not ready or shutting down. */
  overloaded: 'overloaded',
  /** The backend answered another error status. */
  status: 'status',
  /** The backend answered 2xx with a body that is not the embeddings we asked for. */
  badResponse: 'bad_response',
  /** The backend's answer passed the cap derived from what was asked (answer-limit.ts). */
  tooLarge: 'too_large',
  /** The caller gave up (client disconnected); nobody is waiting for the answer. */
  aborted: 'aborted',
} as const;
export type UpstreamFailure = (typeof UpstreamFailure)[keyof typeof UpstreamFailure];

const HTTP_BY_FAILURE = {
  connect: [503, ErrorCode.backendUnavailable],
  timeout: [504, ErrorCode.backendTimeout],
  reset: [502, ErrorCode.backendError],
  overloaded: [503, ErrorCode.backendOverloaded],
  status: [502, ErrorCode.backendError],
  bad_response: [502, ErrorCode.backendBadResponse],
  too_large: [502, ErrorCode.backendResponseTooLarge],
  aborted: [503, ErrorCode.backendUnavailable],
} as const satisfies Record<UpstreamFailure, readonly [number, ErrorCode]>;

export interface UpstreamErrorDetails {
  /** The backend's HTTP status, when it answered. */
  upstreamStatus?: number;
  /** The backend's own error type (DJL's `WlmCapacityException`, TEI's `error_type`). */
  upstreamType?: string;
  cause?: unknown;
}

export class UpstreamError extends FrontDoorError {
  override readonly name: string = 'UpstreamError';
  readonly upstreamStatus: number | undefined;
  readonly upstreamType: string | undefined;

  constructor(readonly reason: UpstreamFailure, message: string, details: UpstreamErrorDetails = {}) {
    const [status, code] = HTTP_BY_FAILURE[reason];
    super(status, code, message, { cause: details.cause });
    this.upstreamStatus = details.upstreamStatus;
    this.upstreamType = details.upstreamType;
  }

  /**
   * Whether another endpoint may succeed. Embedding is idempotent, so a retry is safe whenever the
   * failure says nothing about the input: connect errors, timeouts, resets and overload. Bad
   * answers (`bad_response`, `too_large`) are not: the dispatcher retries those elsewhere by its
   * own bad-answer rule, never as a connection failure.
   */
  get isRetryable(): boolean {
    return this.reason === UpstreamFailure.connect || this.reason === UpstreamFailure.timeout ||
      this.reason === UpstreamFailure.reset || this.reason === UpstreamFailure.overloaded ||
      (this.reason === UpstreamFailure.status && (this.upstreamStatus === 502 || this.upstreamStatus === 504));
  }
}

export const isUpstreamError = (value: unknown): value is UpstreamError => value instanceof UpstreamError;
