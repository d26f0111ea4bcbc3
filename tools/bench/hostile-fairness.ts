/**
 * Attack (c), issue 17 finding 4: one key floods inside its default limits (96 texts a request at
 * 95 req/s: 9,120 texts/s, under 100 req/s and 10,000 texts/s) while the backends serve about
 * 1,200 texts/s, and another key sends one text ten times a second. The victim's latency alone and
 * then under the flood, in one run, is the figure. With no keys the flood and the victim are one
 * tenant (anonymous): the same attack, reported for information.
 */
import { setMaxListeners } from 'node:events';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { Pool } from 'undici';
import { percentile } from '../../shared/stats/percentile';
import { apiKey, BATCH_TIME_MS, DJL_ROUTE, jsonHeaders, startSubject, type ScenarioContext } from './hostile-context';
import { failureOutcome, OutcomeCounter, paced, readAnswer } from './hostile-probes';
import { CpuMeter } from './process-cpu';
import { requestBody } from './texts';

/** The flood: inside a key's default limits (API_KEY_RPS 100, API_KEY_TPS 10,000), with room for timer jitter. */
export const FLOOD = { textsPerRequest: 96, ratePerS: 95 } as const;
/** The victim: one text at a time, paced. */
export const VICTIM = { textsPerRequest: 1, ratePerS: 10 } as const;

/** Who is who: two keys, or none (one anonymous tenant). */
export type FairnessKeys = 'two keys' | 'none';

/** The victim's answers in one phase. */
export interface VictimPhase {
  readonly requests: number;
  /** Latency of its 200s, ms. */
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly outcomes: Readonly<Record<string, number>>;
}

/** One fairness run's figures. */
export interface FairnessResult {
  readonly keys: FairnessKeys;
  readonly unloaded: VictimPhase;
  readonly loaded: VictimPhase;
  readonly floodRequests: number;
  readonly floodOutcomes: Readonly<Record<string, number>>;
  /** The target: 2 x unloaded p50 + one batch (BATCH_TIME_MS). */
  readonly limitMs: number;
  /** The front door's CPU during the flooded window; 100 = one core busy. */
  readonly frontDoorCpuPercent: number | undefined;
  /**
   * This process's event-loop delay p99 over the flooded window, ms: when the machine has no core
   * left for the benchmark, its own timers run late and the victim's latencies include that.
   */
  readonly benchLoopDelayP99Ms: number;
  /** Victim requests of the flooded window answered only after the flood had stopped. */
  readonly answeredAfterFlood: number;
}

interface VictimSample {
  readonly startMs: number;
  readonly latencyMs: number;
  readonly endMs: number;
  readonly outcome: string;
}

const MS_PER_S = 1_000;
const NS_PER_MS = 1_000_000;
const P99_PERCENT = 99;
/** Resolution of the event-loop delay histogram, ms. */
const LOOP_DELAY_RESOLUTION_MS = 10;
const P50 = 0.5;
const P99 = 0.99;
/** The victim's answers are awaited this long after the flood ends (FIFO waits were 7.5-13 s). */
const VICTIM_DRAIN_MS = 45_000;
const FLOOD_CONNECTIONS = 512;
const VICTIM_CONNECTIONS = 256;
const UNANSWERED = 'unanswered';
/** Victim and flood texts differ from each other's (the texts' "client" number). */
const CLIENT = { flood: 0, victim: 1 } as const;

function phase(samples: readonly VictimSample[]): VictimPhase {
  const outcomes = new OutcomeCounter();
  for (const sample of samples) outcomes.add(sample.outcome);
  const ok = samples.filter((sample) => sample.outcome === '200').map((sample) => sample.latencyMs).sort((a, b) => a - b);
  return { requests: samples.length, p50Ms: percentile(ok, P50), p99Ms: percentile(ok, P99), outcomes: outcomes.counts };
}

