/**
 * The hostile-load results: issue 17's targets judged on each checkout measured, and the Markdown
 * written to tools/bench/results/hostile.md. Pure: the figures in, verdicts and text out.
 */
import type { AnswerResult } from './hostile-answer';
import type { ConnectionsResult } from './hostile-connections';
import type { CpuResult } from './hostile-cpu';
import { CPU_ATTACK, PING_INTERVAL_MS } from './hostile-cpu';
import { FLOOD, VICTIM, type FairnessResult } from './hostile-fairness';
import type { HostileScenarioId, HostileShape } from './hostile-options';
import { UPLOAD_BODIES, type UploadResult } from './hostile-uploads';
import type { MachineInfo } from './machine-info';
import type { SimulatorCost } from './simulator-process';
import { formatMs, formatNumber, formatTable } from '../report/tables';

/** The issue's limits. */
export const HOSTILE_TARGETS = {
  /** Peak RSS under the upload and backend-answer attacks, MiB (as /proc and ps count). */
  peakRssMiB: 400,
  /** /ping p99 under CPU amplification. */
  pingP99Ms: 50,
  /** A new client beyond the cap learns within this that it was refused ("quickly"). */
  refusalMs: 100,
} as const;

/** Everything measured on one checkout. */
export interface CheckoutRun {
  /** `before`, `after`, `this checkout` (no before) or `measured checkout` (--repo). */
  readonly label: string;
  readonly revision: string;
  /**
   * The machine's 1-minute load average when this checkout's attacks started and ended: above the
   * core count, every process here (the front door, the simulators, this one) waited for a core.
   */
  readonly loadAverage: readonly [number, number];
  readonly uploads?: readonly UploadResult[];
  readonly answer?: AnswerResult;
  readonly fairness?: readonly FairnessResult[];
  readonly cpu?: CpuResult;
  readonly connections?: ConnectionsResult;
  /** Scenarios that could not run, and why. */
  readonly failures: Partial<Record<HostileScenarioId, string>>;
}

/** The whole run; written as JSON next to the Markdown. */
export interface HostileReport {
  readonly date: string;
  readonly command: string;
  readonly machine: MachineInfo;
  readonly shape: HostileShape;
  readonly backend: { readonly instances: number; readonly cost: SimulatorCost; readonly capacityTextsPerS: number; readonly batchTimeMs: number };
  /** The older checkout first when one was measured; targets are judged on the last. */
  readonly runs: readonly CheckoutRun[];
  readonly runSeconds: number;
}

/** One target on one checkout: what was measured and whether it met the target (undefined: not judged). */
export interface Verdict {
  readonly measured: string;
  readonly met: boolean | undefined;
}

/** A target row: its wording and a verdict per checkout. */
export interface TargetRow {
  readonly target: string;
  readonly verdicts: readonly (Verdict | undefined)[];
}

const mib = (value: number | undefined): string => (value === undefined ? 'n/a' : `${formatNumber(value)} MiB`);
const ms = (value: number | undefined): string => `${formatMs(value)} ms`;
const outcomes = (counts: Readonly<Record<string, number>>): string =>
  Object.entries(counts).sort(([, a], [, b]) => b - a).map(([outcome, count]) => `${outcome}: ${formatNumber(count)}`).join(', ') || 'none';
const EXPECTED_ANSWER = '502 backend_response_too_large';

function uploadVerdict(result: UploadResult | undefined): Verdict | undefined {
  if (result === undefined) return undefined;
  return { measured: `${mib(result.peakRssMiB)} (${mib(result.rssBeforeMiB)} before)`, met: result.peakRssMiB !== undefined && result.peakRssMiB < HOSTILE_TARGETS.peakRssMiB };
}

function answerVerdict(result: AnswerResult | undefined): Verdict | undefined {
  if (result === undefined) return undefined;
  const met = result.peakRssMiB !== undefined && result.peakRssMiB < HOSTILE_TARGETS.peakRssMiB && result.clientOutcome === EXPECTED_ANSWER;
  return { measured: `${mib(result.peakRssMiB)}; the client got ${result.clientOutcome} in ${formatNumber(result.clientSeconds, 2)} s`, met };
}

