/**
 * The benchmarks' load: the load engine (tools/load) with a sender of DJL (or TEI) requests over
 * undici keep-alive pools, one connection per client per origin, that reads the whole answer and
 * checks its vector count. Several URLs: each client sends its requests to them in turn. Also
 * meters the generator's own CPU over the measuring window.
 */
import { Pool } from 'undici';
import { errorCode, type LoadSender, OK_OUTCOME, runLoad, type SendResult } from '../load/load-engine';
import { summarizeRun, type RunSummary } from '../load/load-summary';
import { headerFields, type RequestRecord } from './burst-record';
import { arrivalOffsetsMs, type LoadPlan } from './load-plan';
import { requestBody } from './texts';
import { TopLevelItemCounter } from './vector-count';

/** What one load-generator run measured. */
export interface LoadResult extends RunSummary {
  readonly clients: number;
  readonly textsPerRequest: number;
  readonly intervalMs: number;
  /** How many URLs the requests were spread over (more than one: the client pool). */
  readonly targets: number;
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

interface Prepared {
  readonly target: Target;
  readonly body: string;
}

const HEADERS = { 'content-type': 'application/json', accept: 'application/json' } as const;
const MS_PER_S = 1_000;
const MICROS_PER_MS = 1_000;
const PERCENT = 100;

/** Pools per origin (one connection per client: any client may talk to any origin at a moment). */
function openTargets(plan: LoadPlan): { targets: Target[]; pools: Pool[] } {
  const pools = new Map<string, Pool>();
  const targets = plan.urls.map((raw) => {
    const url = new URL(raw);
    let pool = pools.get(url.origin);
    if (pool === undefined) {
      pool = new Pool(url.origin, { connections: plan.clients, headersTimeout: plan.timeoutMs, bodyTimeout: plan.timeoutMs });
      pools.set(url.origin, pool);
    }
    return { pool, path: `${url.pathname}${url.search}` };
  });
  return { targets, pools: [...pools.values()] };
}

/** DJL (or TEI) requests over `targets`; an answer is good when it is a 200 with one vector per text. */
function djlSender(plan: LoadPlan, targets: readonly Target[]): LoadSender<Prepared> {
  return {
    prepare: ({ client, sequence, texts }) => {
      const list = requestBody(client, sequence, texts);
      // Option B: each client's own round-robin; clients start at different URLs, as pipelines
      // started at different times would, instead of all hitting the first one together.
      const target = targets[(client + sequence) % targets.length] as Target;
      return { target, body: plan.dialect === 'tei' ? `{"inputs":${list}}` : list };
    },
    send: async ({ target, body }, signal): Promise<SendResult> => {
      const response = await target.pool.request({ path: target.path, method: 'POST', headers: HEADERS, body, signal });
      const counter = new TopLevelItemCounter();
      for await (const chunk of response.body) counter.push(chunk as Buffer);
      const details = plan.record ? headerFields(response.statusCode, response.headers) : undefined;
      const outcome = response.statusCode !== 200 ? `status ${response.statusCode}`
        : counter.count() === plan.textsPerRequest ? OK_OUTCOME : 'wrong vector count';
      return details === undefined ? { outcome } : { outcome, details };
    },
    classify: errorCode,
  };
}

/** Runs `plan` to the end (warm-up, window, drain) and reports what the window saw. */
export async function runBenchLoad(plan: LoadPlan, hooks: LoadHooks = {}): Promise<LoadResult> {
  const { targets, pools } = openTargets(plan);
  const offsets = plan.rateSteps.length > 0 ? arrivalOffsetsMs(plan.rateSteps) : undefined;
  let cpuAtStart = process.cpuUsage();
  let cpuInWindow: NodeJS.CpuUsage | undefined;
  const warmupMs = plan.warmupS * MS_PER_S;
  let record;
  try {
    record = await runLoad({
      sender: djlSender(plan, targets),
      plan: {
        batch: plan.textsPerRequest,
        clients: plan.clients,
        intervalMs: plan.intervalMs,
        ...(offsets === undefined ? {} : { arrivalMs: (sequence: number) => offsets[sequence] }),
        warmupMs,
        durationMs: plan.durationS * MS_PER_S,
        maxRequests: plan.maxRequests,
        drainMs: plan.drainMs,
      },
      onWindowStart: () => {
        cpuAtStart = process.cpuUsage();
        hooks.onWindowStart?.();
      },
      onWindowEnd: () => {
        cpuInWindow = process.cpuUsage(cpuAtStart);
        hooks.onWindowEnd?.();
      },
    });
  } finally {
    await Promise.all(pools.map((pool) => pool.destroy()));
  }
  const cpu = cpuInWindow ?? process.cpuUsage(cpuAtStart);
  const summary = summarizeRun(record);
  return {
    ...summary,
    clients: plan.clients,
    textsPerRequest: plan.textsPerRequest,
    intervalMs: plan.intervalMs,
    targets: plan.urls.length,
    cpuPercent: (((cpu.user + cpu.system) / MICROS_PER_MS) / (summary.windowS * MS_PER_S)) * PERCENT,
    peakInFlight: record.peakInFlight,
    ...(plan.record
      ? {
        records: record.samples.map((sample): RequestRecord => ({
          atMs: sample.startMs + warmupMs, lagMs: sample.lagMs, latencyMs: sample.endMs - sample.startMs,
          outcome: sample.outcome, ...sample.details,
        })),
      }
      : {}),
  };
}
