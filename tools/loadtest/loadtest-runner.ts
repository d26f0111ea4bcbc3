/**
 * One load-test run against one endpoint: a closed loop (N clients, each sending its next request
 * when the last is answered) or an open loop (requests start on a fixed schedule whatever the
 * answers). A warm-up is sent first and not counted; then the measuring window. The sender, the
 * texts and the clock are passed in, so the loop knows nothing of HTTP or real time.
 */
import { setMaxListeners } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import type { TextSource } from './loadtest-texts';

/** Sends one request of `texts`; resolves when answered well, rejects otherwise. */
export type EmbedSender = (texts: readonly string[], signal: AbortSignal) => Promise<void>;

/** Monotonic time and waiting, injectable so tests control time. */
export interface LoadClock {
  /** Milliseconds, monotonic, fractional allowed. */
  now(): number;
  sleep(ms: number): Promise<void>;
}

/** performance.now() and real timers. */
export const REAL_LOAD_CLOCK: LoadClock = { now: () => performance.now(), sleep: (ms) => sleep(ms) };

/** How one run sends: its batch size, loop kind and bounds. */
export interface RunPlan {
  readonly batch: number;
  /** Closed loop: clients. Ignored by the open loop (the transport's pool bounds connections). */
  readonly concurrency: number;
  readonly warmupMs: number;
  /** Measuring window; undefined when `maxTexts` alone ends the run. */
  readonly durationMs: number | undefined;
  /** Texts to send inside the window; undefined when the duration alone ends the run. */
  readonly maxTexts: number | undefined;
  /** Open loop when set: requests started per second. */
  readonly ratePerS: number | undefined;
  /** After the sending stops, how long answers are awaited before the rest are cut off. */
  readonly drainMs: number;
}

/** One answered (or failed) request that finished inside the window. Times from the window start. */
export interface RequestSample {
  /** When the request was due (closed loop: sent), ms since the window started (negative: warm-up). */
  readonly startMs: number;
  readonly endMs: number;
  readonly texts: number;
  /** `ok`, or the error key the classifier gave. */
  readonly outcome: string;
}

/** The outcome of a request answered well (anything else is an error key). */
export const OK_OUTCOME = 'ok';

/** What a run saw. */
export interface RunRecord {
  readonly windowMs: number;
  readonly samples: readonly RequestSample[];
  /** Requests still unanswered when the drain ran out. */
  readonly unfinished: number;
}

/** Live counts for a progress bar. */
export interface RunProgress {
  /** 0..1 of the run (warm-up included). */
  readonly fraction: number;
  readonly okRequests: number;
  readonly chunks: number;
  readonly errors: number;
  /** Chunks per second since the window started (0 during warm-up). */
  readonly chunksPerS: number;
}

/** Everything a run needs, passed in. */
export interface RunInput {
  readonly send: EmbedSender;
  readonly plan: RunPlan;
  readonly texts: TextSource;
  /** Turns a rejection into an error key such as `503` or `connect`. */
  readonly classify: (error: unknown) => string;
  readonly clock?: LoadClock;
  readonly onProgress?: (progress: RunProgress) => void;
}

/**
 * After a failed request a closed-loop client pauses this long: an endpoint failing at once would
 * otherwise turn the loop into a busy loop that starves the process of CPU.
 */
const ERROR_PAUSE_MS = 10;
const MS_PER_S = 1_000;