function fairnessVerdict(result: FairnessResult | undefined, judged: boolean): Verdict | undefined {
  if (result === undefined) return undefined;
  const served = result.loaded.outcomes['200'] ?? 0;
  const allServed = served === result.loaded.requests;
  const measured = `${ms(result.loaded.p50Ms)} loaded, ${ms(result.unloaded.p50Ms)} alone (limit ${ms(result.limitMs)})` +
    `${allServed ? '' : `; ${result.loaded.requests - served} of ${result.loaded.requests} not 200`}`;
  return { measured, met: judged ? allServed && result.loaded.p50Ms <= result.limitMs : undefined };
}

function cpuVerdict(result: CpuResult | undefined): Verdict | undefined {
  if (result === undefined) return undefined;
  return {
    measured: `${ms(result.underAttack.p99Ms)} (alone ${ms(result.baseline.p99Ms)})${result.underAttack.failed > 0 ? `; ${result.underAttack.failed} failed` : ''}`,
    met: result.underAttack.failed === 0 && result.underAttack.p99Ms < HOSTILE_TARGETS.pingP99Ms,
  };
}

function connectionsVerdict(result: ConnectionsResult | undefined): Verdict | undefined {
  if (result === undefined) return undefined;
  const refused = result.newClients.filter((client) => client.refused);
  const slowest = Math.max(...result.newClients.map((client) => client.ms));
  const measured = `${refused.length} of ${result.newClients.length} new clients refused, slowest answer ${ms(slowest)}; ` +
    `established connection: ${result.establishedStatus ?? 'no answer'} in ${ms(result.establishedMs)}`;
  const met = refused.length === result.newClients.length && slowest <= HOSTILE_TARGETS.refusalMs && result.establishedStatus === 200;
  return { measured, met };
}

/** Every target, judged on every checkout of the run. */
export function targetRows(report: Pick<HostileReport, 'runs' | 'shape'>): TargetRow[] {
  const { runs, shape } = report;
  const rows: TargetRow[] = [];
  const uploadKinds = Object.keys(UPLOAD_BODIES) as (keyof typeof UPLOAD_BODIES)[];
  for (const body of uploadKinds) {
    for (const keys of ['none', 'one valid key'] as const) {
      if (runs.every((run) => run.uploads?.find((entry) => entry.body === body && entry.keys === keys) === undefined)) continue;
      rows.push({
        target: `(a) peak RSS, ${shape.uploads} x 5 MB uploads (${UPLOAD_BODIES[body].label}), keys: ${keys} < ${HOSTILE_TARGETS.peakRssMiB} MiB`,
        verdicts: runs.map((run) => uploadVerdict(run.uploads?.find((entry) => entry.body === body && entry.keys === keys))),
      });
    }
  }
  if (runs.some((run) => run.answer !== undefined)) {
    rows.push({
      target: `(b) peak RSS under a ${formatNumber(shape.answerBytes / 1e9, 1)} GB backend answer < ${HOSTILE_TARGETS.peakRssMiB} MiB, client gets ${EXPECTED_ANSWER}`,
      verdicts: runs.map((run) => answerVerdict(run.answer)),
    });
  }
  for (const keys of ['two keys', 'none'] as const) {
    if (runs.every((run) => run.fairness?.find((entry) => entry.keys === keys) === undefined)) continue;
    rows.push({
      target: keys === 'two keys'
        ? '(c) victim key p50 under another key\'s flood <= 2 x its p50 alone + one batch'
        : '(c) no keys: anonymous victim p50 under an anonymous flood (one tenant; not judged)',
      verdicts: runs.map((run) => fairnessVerdict(run.fairness?.find((entry) => entry.keys === keys), keys === 'two keys')),
    });
  }
  if (runs.some((run) => run.cpu !== undefined)) {
    rows.push({ target: `(d) /ping p99 under ${CPU_ATTACK.attackers} x 6 MB {"input":[{},...]} bodies < ${HOSTILE_TARGETS.pingP99Ms} ms`, verdicts: runs.map((run) => cpuVerdict(run.cpu)) });
  }
  if (runs.some((run) => run.connections !== undefined)) {
    rows.push({
      target: `(e) at MAX_CONNECTIONS=${shape.maxConnections}: new clients refused within ${HOSTILE_TARGETS.refusalMs} ms, the established connection served`,
      verdicts: runs.map((run) => connectionsVerdict(run.connections)),
    });
  }
  return rows;
}

