/**
 * The one load engine of the load tester and the benchmarks: a closed loop (N clients, each
 * sending its next request when the last is answered, optionally paced to one request per
 * interval) or an open loop (requests start on a schedule whatever the answers). A warm-up is sent
 * first; then the measuring window; then, for answers still in flight, a bounded drain. What a
 * request is (HTTP, dialect, body) is the sender's business, so the loop knows nothing of HTTP.
 */
import { setMaxListeners } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';

/** The outcome of a request answered well (anything else is an error key such as `503`). */
export const OK_OUTCOME = 'ok';

/** One request to make: which client sends it, its number, and how many texts it carries. */
export interface LoadJob {
  /** Closed loop: the client's index. Open loop: 0. */
  readonly client: number;
  /** The client's own request count (open loop: the schedule's). */
  readonly sequence: number;
  readonly texts: number;
}

/** What a sender reports of one answer. */
export interface SendResult {
  /** {@link OK_OUTCOME}, or the error key the request is counted under. */
  readonly outcome: string;
  /** Anything the sender wants kept with the sample (headers, say). */
  readonly details?: Readonly<Record<string, unknown>>;
}

/**
 * Makes requests. `prepare` runs before the clock starts (the texts and body are the generator's
 * cost, not the endpoint's); `send` resolves with the outcome, or rejects, and the rejection is
 * counted under `classify(error)` and told in words by `describe(error)` (default: its message).
 */
export interface LoadSender<P> {
  prepare(job: LoadJob): P;
  send(prepared: P, signal: AbortSignal): Promise<SendResult>;
  readonly classify?: (error: unknown) => string;
  readonly describe?: (error: unknown) => string;
}

/** Monotonic time and waiting, injectable so tests control time. */
export interface LoadClock {
  /** Milliseconds, monotonic, fractional allowed. */
  now(): number;
  sleep(ms: number): Promise<void>;
}

/** performance.now() and real timers. */
export const REAL_LOAD_CLOCK: LoadClock = { now: () => performance.now(), sleep: (ms) => sleep(ms) };

/** How one run sends. */
export interface LoadPlan {
  /** Texts per request. */
  readonly batch: number;
  /** Closed loop: clients, each with one request outstanding. */
  readonly clients: number;
  /** Closed loop: above 0, each client starts a request at most once per interval. */
  readonly intervalMs: number;
  /**
   * Open loop when set: when request `sequence` is due, ms after the run starts, or undefined
   * when the schedule is over.
   */
  readonly arrivalMs?: (sequence: number) => number | undefined;
  readonly warmupMs: number;
  /** Measuring window; undefined when `maxTexts` alone ends the run. */
  readonly durationMs: number | undefined;
  /** Texts to send inside the window; undefined: no bound. */
  readonly maxTexts?: number;
  /** Requests to send at most, warm-up included; undefined: no bound. */
  readonly maxRequests?: number;
  /** After the window closes, how long answers are awaited before the rest are cut off. */
  readonly drainMs: number;
}

/** One request that was answered (well or not) before the cut-off. Times in ms from the window start. */
export interface RequestSample {
  /** When the request was due (closed loop: sent); negative during the warm-up. */
  readonly startMs: number;
  /** How late it was actually sent (open loop: the generator's own lag). */
  readonly lagMs: number;
  readonly endMs: number;
  readonly texts: number;
  readonly outcome: string;
  /** Whether it finished inside the measuring window (the only ones counted). */
  readonly inWindow: boolean;
  readonly details?: Readonly<Record<string, unknown>>;
}

/** What a run saw. */
export interface LoadRecord {
  readonly windowMs: number;
  /** Every answered request, warm-up included, in the order they finished. */
  readonly samples: readonly RequestSample[];
  /** Requests still unanswered when the drain ran out. */
  readonly unfinished: number;
  /** Most requests outstanding at once. */
  readonly peakInFlight: number;
  /**
   * What went wrong, in words, for each error key a rejection was counted under: the first such
   * rejection's `describe(error)`. A count says how often; this says why (`connection refused`).
   */
  readonly firstErrors: Readonly<Record<string, string>>;
}

/** Live counts for a progress bar. */
export interface LoadProgress {
  /** 0..1 of the run (warm-up included). */
  readonly fraction: number;
  readonly okRequests: number;
  readonly chunks: number;
  readonly errors: number;
  /** Chunks per second since the window started (0 during warm-up). */
  readonly chunksPerS: number;
}

