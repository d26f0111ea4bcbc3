/**
 * The process-wide budget of request-body bytes being received and held at once
 * (MAX_INFLIGHT_BODY_BYTES). The texts queue bounds work only once a body is parsed; without this,
 * 300 uploads of 5 MB arriving together took a server from 573 to 1,738 MB. Each request holds a
 * lease: the whole Content-Length is reserved before a byte is read, a chunked body chunk by chunk
 * as it arrives, and the lease is released once the body is parsed or the request ends, whichever
 * comes first, so a refused or aborted upload never keeps its bytes.
 */

/** One request's share of the budget. */
export interface BodyLease {
  /** Reserves `bytes` more; false, reserving nothing, when that would pass the budget. */
  reserve(bytes: number): boolean;
  /** Returns everything this lease reserved. Safe to call more than once. */
  release(): void;
}

export class BodyBudget {
  #inUse = 0;

  constructor(readonly maxBytes: number) {}

  /** Bytes reserved by every open lease. */
  get inUse(): number {
    return this.#inUse;
  }

  /** A new, empty lease. */
  lease(): BodyLease {
    let held = 0;
    let released = false;
    return {
      reserve: (bytes) => {
        if (released || this.#inUse + bytes > this.maxBytes) return false;
        this.#inUse += bytes;
        held += bytes;
        return true;
      },
      release: () => {
        if (released) return;
        released = true;
        this.#inUse -= held;
        held = 0;
      },
    };
  }
}