const verdictText = (verdict: Verdict | undefined): string =>
  (verdict === undefined ? 'not measured' : `${verdict.measured}${verdict.met === undefined ? '' : verdict.met ? ' (met)' : ' (MISSED)'}`);

function uploadsTable(runs: readonly CheckoutRun[]): string {
  const rows = runs.flatMap((run) => (run.uploads ?? []).map((entry) => [
    run.label, UPLOAD_BODIES[entry.body].label, entry.keys, mib(entry.rssBeforeMiB), mib(entry.peakRssMiB), formatNumber(entry.peakAtS, 1),
    outcomes(entry.outcomes), formatNumber(entry.seconds, 1),
  ]));
  return formatTable(['checkout', 'bodies', 'keys', 'RSS before', 'peak RSS', 'peak at s', 'answers', 's'], rows);
}

function fairnessTable(runs: readonly CheckoutRun[]): string {
  const rows = runs.flatMap((run) => (run.fairness ?? []).map((entry) => [
    run.label, entry.keys, ms(entry.unloaded.p50Ms), ms(entry.loaded.p50Ms), ms(entry.loaded.p99Ms), ms(entry.limitMs),
    `${outcomes(entry.loaded.outcomes)}; ${entry.answeredAfterFlood} after the flood ended`, `${formatNumber(entry.floodRequests)} sent: ${outcomes(entry.floodOutcomes)}`,
    `${formatNumber(entry.frontDoorCpuPercent)}%`, ms(entry.benchLoopDelayP99Ms),
  ]));
  return formatTable([
    'checkout', 'keys', 'victim p50 alone', 'victim p50 flooded', 'victim p99 flooded', 'limit', 'victim answers (flooded)', 'flood',
    'front door CPU', 'bench loop delay p99',
  ], rows);
}

function otherTable(runs: readonly CheckoutRun[]): string {
  const rows = runs.flatMap((run) => {
    const lines: string[][] = [];
    if (run.answer !== undefined) {
      const { answer } = run;
      lines.push([run.label, '(b) hostile backend', `${mib(answer.peakRssMiB)} peak (${mib(answer.rssBeforeMiB)} before); client: ${answer.clientOutcome} in ${formatNumber(answer.clientSeconds, 2)} s; ` +
        `${answer.backendCalls} embed calls, ${formatNumber(answer.backendBytesSent / 1e6, 1)} MB of the answer sent before the front door stopped reading`]);
    }
    if (run.cpu !== undefined) {
      const { cpu } = run;
      lines.push([run.label, '(d) CPU amplification', `/ping p50 / p99 / max ${formatMs(cpu.underAttack.p50Ms)} / ${formatMs(cpu.underAttack.p99Ms)} / ${formatMs(cpu.underAttack.maxMs)} ms ` +
        `over ${cpu.underAttack.pings} pings (alone: ${formatMs(cpu.baseline.p50Ms)} / ${formatMs(cpu.baseline.p99Ms)} ms); ${formatNumber(cpu.attackBodies)} attack bodies answered (${outcomes(cpu.attackOutcomes)}); ` +
        `front door CPU ${formatNumber(cpu.frontDoorCpuPercent)}% of a core`]);
    }
    if (run.connections !== undefined) {
      const { connections } = run;
      lines.push([run.label, '(e) connection cap', `${connections.idleSockets} idle sockets and one keep-alive connection held; new clients: ` +
        `${connections.newClients.map((client) => `${client.outcome} in ${formatMs(client.ms)} ms`).join(', ')}; established: ${connections.establishedStatus ?? 'no answer'} ` +
        `in ${formatMs(connections.establishedMs)} ms; ${connections.idleStillOpen} idle sockets still open`]);
    }
    for (const [scenario, why] of Object.entries(run.failures)) lines.push([run.label, scenario, `could not run: ${why}`]);
    return lines;
  });
  return formatTable(['checkout', 'attack', 'what happened'], rows);
}