/** Everything a run needs, passed in. */
export interface LoadInput<P> {
  readonly sender: LoadSender<P>;
  readonly plan: LoadPlan;
  readonly clock?: LoadClock;
  readonly onProgress?: (progress: LoadProgress) => void;
  /** Called (on real timers) when the window opens and closes, e.g. to meter CPU over it. */
  readonly onWindowStart?: () => void;
  readonly onWindowEnd?: () => void;
}

/**
 * After a failed request a closed-loop client pauses this long: an endpoint failing at once would
 * otherwise turn the loop into a busy loop that starves the machine of CPU.
 */
const ERROR_PAUSE_MS = 10;
const MS_PER_S = 1_000;

/** A rejection in words: an error's message, else the value as text. */
export const errorMessage = (error: unknown): string => (error instanceof Error ? error.message : String(error));

/** The key of a rejection: an error's `code` (`ECONNREFUSED`), else its name. */
export function errorCode(error: unknown): string {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return typeof code === 'string' ? code : error.name;
  }
  return String(error);
}

/** Evenly spaced arrivals at `ratePerS`, from the start of the run. */
export const constantRate = (ratePerS: number) => (sequence: number): number => (sequence * MS_PER_S) / ratePerS;

/** Runs one plan to its end (warm-up, window, drain) and returns what it saw. */
export async function runLoad<P>(input: LoadInput<P>): Promise<LoadRecord> {
  const { plan, sender } = input;
  const classify = sender.classify ?? errorCode;
  const describe = sender.describe ?? errorMessage;
  const clock = input.clock ?? REAL_LOAD_CLOCK;
  const startedAt = clock.now();
  const windowStart = startedAt + plan.warmupMs;
  const durationEnd = plan.durationMs === undefined ? Number.POSITIVE_INFINITY : windowStart + plan.durationMs;
  const cutOff = new AbortController();
  // Every outstanding request listens to the one cut-off signal.
  setMaxListeners(0, cutOff.signal);

  const samples: RequestSample[] = [];
  const firstErrors: Record<string, string> = {};
  let textsLeft = plan.maxTexts ?? Number.POSITIVE_INFINITY;
  let requestsLeft = plan.maxRequests ?? Number.POSITIVE_INFINITY;
  let okRequests = 0;
  let chunks = 0;
  let errors = 0;
  let inFlight = 0;
  let peakInFlight = 0;
  let lastEnd = windowStart;

  const fraction = (now: number): number => {
    const byTime = plan.durationMs === undefined ? 0 : (now - startedAt) / (plan.warmupMs + plan.durationMs);
    const byTexts = plan.maxTexts === undefined ? 0 : (plan.maxTexts - Math.max(0, textsLeft)) / plan.maxTexts;
    return Math.min(1, Math.max(byTime, byTexts));
  };

  /** How many texts the next request carries, or 0 when the run is over. */
  function take(now: number): number {
    if (now >= durationEnd || cutOff.signal.aborted || requestsLeft <= 0) return 0;
    requestsLeft--;
    if (now < windowStart) return plan.batch;
    const count = Math.min(plan.batch, textsLeft);
    textsLeft -= count;
    return count;
  }

  /** Sends one prepared request due at `dueAt`; false when it failed. */
  async function request(prepared: P, texts: number, dueAt: number): Promise<boolean> {
    const sentAt = clock.now();
    inFlight++;
    peakInFlight = Math.max(peakInFlight, inFlight);
    let result: SendResult;
    try {
      result = await sender.send(prepared, cutOff.signal);
    } catch (error) {
      if (cutOff.signal.aborted) return false;
      result = { outcome: classify(error) };
      firstErrors[result.outcome] ??= describe(error);
    } finally {
      inFlight--;
    }
    // Answers that came back after the cut-off were counted as unfinished.
    if (cutOff.signal.aborted) return false;
    const endedAt = clock.now();
    const ok = result.outcome === OK_OUTCOME;
    const inWindow = endedAt >= windowStart && endedAt <= durationEnd;
    samples.push({
      startMs: dueAt - windowStart, lagMs: sentAt - dueAt, endMs: endedAt - windowStart, texts, outcome: result.outcome, inWindow,
      ...(result.details === undefined ? {} : { details: result.details }),
    });
    if (inWindow) {
      lastEnd = Math.max(lastEnd, endedAt);
      if (ok) {
        okRequests++;
        chunks += texts;
      } else {
        errors++;
      }
    }
    if (input.onProgress !== undefined) {
      const elapsedS = (endedAt - windowStart) / MS_PER_S;
      input.onProgress({ fraction: fraction(endedAt), okRequests, chunks, errors, chunksPerS: elapsedS > 0 ? chunks / elapsedS : 0 });
    }
    return ok;
  }

  async function client(index: number): Promise<void> {
    // Paced clients start spread over one interval, so their requests do not arrive in bursts.
    let nextAt = startedAt + (plan.intervalMs > 0 ? (index * plan.intervalMs) / plan.clients : 0);
    for (let sequence = 0; ; sequence++) {
      const wait = nextAt - clock.now();
      if (wait > 0) await clock.sleep(wait);
      const count = take(clock.now());
      if (count === 0) return;
      const prepared = sender.prepare({ client: index, sequence, texts: count });
      const sentAt = clock.now();
      // Keeps the schedule's phase (timers fire up to 1 ms early or late); a client more than an
      // interval behind drops the slots it missed instead of catching up in a burst.
      nextAt = Math.max(nextAt + plan.intervalMs, sentAt);
      if (!(await request(prepared, count, sentAt))) await clock.sleep(ERROR_PAUSE_MS);
    }
  }

  /** Open loop: latency counts from when a request was due, so the generator's own lag shows. */
  async function scheduled(arrivalMs: (sequence: number) => number | undefined): Promise<void> {
    const outstanding = new Set<Promise<boolean>>();
    for (let sequence = 0; ; sequence++) {
      const offset = arrivalMs(sequence);
      if (offset === undefined) break;
      const dueAt = startedAt + offset;
      if (dueAt >= durationEnd || cutOff.signal.aborted) break;
      const wait = dueAt - clock.now();
      if (wait > 0) await clock.sleep(wait);
      const count = take(dueAt);
      if (count === 0) break;
      const pending = request(sender.prepare({ client: 0, sequence, texts: count }), count, dueAt);
      outstanding.add(pending);
      void pending.finally(() => outstanding.delete(pending));
    }
    // The window closes on time even when the last answers come back before it ends.
    const untilWindowEnd = durationEnd - clock.now();
    if (Number.isFinite(untilWindowEnd) && untilWindowEnd > 0 && !cutOff.signal.aborted) await clock.sleep(untilWindowEnd);
    await Promise.all(outstanding);
  }

  // The window's hooks run on real timers, once each; the end also when the load is over first.
  const hooked = input.onWindowStart !== undefined || input.onWindowEnd !== undefined;
  let windowStarted = false;
  let windowEnded = false;
  const endWindow = (): void => {
    if (windowEnded || !windowStarted) return;
    windowEnded = true;
    input.onWindowEnd?.();
  };
  const windowTimers = hooked
    ? [
      setTimeout(() => {
        windowStarted = true;
        input.onWindowStart?.();
      }, Math.max(0, windowStart - clock.now())),
      ...(Number.isFinite(durationEnd) ? [setTimeout(endWindow, Math.max(0, durationEnd - clock.now()))] : []),
    ]
    : [];

  const sending = plan.arrivalMs === undefined
    ? Promise.all(Array.from({ length: plan.clients }, (_, index) => client(index)))
    : scheduled(plan.arrivalMs);
  // The drain clock starts when the window closes (or, bounded by texts only, never: the timeout
  // of each request bounds it then). A real timer even with a fake clock: what it cuts off are
  // the sender's requests, which run in real time.
  let unfinished = 0;
  let drainTimer: ReturnType<typeof setTimeout> | undefined;
  if (Number.isFinite(durationEnd)) {
    drainTimer = setTimeout(() => {
      unfinished = inFlight;
      cutOff.abort();
    }, Math.max(0, durationEnd - clock.now()) + plan.drainMs);
  }
  try {
    await sending;
  } finally {
    clearTimeout(drainTimer);
    endWindow();
    for (const timer of windowTimers) clearTimeout(timer);
  }
  // A run that ran out of texts ends at its last answer; one bounded by time, at the window's end
  // (not at its last answer, which would overstate the rate of a run with few, slow answers).
  const ranOutOfTexts = textsLeft <= 0 || !Number.isFinite(durationEnd);
  const windowEnd = ranOutOfTexts ? Math.min(durationEnd, Math.max(lastEnd, windowStart)) : durationEnd;
  return { windowMs: windowEnd - windowStart, samples, unfinished, peakInFlight, firstErrors };
}
