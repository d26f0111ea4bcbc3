/**
 * Attack (d), issue 17 finding 5: eight clients, no key, each sending 6 MB bodies of
 * `{"input":[{},{},...]}` again and again (cheap to send, once costly to parse), while a load
 * balancer's health check asks `/ping` every 20 ms on its own keep-alive connection. The check's
 * latency alone, then under the attack, is the figure.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { Pool } from 'undici';
import { percentile } from '../../shared/stats/percentile';
import { jsonHeaders, OPENAI_ROUTE, startSubject, type ScenarioContext } from './hostile-context';
import { failureOutcome, OutcomeCounter, readAnswer } from './hostile-probes';
import { CpuMeter } from './process-cpu';

/** The attack: eight bodies in flight at once, each just under MAX_BODY_BYTES (6 MiB). */
export const CPU_ATTACK = { attackers: 8, bodyBytes: 6_000_000 } as const;
/** How often the health check asks. */
export const PING_INTERVAL_MS = 20;

/** /ping latencies in one phase, ms. */
export interface PingPhase {
  readonly pings: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
  /** Pings not answered 200. */
  readonly failed: number;
}

/** The CPU-amplification attack's figures. */
export interface CpuResult {
  readonly baseline: PingPhase;
  readonly underAttack: PingPhase;
  readonly attackBodies: number;
  readonly attackOutcomes: Readonly<Record<string, number>>;
  /** The front door's CPU during the attack; 100 = one core busy. */
  readonly frontDoorCpuPercent: number | undefined;
}

const MS_PER_S = 1_000;
const P50 = 0.5;
const P99 = 0.99;
const OPEN = '{"input":[';
const CLOSE = '{}]}';
const ITEM = '{},';

/** `{"input":[{},{},...]}` of about `bytes`. */
export function emptyObjectsBody(bytes: number): Buffer {
  const items = Math.floor((bytes - OPEN.length - CLOSE.length) / ITEM.length);
  return Buffer.from(`${OPEN}${ITEM.repeat(items)}${CLOSE}`);
}

/** Pings every PING_INTERVAL_MS until `until()` says stop; the latencies, sorted, and failures. */
async function pingUntil(pool: Pool, until: () => boolean): Promise<PingPhase> {
  const latencies: number[] = [];
  let failed = 0;
  while (!until()) {
    const startedAt = performance.now();
    try {
      const answer = await readAnswer(await pool.request({ path: '/ping', method: 'GET' }));
      if (answer.status !== 200) failed += 1;
    } catch {
      failed += 1;
    }
    const latency = performance.now() - startedAt;
    latencies.push(latency);
    await sleep(Math.max(0, PING_INTERVAL_MS - latency));
  }
  latencies.sort((a, b) => a - b);
  return { pings: latencies.length, p50Ms: percentile(latencies, P50), p99Ms: percentile(latencies, P99), maxMs: latencies.at(-1) ?? Number.NaN, failed };
}

/** Measures /ping alone, then under the attack. */
export async function runCpuAmplification(context: ScenarioContext): Promise<CpuResult> {
  const subject = await startSubject(context);
  const pingPool = new Pool(subject.frontDoor.url, { connections: 1 });
  const attackPool = new Pool(subject.frontDoor.url, { connections: CPU_ATTACK.attackers });
  const body = emptyObjectsBody(CPU_ATTACK.bodyBytes);
  const headers = jsonHeaders(undefined);
  try {
    const baselineEnd = performance.now() + context.shape.pingBaselineS * MS_PER_S;
    const baseline = await pingUntil(pingPool, () => performance.now() >= baselineEnd);
    let stop = false;
    const outcomes = new OutcomeCounter();
    const attackers = Array.from({ length: CPU_ATTACK.attackers }, async () => {
      while (!stop) {
        try {
          outcomes.add((await readAnswer(await attackPool.request({ path: OPENAI_ROUTE, method: 'POST', headers, body }))).outcome);
        } catch (error) {
          outcomes.add(failureOutcome(error));
        }
      }
    });
    const attackEnd = performance.now() + context.shape.cpuAttackS * MS_PER_S;
    const cpu = CpuMeter.ofProcesses(() => [subject.frontDoor.process.pid]);
    cpu.start();
    const underAttack = await pingUntil(pingPool, () => performance.now() >= attackEnd);
    cpu.stop();
    stop = true;
    await Promise.all(attackers);
    const result: CpuResult = { baseline, underAttack, attackBodies: outcomes.total(), attackOutcomes: outcomes.counts, frontDoorCpuPercent: cpu.percent() };
    context.log(`  CPU amplification: /ping p99 ${baseline.p99Ms.toFixed(1)} ms alone, ${underAttack.p99Ms.toFixed(1)} ms under attack ` +
      `(p50 ${underAttack.p50Ms.toFixed(1)}, max ${underAttack.maxMs.toFixed(0)}, ${underAttack.pings} pings, ${underAttack.failed} failed); ` +
      `${result.attackBodies} bodies: ${JSON.stringify(outcomes.counts)}; front door CPU ${result.frontDoorCpuPercent?.toFixed(0) ?? 'n/a'}%`);
    return result;
  } finally {
    await Promise.all([pingPool.destroy(), attackPool.destroy()]);
    await subject.stop();
  }
}