/** The whole results document. */
export function renderHostileReport(report: HostileReport): string {
  const { machine, shape, backend, runs } = report;
  const rows = targetRows(report);
  const last = runs.length - 1;
  const judged = rows.filter((row) => row.verdicts[last]?.met !== undefined);
  const met = judged.filter((row) => row.verdicts[last]?.met === true);
  const headers = ['target', ...runs.map((run) => `${run.label} (${run.revision})`)];
  return `# Hostile-load benchmark

Measured by \`${report.command}\` (tools/bench/hostile.ts) on ${report.date}, in ${formatNumber(report.runSeconds)} s.

- Machine: ${machine.nproc} cores (\`nproc\`), ${machine.cpuModel}, ${machine.os}; Node ${machine.node}. Shared with other
  work: figures are from one run, compare within it.
- The front door: \`functions/server/main.ts\` as \`npm start\` runs it, in its own process, a fresh one for each
  attack, default settings (except \`MAX_CONNECTIONS\` in (e)), \`ACCESS_LOG=false\`. Peak RSS is the kernel's
  high-water mark (\`VmHWM\` in /proc/PID/status) of that process, in MiB.
- Backends: ${backend.instances} simulated DJL instances (tools/djl-simulator), ${backend.cost.workers} workers each, ${backend.cost.baseMs} ms a job +
  ${backend.cost.perItemMs} ms a text: a batch of 32 takes ${formatNumber(backend.batchTimeMs)} ms, about ${formatNumber(backend.capacityTextsPerS)} texts/s in all.
  In (b) the only backend is a fake DJL instance that answers every embed call with a ${formatNumber(shape.answerBytes / 1e9, 1)} GB JSON list.

## Targets

${met.length} of ${judged.length} judged targets met by ${runs[last]?.label ?? 'this checkout'}. Load average (1 minute) at the start and end of
each checkout's attacks: ${runs.map((run) => `${run.label} ${formatNumber(run.loadAverage[0], 1)} / ${formatNumber(run.loadAverage[1], 1)}`).join('; ')}
(${machine.nproc} cores: above that, every process here waited for a core, and latencies include the wait).

${formatTable(headers, rows.map((row) => [row.target, ...row.verdicts.map(verdictText)]))}

## (a) Uploads

${shape.uploads} uploads of ${formatNumber(shape.uploadBytes / 1e6)} MB to \`/v1/embeddings\` at once, every body valid (\`{"input":[...]}\`),
with no keys and with one valid key at default limits (API_KEY_RPS 100, API_KEY_TPS 10,000). Answers are awaited
${shape.uploadWindowS} s (the requests admitted wait their turn at the backends' pace, their texts held meanwhile); what is
unanswered by then is cut off with the front door. "Peak at" is when the highest RSS sample (every 250 ms) came.

${uploadsTable(runs)}

## (c) A flooding key and a victim key

The victim sends one text ${VICTIM.ratePerS} times a second (open loop): ${shape.unloadedS} s alone, then the flood starts
(${FLOOD.textsPerRequest} texts a request at ${FLOOD.ratePerS} req/s, ${formatNumber(FLOOD.textsPerRequest * FLOOD.ratePerS)} texts/s, inside a key's default limits and
${formatNumber((FLOOD.textsPerRequest * FLOOD.ratePerS) / backend.capacityTextsPerS, 1)}x the backends' capacity); after ${shape.rampS} s of it, the victim's requests of the next ${shape.loadedS} s are
the flooded figures. Latencies are of 200 answers, from sending to the last byte. The limit is 2 x the
victim's p50 alone + one batch (${formatNumber(backend.batchTimeMs)} ms). With no keys both are one anonymous tenant.
"After the flood ended": flooded-window requests answered only once the flood had stopped. Front door CPU is
over the flooded window (100 = one core); the bench's own event-loop delay p99 says how late its timers ran
(a late pacer sends in clumps, and the victim's latency includes the lateness).

${fairnessTable(runs)}

## (b), (d), (e)

(d): /ping every ${PING_INTERVAL_MS} ms on one keep-alive connection, ${shape.pingBaselineS} s alone, then ${shape.cpuAttackS} s while
${CPU_ATTACK.attackers} clients send ${formatNumber(CPU_ATTACK.bodyBytes / 1e6)} MB bodies of \`{"input":[{},{},...]}\` back to back, no key.
(e): \`MAX_CONNECTIONS=${shape.maxConnections}\`; one keep-alive connection served /ping, ${shape.maxConnections - 1} idle sockets fill the cap,
then ${shape.newClients} new clients, one after another, connect and ask /ping; refused means closed or reset unanswered.

${otherTable(runs)}
`;
}
