/**
 * The front door's queue for one tier, in three lanes served in order: isolation batches (halves
 * of a batch a backend refused, sent as they are), retries (which avoid the endpoint that failed
 * them), and fresh texts in arrival order. It counts the texts it holds, so admission control can
 * bound it.
 */
import type { FrontDoorError } from '../errors';
import type { WorkItem } from './pending-request';

/** Compact the fresh lane's array once this many consumed slots lie before its head. */
const COMPACT_AFTER = 1024;

export class WorkQueue {
  private fresh: WorkItem[] = [];
  private head = 0;
  private readonly retries: WorkItem[] = [];
  private readonly isolated: WorkItem[][] = [];
  /** Texts held in all lanes. */
  texts = 0;

  get isEmpty(): boolean {
    return this.texts === 0;
  }

  get hasRetries(): boolean {
    return this.retries.length > 0;
  }

  pushFresh(item: WorkItem): void {
    this.fresh.push(item);
    this.texts++;
  }

  pushRetry(item: WorkItem): void {
    this.retries.push(item);
    this.texts++;
  }

  pushIsolated(items: WorkItem[]): void {
    if (items.length === 0) return;
    this.isolated.push(items);
    this.texts += items.length;
  }

  peekIsolated(): WorkItem[] | undefined {
    return this.isolated[0];
  }

  peekRetry(): WorkItem | undefined {
    return this.retries[0];
  }

  /** The oldest fresh text. */
  oldestFresh(): WorkItem | undefined {
    return this.fresh[this.head];
  }

  takeIsolated(): WorkItem[] {
    const items = this.isolated.shift() ?? [];
    this.texts -= items.length;
    return items.filter((item) => !item.request.settled);
  }

  /**
   * Takes up to `batchSize` distinct texts (and `maxChars` characters, when set) for the
   * endpoint `endpointId`: retries that need not avoid it first, then fresh texts in order.
   * `forced` lets retries run on an endpoint they would avoid (no other one is serving).
   */
  takeBatch(endpointId: string, forced: boolean, batchSize: number, maxChars: number): WorkItem[] {
    const batch: WorkItem[] = [];
    const distinct = new Set<string>();
    let chars = 0;
    const fits = (item: WorkItem): boolean => {
      if (distinct.has(item.text)) return true;
      if (distinct.size >= batchSize) return false;
      // A single text longer than the budget still goes, alone.
      return maxChars <= 0 || distinct.size === 0 || chars + item.text.length <= maxChars;
    };
    const add = (item: WorkItem): void => {
      if (!distinct.has(item.text)) {
        distinct.add(item.text);
        chars += item.text.length;
      }
      batch.push(item);
      this.texts--;
    };

    for (let index = 0; index < this.retries.length && distinct.size < batchSize;) {
      const item = this.retries[index] as WorkItem;
      if (item.request.settled) {
        this.retries.splice(index, 1);
        this.texts--;
      } else if ((forced || item.avoid?.has(endpointId) !== true) && fits(item)) {
        this.retries.splice(index, 1);
        add(item);
      } else {
        index++;
      }
    }
    while (this.head < this.fresh.length) {
      const item = this.fresh[this.head] as WorkItem;
      if (item.request.settled) {
        this.head++;
        this.texts--;
        continue;
      }
      if (!fits(item)) break;
      this.head++;
      add(item);
    }
    this.compact();
    return batch;
  }

  /** Drops texts whose request already settled (deadline, abort, failure elsewhere) from the lanes' heads. */
  dropSettled(): void {
    while (this.head < this.fresh.length && (this.fresh[this.head] as WorkItem).request.settled) {
      this.head++;
      this.texts--;
    }
    while (this.retries.length > 0 && (this.retries[0] as WorkItem).request.settled) {
      this.retries.shift();
      this.texts--;
    }
    while (this.isolated.length > 0 && (this.isolated[0] as WorkItem[]).every((item) => item.request.settled)) {
      this.texts -= (this.isolated.shift() as WorkItem[]).length;
    }
    this.compact();
  }

  /** Fails every waiting request and empties the queue. */
  failAll(error: FrontDoorError): void {
    const items = [...this.isolated.flat(), ...this.retries, ...this.fresh.slice(this.head)];
    this.isolated.length = 0;
    this.retries.length = 0;
    this.fresh = [];
    this.head = 0;
    this.texts = 0;
    for (const item of items) item.request.fail(error);
  }

  private compact(): void {
    if (this.head >= COMPACT_AFTER || (this.head > 0 && this.head === this.fresh.length)) {
      this.fresh = this.fresh.slice(this.head);
      this.head = 0;
    }
  }
}