/** Runs one plan to its end and returns the samples of its window. */
export async function runLoad(input: RunInput): Promise<RunRecord> {
  const { plan, texts, classify } = input;
  const clock = input.clock ?? REAL_LOAD_CLOCK;
  const startedAt = clock.now();
  const windowStart = startedAt + plan.warmupMs;
  const durationEnd = plan.durationMs === undefined ? Number.POSITIVE_INFINITY : windowStart + plan.durationMs;
  const cutOff = new AbortController();
  // Every outstanding request listens to the one cut-off signal.
  setMaxListeners(0, cutOff.signal);

  const samples: RequestSample[] = [];
  let textsLeft = plan.maxTexts ?? Number.POSITIVE_INFINITY;
  let okRequests = 0;
  let chunks = 0;
  let errors = 0;
  let unfinished = 0;
  let lastEnd = windowStart;

  const fraction = (now: number): number => {
    const byTime = plan.durationMs === undefined ? 0 : (now - startedAt) / (plan.warmupMs + plan.durationMs);
    const byTexts = plan.maxTexts === undefined ? 0 : (plan.maxTexts - Math.max(0, textsLeft)) / plan.maxTexts;
    return Math.min(1, Math.max(byTime, byTexts));
  };

  /** How many texts the next request carries, or 0 when the run is over. */
  function take(now: number): number {
    if (now >= durationEnd || cutOff.signal.aborted) return 0;
    if (now < windowStart) return plan.batch;
    const count = Math.min(plan.batch, textsLeft);
    textsLeft -= count;
    return count;
  }

  async function request(batch: readonly string[], dueAt: number): Promise<boolean> {
    const count = batch.length;
    let outcome = OK_OUTCOME;
    try {
      await input.send(batch, cutOff.signal);
    } catch (error) {
      if (cutOff.signal.aborted) {
        unfinished++;
        return false;
      }
      outcome = classify(error);
    }
    const endedAt = clock.now();
    if (endedAt >= windowStart && endedAt <= durationEnd) {
      samples.push({ startMs: dueAt - windowStart, endMs: endedAt - windowStart, texts: count, outcome });
      lastEnd = Math.max(lastEnd, endedAt);
      if (outcome === OK_OUTCOME) {
        okRequests++;
        chunks += count;
      } else {
        errors++;
      }
    }
    const elapsedS = (endedAt - windowStart) / MS_PER_S;
    input.onProgress?.({ fraction: fraction(endedAt), okRequests, chunks, errors, chunksPerS: elapsedS > 0 ? chunks / elapsedS : 0 });
    return outcome === OK_OUTCOME;
  }

  async function client(): Promise<void> {
    for (;;) {
      const count = take(clock.now());
      if (count === 0) return;
      // The texts are made before the clock starts: latency is the endpoint's, not the generator's.
      const batch = texts.next(count);
      if (!(await request(batch, clock.now()))) await clock.sleep(ERROR_PAUSE_MS);
    }
  }

  /** Open loop: latency counts from when a request was due, so the generator's own lag shows. */
  async function scheduled(ratePerS: number): Promise<void> {
    const intervalMs = MS_PER_S / ratePerS;
    const outstanding = new Set<Promise<boolean>>();
    for (let sequence = 0; ; sequence++) {
      const dueAt = startedAt + sequence * intervalMs;
      const wait = dueAt - clock.now();
      if (wait > 0) await clock.sleep(wait);
      const count = take(dueAt);
      if (count === 0) break;
      const pending = request(texts.next(count), dueAt);
      outstanding.add(pending);
      void pending.finally(() => outstanding.delete(pending));
    }
    await Promise.all(outstanding);
  }

  const sending = plan.ratePerS === undefined
    ? Promise.all(Array.from({ length: plan.concurrency }, () => client()))
    : scheduled(plan.ratePerS);
  // The drain clock starts when the window closes (or, bounded by texts only, never: the timeout
  // of each request bounds it then). A real timer even with a fake clock: what it cuts off are
  // the sender's requests, which run in real time.
  let drainTimer: ReturnType<typeof setTimeout> | undefined;
  if (Number.isFinite(durationEnd)) {
    drainTimer = setTimeout(() => cutOff.abort(), Math.max(0, durationEnd - clock.now()) + plan.drainMs);
  }
  try {
    await sending;
  } finally {
    clearTimeout(drainTimer);
  }
  // A run that ran out of texts ends at its last answer; one bounded by time, at the window's end
  // (not at its last answer, which would overstate the rate of a run with few, slow answers).
  const ranOutOfTexts = textsLeft <= 0 || !Number.isFinite(durationEnd);
  const windowEnd = ranOutOfTexts ? Math.min(durationEnd, Math.max(lastEnd, windowStart)) : durationEnd;
  return { windowMs: windowEnd - windowStart, samples, unfinished };
}