/** Runs the flood against a victim with two keys or none. */
export async function runFairness(context: ScenarioContext, keys: FairnessKeys): Promise<FairnessResult> {
  const flood = apiKey('flood');
  const victim = apiKey('victim');
  const subject = await startSubject(context, keys === 'none' ? {} : { API_KEYS: `${flood.entry},${victim.entry}` });
  const floodPool = new Pool(subject.frontDoor.url, { connections: FLOOD_CONNECTIONS });
  const victimPool = new Pool(subject.frontDoor.url, { connections: VICTIM_CONNECTIONS });
  const victimHeaders = jsonHeaders(keys === 'none' ? undefined : victim.key);
  const floodHeaders = jsonHeaders(keys === 'none' ? undefined : flood.key);
  const { unloadedS, rampS, loadedS } = context.shape;
  const floodOutcomes = new OutcomeCounter();
  const samples: VictimSample[] = [];
  const victimCalls: Promise<void>[] = [];
  const drain = new AbortController();
  // Every call in flight listens to it.
  setMaxListeners(0, drain.signal);
  try {
    const startedAt = performance.now();
    const sendVictim = (sequence: number): void => {
      const startMs = performance.now() - startedAt;
      victimCalls.push((async () => {
        let outcome: string;
        try {
          const body = requestBody(CLIENT.victim, sequence, VICTIM.textsPerRequest);
          outcome = (await readAnswer(await victimPool.request({ path: DJL_ROUTE, method: 'POST', headers: victimHeaders, body, signal: drain.signal }))).outcome;
        } catch (error) {
          outcome = drain.signal.aborted ? UNANSWERED : failureOutcome(error);
        }
        const endMs = performance.now() - startedAt;
        samples.push({ startMs, latencyMs: endMs - startMs, endMs, outcome });
      })());
    };
    const sendFlood = (sequence: number): void => {
      const body = requestBody(CLIENT.flood, sequence, FLOOD.textsPerRequest);
      void floodPool.request({ path: DJL_ROUTE, method: 'POST', headers: floodHeaders, body, signal: drain.signal })
        .then(readAnswer)
        .then((answer) => floodOutcomes.add(answer.outcome), (error: unknown) => floodOutcomes.add(drain.signal.aborted ? UNANSWERED : failureOutcome(error)));
    };
    const totalMs = (unloadedS + rampS + loadedS) * MS_PER_S;
    const cpu = CpuMeter.ofProcesses(() => [subject.frontDoor.process.pid]);
    const loopDelay = monitorEventLoopDelay({ resolution: LOOP_DELAY_RESOLUTION_MS });
    const window = (async () => {
      await new Promise((resolve) => setTimeout(resolve, (unloadedS + rampS) * MS_PER_S));
      cpu.start();
      loopDelay.enable();
    })();
    const floodRun = (async () => {
      await new Promise((resolve) => setTimeout(resolve, unloadedS * MS_PER_S));
      return paced(FLOOD.ratePerS, (rampS + loadedS) * MS_PER_S, sendFlood);
    })();
    await paced(VICTIM.ratePerS, totalMs, sendVictim);
    const floodRequests = await floodRun;
    await window;
    cpu.stop();
    loopDelay.disable();
    const floodEndMs = performance.now() - startedAt;
    const drainTimer = setTimeout(() => drain.abort(), VICTIM_DRAIN_MS);
    await Promise.all(victimCalls);
    clearTimeout(drainTimer);
    drain.abort();
    const loadedFromMs = (unloadedS + rampS) * MS_PER_S;
    const unloaded = phase(samples.filter((sample) => sample.startMs < unloadedS * MS_PER_S));
    const loadedSamples = samples.filter((sample) => sample.startMs >= loadedFromMs);
    const loaded = phase(loadedSamples);
    const result: FairnessResult = {
      keys, unloaded, loaded, floodRequests, floodOutcomes: floodOutcomes.counts, limitMs: 2 * unloaded.p50Ms + BATCH_TIME_MS,
      frontDoorCpuPercent: cpu.percent(),
      benchLoopDelayP99Ms: loopDelay.percentile(P99_PERCENT) / NS_PER_MS,
      answeredAfterFlood: loadedSamples.filter((sample) => sample.endMs > floodEndMs).length,
    };
    context.log(`  fairness, ${keys}: victim p50 ${unloaded.p50Ms.toFixed(1)} ms alone, ${loaded.p50Ms.toFixed(1)} ms under the flood ` +
      `(p99 ${loaded.p99Ms.toFixed(0)} ms; limit ${result.limitMs.toFixed(1)} ms); victim ${JSON.stringify(loaded.outcomes)}; ` +
      `flood ${floodRequests} sent, ${JSON.stringify(floodOutcomes.counts)}; ${result.answeredAfterFlood} answered after the flood; ` +
      `front door CPU ${result.frontDoorCpuPercent?.toFixed(0) ?? 'n/a'}%, bench event-loop delay p99 ${result.benchLoopDelayP99Ms.toFixed(0)} ms`);
    return result;
  } finally {
    drain.abort();
    await Promise.all([floodPool.destroy(), victimPool.destroy()]);
    await subject.stop();
  }
}
