/**
 * The load itself: N clients over undici keep-alive pools (one connection per client per origin),
 * each sending a DJL request, waiting for the whole answer, checking its vector count, and sending
 * the next. Or open loop: requests start on a fixed schedule whatever the answers. Only requests
 * that finish inside the measuring window are counted; records, when asked for, keep every one.
 */
import { setMaxListeners } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { Pool } from 'undici';
import { headerFields, OK_OUTCOME, type RequestRecord } from './burst-record';
import { summarizeLatencies, type LatencySummary } from './latency-stats';
import { arrivalOffsetsMs, type LoadPlan } from './load-plan';
import { requestBody } from './texts';
import { TopLevelItemCounter } from './vector-count';

/** What one load-generator run measured. */
export interface LoadResult {
  readonly clients: number;
  readonly textsPerRequest: number;
  readonly intervalMs: number;
  /** How many URLs the requests were spread over (more than one: the client pool). */
  readonly targets: number;
  /** Length of the measuring window, seconds. */
  readonly windowS: number;
  /** Requests that finished in the window, answered well or not. */
  readonly requests: number;
  /** Of those, answered 200 with one vector per text. */
  readonly okRequests: number;
  /** Texts embedded by the good answers. */
  readonly chunks: number;
  readonly chunksPerS: number;
  readonly requestsPerS: number;
  /** Latency of the good answers, from sending to the last byte read. */
  readonly latencyMs: LatencySummary;
  /** Bad answers and failures in the window, by kind (`status 503`, `wrong vector count`, an error code). */
  readonly errors: Readonly<Record<string, number>>;
  readonly errorCount: number;
  /** Requests still unanswered when the drain time ran out (cut off, counted nowhere else). */
  readonly unfinished: number;
  /** CPU the load generator itself used during the window; 100 = one core busy. */
  readonly cpuPercent: number;
  /** Most requests outstanding at once (open loop: above `clients`, undici queued some). */
  readonly peakInFlight?: number;
  /** One per request sent, warm-up included, when the plan asks for them. */
  readonly records?: readonly RequestRecord[];
}

/** Moments the load generator announces, so the runner can sample other processes' CPU. */
export interface LoadHooks {
  onWindowStart?(): void;
  onWindowEnd?(): void;
}

interface Target {
  readonly pool: Pool;
  readonly path: string;
}

type Details = ReturnType<typeof headerFields>;
type Outcome =
  | { readonly ok: true; readonly details?: Details }
  | { readonly ok: false; readonly kind: string; readonly details?: Details };

/**
 * After a failed request a client pauses this long: a target answering errors at once would
 * otherwise turn the closed loop into a busy loop starving the other processes on the machine.
 */
const ERROR_PAUSE_MS = 10;
const HEADERS = { 'content-type': 'application/json', accept: 'application/json' } as const;
const MS_PER_S = 1_000;
const MICROS_PER_MS = 1_000;
const PERCENT = 100;

function errorKind(error: unknown): string {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return typeof code === 'string' ? code : error.name;
  }
  return String(error);
}

async function send(target: Target, body: string, expected: number, signal: AbortSignal, record: boolean): Promise<Outcome> {
  try {
    const response = await target.pool.request({ path: target.path, method: 'POST', headers: HEADERS, body, signal });
    const counter = new TopLevelItemCounter();
    for await (const chunk of response.body) counter.push(chunk as Buffer);
    const details = record ? headerFields(response.statusCode, response.headers) : undefined;
    if (response.statusCode !== 200) return { ok: false, kind: `status ${response.statusCode}`, details };
    return counter.count() === expected ? { ok: true, details } : { ok: false, kind: 'wrong vector count', details };
  } catch (error) {
    return { ok: false, kind: errorKind(error) };
  }
}

