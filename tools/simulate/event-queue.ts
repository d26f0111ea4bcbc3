/**
 * The discrete-event queue: a binary min-heap on (time, insertion order). The insertion order
 * breaks ties, so two events at the same millisecond always run in the order they were scheduled
 * and a run is deterministic without relying on the heap's internal layout.
 */

/** One scheduled event; `kind` and the two payload slots are the caller's. */
export interface SimEvent {
  readonly time: number;
  readonly seq: number;
  readonly kind: number;
  readonly a: number;
  readonly b: number;
}

export class EventQueue {
  private readonly heap: SimEvent[] = [];
  private seq = 0;

  get size(): number {
    return this.heap.length;
  }

  push(time: number, kind: number, a = 0, b = 0): void {
    const event: SimEvent = { time, seq: this.seq++, kind, a, b };
    const heap = this.heap;
    let index = heap.length;
    heap.push(event);
    while (index > 0) {
      const parentIndex = (index - 1) >> 1;
      const parent = heap[parentIndex] as SimEvent;
      if (!before(event, parent)) break;
      heap[index] = parent;
      index = parentIndex;
    }
    heap[index] = event;
  }

  /** The earliest event, left in place. */
  peek(): SimEvent | undefined {
    return this.heap[0];
  }

  /** The earliest event, removed; undefined when empty. */
  pop(): SimEvent | undefined {
    const heap = this.heap;
    const top = heap[0];
    const last = heap.pop();
    if (top === undefined || last === undefined || heap.length === 0) return top;
    let index = 0;
    const length = heap.length;
    for (;;) {
      const left = 2 * index + 1;
      if (left >= length) break;
      const right = left + 1;
      let child = left;
      if (right < length && before(heap[right] as SimEvent, heap[left] as SimEvent)) child = right;
      const childEvent = heap[child] as SimEvent;
      if (!before(childEvent, last)) break;
      heap[index] = childEvent;
      index = child;
    }
    heap[index] = last;
    return top;
  }
}

function before(x: SimEvent, y: SimEvent): boolean {
  return x.time < y.time || (x.time === y.time && x.seq < y.seq);
}
