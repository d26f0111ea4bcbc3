/**
 * Turns queued work items into one upstream call: identical texts, from one request or several,
 * share one slot, and each slot remembers the items its vector answers.
 */
import type { PendingRequest, WorkItem } from './pending-request';

export interface BatchSlots {
  /** Distinct texts to send, one per slot. */
  readonly texts: string[];
  /** For each slot, the items its vector fills. */
  readonly owners: WorkItem[][];
  readonly requests: ReadonlySet<PendingRequest>;
  /** The latest deadline among the requests: nobody waits for the call past it. */
  readonly deadline: number;
  /** True when no item has been sent before (the call earns retry budget). */
  readonly firstAttempt: boolean;
  /** Requests some of whose texts this call retries. */
  readonly retried: ReadonlySet<PendingRequest>;
}

/** Groups `items` into slots and counts this call as a try of each item. */
export function groupBySlot(items: readonly WorkItem[]): BatchSlots {
  const slotOf = new Map<string, number>();
  const texts: string[] = [];
  const owners: WorkItem[][] = [];
  const requests = new Set<PendingRequest>();
  const retried = new Set<PendingRequest>();
  let deadline = 0;
  let firstAttempt = true;
  for (const item of items) {
    let slot = slotOf.get(item.text);
    if (slot === undefined) {
      slot = texts.length;
      slotOf.set(item.text, slot);
      texts.push(item.text);
      owners.push([]);
    }
    owners[slot]?.push(item);
    if (item.tries > 0) {
      firstAttempt = false;
      retried.add(item.request);
    }
    item.tries++;
    requests.add(item.request);
    deadline = Math.max(deadline, item.request.deadline);
  }
  return { texts, owners, requests, deadline, firstAttempt, retried };
}
