/**
 * Collects a backend's answer body up to its cap, for every HttpTransport alike. A 2xx body past
 * `maxResponseBytes` is a bad answer and fails the call; an error body is only read for its short
 * error type, so it is cut at ERROR_BODY_MAX_BYTES and the prefix kept. Either way the transport
 * stops reading and closes the connection the moment `add` returns false: nothing past the cap is
 * buffered, and the socket cannot be reused with an unread body on it.
 */
import { ERROR_BODY_MAX_BYTES } from './answer-limit';
import { UpstreamError, UpstreamFailure } from './upstream-error';

export class BoundedBody {
  private readonly chunks: Uint8Array[] = [];
  private size = 0;
  private overflowed = false;
  private readonly success: boolean;
  private readonly limit: number;

  constructor(private readonly status: number, maxResponseBytes: number) {
    this.success = status >= 200 && status < 300;
    this.limit = this.success ? maxResponseBytes : Math.min(maxResponseBytes, ERROR_BODY_MAX_BYTES);
  }

  /** Keeps a chunk; false once the body has passed its cap, when the caller must stop reading. */
  add(chunk: Uint8Array): boolean {
    const room = this.limit - this.size;
    if (chunk.byteLength <= room) {
      this.chunks.push(chunk);
      this.size += chunk.byteLength;
      return true;
    }
    if (!this.success && room > 0) {
      this.chunks.push(chunk.subarray(0, room));
      this.size = this.limit;
    }
    this.overflowed = true;
    return false;
  }

  /** The UpstreamError of reason `too_large` when a 2xx body passed its cap, else undefined. */
  failure(): UpstreamError | undefined {
    if (!this.overflowed || !this.success) return undefined;
    return new UpstreamError(UpstreamFailure.tooLarge,
      `the backend's answer passed ${this.limit} bytes, more than the vectors asked for can take`, { upstreamStatus: this.status });
  }

  /** The body as text (an error body possibly cut short); throws `failure()` when there is one. */
  text(): string {
    const failure = this.failure();
    if (failure !== undefined) throw failure;
    return Buffer.concat(this.chunks, this.size).toString('utf8');
  }
}
