/**
 * The front door's queue for one tier, in three lanes served in order: isolation batches (halves
 * of a batch a backend refused, sent as they are), retries (which avoid the endpoint that failed
 * them), and fresh texts. Fresh texts wait per tenant (an API key, or all unkeyed clients as one)
 * and batches take them round-robin across tenants, one text per tenant per turn: a tenant with
 * thousands of texts queued delays another's next text by at most one text per other tenant, not
 * by its whole backlog (deficit round robin with a quantum of one text). Within a tenant, texts
 * keep their arrival order. It counts the texts it holds (in all and per tenant) and their
 * characters, so admission control can bound them.
 */
import type { FrontDoorError } from '../errors';
import type { PendingRequest, WorkItem } from './pending-request';

/** An amount of queued work: texts and their characters. */
export interface QueueAmount {
  readonly texts: number;
  readonly chars: number;
}

/** Compact a tenant's array once this many consumed slots lie before its head. */
const COMPACT_AFTER = 1024;

/** One tenant's fresh texts, oldest first. */
class TenantLane {
  items: WorkItem[] = [];
  head = 0;
  /** Texts held (including those of requests that settled meanwhile, until they are dropped). */
  texts = 0;

  constructor(readonly tenant: string) {}

  peek(): WorkItem | undefined {
    return this.items[this.head];
  }

  shift(): void {
    this.head++;
    this.texts--;
    if (this.head >= COMPACT_AFTER || this.head === this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
  }
}

export class WorkQueue {
  /** Tenants with fresh texts, in serving order; `turn` is the next one to give a text. */
  private readonly ring: TenantLane[] = [];
  private readonly lanes = new Map<string, TenantLane>();
  private turn = 0;
  private readonly retries: WorkItem[] = [];
  private readonly isolated: WorkItem[][] = [];
  /** Texts in the retry and isolation lanes, which go before any tenant's. */
  private ahead = 0;
  /** Texts held in all lanes. */
  texts = 0;
  /** Their characters (UTF-16 code units), which bound the memory the queue holds. */
  chars = 0;

  get isEmpty(): boolean {
    return this.texts === 0;
  }

  get hasRetries(): boolean {
    return this.retries.length > 0;
  }

  /** Tenants with fresh texts waiting. */
  get tenants(): number {
    return this.ring.length;
  }

  /** Fresh texts `tenant` has waiting. */
  tenantTexts(tenant: string): number {
    return this.lanes.get(tenant)?.texts ?? 0;
  }

  /**
   * Texts that leave the queue before the last of `extra` more texts from `tenant` would: the
   * retry and isolation lanes, that tenant's own texts, and from each other tenant at most as many
   * as the round robin serves while `tenant`'s are served.
   */
  workBefore(tenant: string, extra: number): number {
    const own = this.tenantTexts(tenant) + extra;
    let work = this.ahead + own;
    for (const lane of this.ring) if (lane.tenant !== tenant) work += Math.min(lane.texts, own);
    return work;
  }

  pushFresh(item: WorkItem, tenant: string): void {
    let lane = this.lanes.get(tenant);
    if (lane === undefined) {
      lane = new TenantLane(tenant);
      this.lanes.set(tenant, lane);
      // A tenant that had nothing waiting is served next: a client sending a request now and then
      // gets its texts into the next batch whatever others have queued.
      this.ring.splice(this.turn, 0, lane);
    }
    lane.items.push(item);
    lane.texts++;
    this.hold(item);
  }

  pushRetry(item: WorkItem): void {
    this.retries.push(item);
    this.ahead++;
    this.hold(item);
  }

  pushIsolated(items: WorkItem[]): void {
    if (items.length === 0) return;
    this.isolated.push(items);
    this.ahead += items.length;
    for (const item of items) this.hold(item);
  }

  peekIsolated(): WorkItem[] | undefined {
    return this.isolated[0];
  }

  peekRetry(): WorkItem | undefined {
    return this.retries[0];
  }

  /** The oldest fresh text waiting at the head of a tenant's lane. */
  oldestFresh(): WorkItem | undefined {
    let oldest: WorkItem | undefined;
    for (const lane of this.ring) {
      const item = lane.peek();
      if (item !== undefined && (oldest === undefined || item.request.enqueuedAt < oldest.request.enqueuedAt)) oldest = item;
    }
    return oldest;
  }

  takeIsolated(): WorkItem[] {
    const items = this.isolated.shift() ?? [];
    this.ahead -= items.length;
    for (const item of items) this.release(item);
    return items.filter((item) => !item.request.settled);
  }

