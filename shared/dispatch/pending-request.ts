/**
 * One client request while the dispatcher works on it: its distinct texts (identical texts are
 * embedded once), the vectors gathered so far, and its one promise. It settles exactly once:
 * with every vector in input order, or with the first error that dooms it.
 */
import type { Tier } from '../core/tier';
import type { EmbedResult } from '../embed/embedder';
import type { FrontDoorError } from '../errors';

export class PendingRequest {
  /** Distinct texts, in first-seen order. */
  readonly uniqueTexts: string[];
  /** For each input position, its index in `uniqueTexts`. */
  private readonly positions: Uint32Array;
  private readonly vectors: (number[] | undefined)[];
  private missing: number;
  settled = false;
  /** Upstream calls that carried some of its texts. */
  attempts = 0;
  /** Upstream calls that carried some of its texts again, after a failure. */
  retries = 0;
  /** When its first batch left the queue. */
  firstSentAt: number | undefined;
  readonly promise: Promise<EmbedResult>;
  private resolvePromise!: (result: EmbedResult) => void;
  private rejectPromise!: (error: FrontDoorError) => void;

  constructor(
    texts: readonly string[],
    readonly requestId: string,
    readonly deadline: number,
    readonly enqueuedAt: number,
    private readonly tier: Tier,
    private readonly onSettle: (request: PendingRequest) => void,
  ) {
    const indexOf = new Map<string, number>();
    this.uniqueTexts = [];
    this.positions = new Uint32Array(texts.length);
    texts.forEach((text, position) => {
      let index = indexOf.get(text);
      if (index === undefined) {
        index = this.uniqueTexts.length;
        indexOf.set(text, index);
        this.uniqueTexts.push(text);
      }
      this.positions[position] = index;
    });
    this.vectors = new Array<number[] | undefined>(this.uniqueTexts.length);
    this.missing = this.uniqueTexts.length;
    this.promise = new Promise<EmbedResult>((resolve, reject) => {
      this.resolvePromise = resolve;
      this.rejectPromise = reject;
    });
  }

  /** The first input position holding unique text `index` (for error messages). */
  positionOf(index: number): number {
    return this.positions.indexOf(index);
  }

  fill(index: number, vector: number[], now: number): void {
    if (this.settled || this.vectors[index] !== undefined) return;
    this.vectors[index] = vector;
    if (--this.missing > 0) return;
    this.settled = true;
    const ordered = Array.from(this.positions, (unique) => this.vectors[unique] as number[]);
    this.onSettle(this);
    const sentAt = this.firstSentAt ?? now;
    this.resolvePromise({
      vectors: ordered,
      tier: this.tier,
      attempts: this.attempts,
      retries: this.retries,
      queueMs: sentAt - this.enqueuedAt,
      upstreamMs: now - sentAt,
    });
  }

  fail(error: FrontDoorError): void {
    if (this.settled) return;
    this.settled = true;
    this.onSettle(this);
    this.rejectPromise(error);
  }
}

/** One distinct text of one request, waiting for or riding in a batch. */
export interface WorkItem {
  readonly request: PendingRequest;
  readonly index: number;
  readonly text: string;
  /** Upstream calls this item has been in. */
  tries: number;
  /** Endpoints where its batch failed; a retry goes elsewhere while it can. */
  avoid: Set<string> | undefined;
  /** Set once a backend refused a batch holding it: it now travels in isolation batches. */
  isolating?: boolean;
}