/** Runs `plan` to the end (warm-up, window, drain) and reports what the window saw. */
export async function runLoad(plan: LoadPlan, hooks: LoadHooks = {}): Promise<LoadResult> {
  const pools = new Map<string, Pool>();
  const targets: Target[] = plan.urls.map((raw) => {
    const url = new URL(raw);
    let pool = pools.get(url.origin);
    if (pool === undefined) {
      // One connection per client: any client may be talking to any origin at a given moment.
      pool = new Pool(url.origin, {
        connections: plan.clients,
        headersTimeout: plan.timeoutMs,
        bodyTimeout: plan.timeoutMs,
      });
      pools.set(url.origin, pool);
    }
    return { pool, path: `${url.pathname}${url.search}` };
  });

  const startedAt = performance.now();
  const windowStart = startedAt + plan.warmupS * MS_PER_S;
  const windowEnd = windowStart + plan.durationS * MS_PER_S;
  const latencies: number[] = [];
  const errors: Record<string, number> = {};
  let okRequests = 0;
  let failed = 0;
  let sent = 0;
  let inFlight = 0;
  let peakInFlight = 0;
  const records: RequestRecord[] = [];
  const openLoop = plan.rateSteps.length > 0;
  const cutOff = new AbortController();
  // Every outstanding request listens to the one cut-off signal: one listener per client (open
  // loop: per request in flight, unbounded by design).
  setMaxListeners(openLoop ? 0 : plan.clients + 1, cutOff.signal);
  const body = (client: number, sequence: number): string => {
    const texts = requestBody(client, sequence, plan.textsPerRequest);
    return plan.dialect === 'tei' ? `{"inputs":${texts}}` : texts;
  };

  /** Sends one request due at `dueAt` and counts it if it finishes in the window. */
  async function request(target: Target, client: number, sequence: number, dueAt: number, sentAt: number): Promise<boolean> {
    inFlight++;
    peakInFlight = Math.max(peakInFlight, inFlight);
    const outcome = await send(target, body(client, sequence), plan.textsPerRequest, cutOff.signal, plan.record);
    inFlight--;
    const doneAt = performance.now();
    if (doneAt >= windowStart && doneAt < windowEnd) {
      if (outcome.ok) {
        okRequests++;
        latencies.push(doneAt - dueAt);
      } else {
        failed++;
        errors[outcome.kind] = (errors[outcome.kind] ?? 0) + 1;
      }
    }
    if (plan.record) {
      records.push({
        atMs: dueAt - startedAt, lagMs: sentAt - dueAt, latencyMs: doneAt - dueAt,
        outcome: outcome.ok ? OK_OUTCOME : outcome.kind, ...outcome.details,
      });
    }
    return outcome.ok;
  }

  let cpuAtStart = process.cpuUsage();
  let windowStarted = false;
  let cpuInWindow: NodeJS.CpuUsage | undefined;
  // Once only: on its timer, or when the load is over first (an open loop whose last answer came
  // back as the window ended, before the timer, which was set a moment after the start, fired).
  const endWindow = (): void => {
    if (cpuInWindow !== undefined) return;
    cpuInWindow = process.cpuUsage(cpuAtStart);
    hooks.onWindowEnd?.();
  };
  const windowTimers = [
    setTimeout(() => {
      cpuAtStart = process.cpuUsage();
      windowStarted = true;
      hooks.onWindowStart?.();
    }, windowStart - startedAt),
    setTimeout(endWindow, windowEnd - startedAt),
  ];

  async function client(index: number): Promise<void> {
    // Paced clients start spread over one interval, so their requests do not arrive in bursts.
    let nextAt = startedAt + (plan.intervalMs > 0 ? (index * plan.intervalMs) / plan.clients : 0);
    for (let sequence = 0; ; sequence++) {
      const wait = nextAt - performance.now();
      if (wait > 0) await sleep(wait);
      const sentAt = performance.now();
      if (sentAt >= windowEnd || sent >= plan.maxRequests || cutOff.signal.aborted) return;
      sent++;
      // Keeps the schedule's phase (timers fire up to 1 ms early or late); a client more than an
      // interval behind drops the slots it missed instead of catching up in a burst.
      nextAt = Math.max(nextAt + plan.intervalMs, sentAt);
      // Option B: each client's own round-robin; clients start at different URLs, as pipelines
      // started at different times would, instead of all hitting the first one together.
      const target = targets[(index + sequence) % targets.length] as Target;
      const ok = await request(target, index, sequence, sentAt, sentAt);
      if (!ok) await sleep(ERROR_PAUSE_MS);
    }
  }

  /**
   * Open loop: each request starts when the schedule says, however long earlier ones take, and its
   * latency counts from then, so a late start (the generator's own lag) is not hidden.
   */
  async function scheduled(): Promise<void> {
    const outstanding = new Set<Promise<boolean>>();
    const offsets = arrivalOffsetsMs(plan.rateSteps);
    for (let sequence = 0; sequence < offsets.length && sequence < plan.maxRequests; sequence++) {
      const dueAt = startedAt + (offsets[sequence] ?? 0);
      if (dueAt >= windowEnd || cutOff.signal.aborted) break;
      const wait = dueAt - performance.now();
      if (wait > 0) await sleep(wait);
      sent++;
      const target = targets[sequence % targets.length] as Target;
      const pending = request(target, 0, sequence, dueAt, performance.now());
      outstanding.add(pending);
      void pending.finally(() => outstanding.delete(pending));
    }
    // The window closes on time even when the last answers come back before it ends.
    const untilWindowEnd = windowEnd - performance.now();
    if (untilWindowEnd > 0 && !cutOff.signal.aborted) await sleep(untilWindowEnd);
    await Promise.all(outstanding);
  }

  const clients = openLoop
    ? scheduled()
    : Promise.all(Array.from({ length: plan.clients }, (_, index) => client(index)));
  const drainDeadline = setTimeout(() => cutOff.abort(), windowEnd - startedAt + plan.drainMs);
  const unfinishedAtCutOff = new Promise<number>((resolve) => {
    cutOff.signal.addEventListener('abort', () => resolve(inFlight), { once: true });
  });
  await clients;
  clearTimeout(drainDeadline);
  const unfinished = cutOff.signal.aborted ? await unfinishedAtCutOff : 0;
  if (windowStarted) endWindow();
  for (const timer of windowTimers) clearTimeout(timer);
  await Promise.all([...pools.values()].map((pool) => pool.destroy()));

  const windowS = plan.durationS;
  const cpu = cpuInWindow ?? process.cpuUsage(cpuAtStart);
  const chunks = okRequests * plan.textsPerRequest;
  return {
    clients: plan.clients,
    textsPerRequest: plan.textsPerRequest,
    intervalMs: plan.intervalMs,
    targets: plan.urls.length,
    windowS,
    requests: okRequests + failed,
    okRequests,
    chunks,
    chunksPerS: chunks / windowS,
    requestsPerS: (okRequests + failed) / windowS,
    latencyMs: summarizeLatencies(latencies),
    errors,
    errorCount: failed,
    unfinished,
    cpuPercent: (((cpu.user + cpu.system) / MICROS_PER_MS) / (windowS * MS_PER_S)) * PERCENT,
    peakInFlight,
    ...(plan.record ? { records } : {}),
  };
}
