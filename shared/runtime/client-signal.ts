/**
 * The Node server's client-gone signal for one request: aborted when the response closes before
 * it was finished, that is when the client left. The web Request's AbortSignal says the same but
 * costs far more per request (Node 20 makes every AbortSignal transferable: about 30 µs in
 * `npm run bench -- --cpu-prof`); this is one 'close' listener and an array.
 */
import type { CancelSignal } from '../embed/embedder';

/** What the signal needs of a Node (HTTP/1 or HTTP/2) server response. */
export interface ClosingResponse {
  once(event: 'close', listener: () => void): unknown;
  readonly writableFinished?: boolean;
  readonly writableEnded?: boolean;
}

export class ClientSignal implements CancelSignal {
  aborted = false;
  private listeners: (() => void)[] = [];

  constructor(response: ClosingResponse) {
    response.once('close', () => {
      if (response.writableFinished ?? response.writableEnded ?? false) return;
      this.aborted = true;
      const listeners = this.listeners;
      this.listeners = [];
      for (const listener of listeners) listener();
    });
  }

  /** Like AbortSignal's: a listener added after the abort is never called; each is called once. */
  addEventListener(_type: 'abort', listener: () => void): void {
    if (!this.aborted) this.listeners.push(listener);
  }

  removeEventListener(_type: 'abort', listener: () => void): void {
    const index = this.listeners.indexOf(listener);
    if (index >= 0) this.listeners.splice(index, 1);
  }
}