  /**
   * Takes up to `batchSize` distinct texts (and `maxChars` characters, when set) for the
   * endpoint `endpointId`: retries that need not avoid it first, then fresh texts round-robin
   * across tenants. `forced` lets retries run on an endpoint they would avoid (no other one is
   * serving).
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
      this.release(item);
    };

    for (let index = 0; index < this.retries.length && distinct.size < batchSize;) {
      const item = this.retries[index] as WorkItem;
      if (item.request.settled) {
        this.retries.splice(index, 1);
        this.ahead--;
        this.release(item);
      } else if ((forced || item.avoid?.has(endpointId) !== true) && fits(item)) {
        this.retries.splice(index, 1);
        this.ahead--;
        add(item);
      } else {
        index++;
      }
    }
    while (this.ring.length > 0) {
      if (this.turn >= this.ring.length) this.turn = 0;
      const lane = this.ring[this.turn] as TenantLane;
      const item = this.liveHead(lane);
      if (item === undefined) {
        this.retire(this.turn);
        continue;
      }
      // The tenant whose text does not fit keeps its turn: it starts the next batch.
      if (!fits(item)) break;
      lane.shift();
      add(item);
      if (lane.texts === 0) this.retire(this.turn);
      else this.turn++;
    }
    return batch;
  }

  /** Drops texts whose request already settled (deadline, abort, failure elsewhere) from the lanes' heads. */
  dropSettled(): void {
    for (let index = 0; index < this.ring.length;) {
      if (this.liveHead(this.ring[index] as TenantLane) === undefined) this.retire(index);
      else index++;
    }
    while (this.retries.length > 0 && (this.retries[0] as WorkItem).request.settled) {
      this.release(this.retries.shift() as WorkItem);
      this.ahead--;
    }
    while (this.isolated.length > 0 && (this.isolated[0] as WorkItem[]).every((item) => item.request.settled)) {
      const items = this.isolated.shift() as WorkItem[];
      this.ahead -= items.length;
      for (const item of items) this.release(item);
    }
  }

  /**
   * Makes room for `needed` more texts (and characters) from `tenant` when the queue would hold
   * more than `capacity`, by taking back the newest requests of the tenant with the most texts waiting, as long as that
   * tenant would still hold more than `tenant` after admitting them (longest queue first, as
   * fair-queuing routers drop). Returns the requests taken back, for the caller to fail.
   */
  shed(tenant: string, needed: QueueAmount, capacity: QueueAmount): PendingRequest[] {
    const shed: PendingRequest[] = [];
    const own = this.tenantTexts(tenant) + needed.texts;
    while (this.texts + needed.texts > capacity.texts || this.chars + needed.chars > capacity.chars) {
      let largest: TenantLane | undefined;
      for (const lane of this.ring) if (lane.tenant !== tenant && (largest === undefined || lane.texts > largest.texts)) largest = lane;
      if (largest === undefined || largest.texts <= own) break;
      const newest = (largest.items[largest.items.length - 1] as WorkItem).request;
      // A request's fresh texts were queued together and leave only from the head, so whatever
      // of them still waits is the lane's tail.
      while (largest.texts > 0) {
        const tail = largest.items[largest.items.length - 1] as WorkItem;
        if (tail.request !== newest) break;
        largest.items.pop();
        largest.texts--;
        this.release(tail);
      }
      if (largest.texts === 0) this.retire(this.ring.indexOf(largest));
      shed.push(newest);
    }
    return shed;
  }

  /** Fails every waiting request and empties the queue. */
  failAll(error: FrontDoorError): void {
    const items = [...this.isolated.flat(), ...this.retries, ...this.ring.flatMap((lane) => lane.items.slice(lane.head))];
    this.isolated.length = 0;
    this.retries.length = 0;
    this.ring.length = 0;
    this.lanes.clear();
    this.turn = 0;
    this.ahead = 0;
    this.texts = 0;
    this.chars = 0;
    for (const item of items) item.request.fail(error);
  }

  private hold(item: WorkItem): void {
    this.texts++;
    this.chars += item.text.length;
  }

  private release(item: WorkItem): void {
    this.texts--;
    this.chars -= item.text.length;
  }

  /** The lane's first text whose request still waits, dropping settled ones before it. */
  private liveHead(lane: TenantLane): WorkItem | undefined {
    for (let item = lane.peek(); item !== undefined; item = lane.peek()) {
      if (!item.request.settled) return item;
      lane.shift();
      this.release(item);
    }
    return undefined;
  }

  /** Removes the tenant at `index` of the ring, whose lane is empty. */
  private retire(index: number): void {
    const lane = this.ring[index] as TenantLane;
    this.ring.splice(index, 1);
    this.lanes.delete(lane.tenant);
    if (index < this.turn) this.turn--;
  }
}
