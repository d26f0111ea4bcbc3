/**
 * The burst benchmark's results document: what was run where, one table of phases per setup, the
 * targets met or missed, where the burst's time went by tier (Server-Timing), and a timeline.
 * Pure: a {@link BurstReport} in, Markdown out.
 */
import type { PhaseCpu } from './burst-cpu';
import type { BurstShape, PhaseStats, TimelineBucket, TimeSplit } from './burst-stats';
import { tierShare } from './burst-stats';
import { BURST_SETUPS, FAST_429_P99_MS, type BurstSetupId, type TargetCheck } from './burst-targets';
import type { MachineInfo } from './machine-info';
import { formatMs, formatNumber, formatTable, NOT_AVAILABLE } from '../report/tables';

/** The front door's event-loop delay over one phase (prom-client's monitorEventLoopDelay, reset at each read). */
export interface LoopDelay {
  readonly p99Ms: number | undefined;
  readonly maxMs: number | undefined;
}

/** CPU use over the measured phases; 100 = one core busy. */
export interface BurstCpu {
  readonly frontDoor: number | undefined;
  readonly simulators: number | undefined;
  readonly loadGenerator: number | undefined;
  readonly machine: number | undefined;
}

/** One setup's run, or why it could not run. */
export interface BurstSetupResult {
  readonly setup: BurstSetupId;
  readonly skipped: string | undefined;
  readonly phases: readonly PhaseStats[];
  /** CPU during each of `phases`, in the same order. */
  readonly phaseCpu: readonly PhaseCpu[];
  /** The front door's event-loop delay during each of `phases`. */
  readonly loopDelay: readonly LoopDelay[];
  /** The burst phase's time split, per tier. */
  readonly splits: readonly TimeSplit[];
  readonly timeline: readonly TimelineBucket[];
  readonly targets: readonly TargetCheck[];
  readonly cpu: BurstCpu;
  /** Other work on the machine (percent of one core) when the setup started. */
  readonly machineBusyBefore: number | undefined;
  /** Most requests the generator had outstanding at once. */
  readonly peakInFlight: number | undefined;
  /** The front door's non-zero overflow and rejection counters from /metrics at the end. */
  readonly counters: readonly string[];
}

/** Everything the results files hold. */
export interface BurstReport {
  readonly date: string;
  readonly revision: string;
  readonly command: string;
  readonly machine: MachineInfo;
  readonly shape: BurstShape;
  /** One `cpu` instance's physical limit, texts per second: what "3x the CPU tier" is 3x of. */
  readonly capacityTextsPerS: number;
  readonly textsPerRequest: number;
  readonly route: string;
  readonly clientTimeoutMs: number;
  readonly connections: number;
  /** The front door's extra settings (`--env`). */
  readonly env: Readonly<Record<string, string>>;
  readonly timelineBucketS: number;
  readonly setups: readonly BurstSetupResult[];
  readonly runSeconds: number;
}

const PERCENT = 100;
const percent = (value: number): string => (Number.isFinite(value) ? `${formatNumber(value * PERCENT, 0)}%` : NOT_AVAILABLE);
const cpu = (value: number | undefined): string => (value === undefined ? NOT_AVAILABLE : formatNumber(value));

/** `0`, or the kinds and counts: `status 429: 1,200, UND_ERR_HEADERS_TIMEOUT: 2`. */
export function formatErrorKinds(errors: Readonly<Record<string, number>>): string {
  const kinds = Object.entries(errors).sort(([, a], [, b]) => b - a);
  return kinds.length === 0 ? '0' : kinds.map(([kind, count]) => `${kind}: ${formatNumber(count)}`).join(', ');
}

/** `fd 80 · sim 40 · rest 30`: the front door, the simulators, and the rest (generator, other work). */
export function formatPhaseCpu(cpu: PhaseCpu | undefined): string {
  if (cpu?.machine === undefined || cpu.frontDoor === undefined || cpu.simulators === undefined) return NOT_AVAILABLE;
  const rest = Math.max(0, cpu.machine - cpu.frontDoor - cpu.simulators);
  return `fd ${formatNumber(cpu.frontDoor)} · sim ${formatNumber(cpu.simulators)} · rest ${formatNumber(rest)}`;
}

function phaseRows(result: BurstSetupResult, textsPerRequest: number): string[][] {
  return result.phases.map((stats, index) => [
    BURST_SETUPS[result.setup],
    stats.phase,
    `${formatNumber(stats.ratePerS, 1)} (${formatNumber(stats.ratePerS * textsPerRequest)} texts/s)`,
    formatNumber(stats.requests),
    formatMs(stats.latencyMs.p50),
    formatMs(stats.latencyMs.p90),
    formatMs(stats.latencyMs.p99),
    formatMs(stats.latencyMs.max),
    formatErrorKinds(stats.errors),
    stats.rejected429 === 0 ? '0' : `${formatNumber(stats.rejected429)} (${formatNumber(stats.retryAfter429)} with Retry-After)`,
    stats.rejected429 === 0 ? NOT_AVAILABLE : `${formatMs(stats.latency429Ms.p99)} / ${formatMs(stats.latency429Ms.max)}`,
    formatNumber(stats.timeouts),
    `${percent(tierShare(stats, 'cpu'))} / ${percent(tierShare(stats, 'gpu'))}`,
    formatMs(stats.maxLagMs),
    formatPhaseCpu(result.phaseCpu[index]),
    `${formatMs(result.loopDelay[index]?.p99Ms)} / ${formatMs(result.loopDelay[index]?.maxMs)}`,
  ]);
}

function splitRows(result: BurstSetupResult): string[][] {
  return result.splits.map((row) => [
    BURST_SETUPS[result.setup],
    row.tier,
    row.group === 'all' ? 'all' : 'slowest 1%',
    formatNumber(row.count),
    formatMs(row.clientMs),
    formatMs(row.queueMs),
    formatMs(row.upstreamMs),
    formatMs(row.frontDoorOtherMs),
    formatMs(row.outsideMs),
  ]);
}

function timelineTable(result: BurstSetupResult): string {
  const rows = result.timeline.map((bucket) => [
    formatNumber(bucket.fromS),
    bucket.phase,
    formatNumber(bucket.requests),
    formatNumber(bucket.ok),
    formatNumber(bucket.rejected429),
    formatNumber(bucket.otherErrors),
    percent(bucket.ok === 0 ? Number.NaN : bucket.gpu / bucket.ok),
    formatMs(bucket.p99Ms),
  ]);
  return formatTable(['from s', 'phase', 'sent', 'ok', '429', 'other errors', 'GPU share', 'p99 ms'], rows);
}

/** Renders the results document. */
export function renderBurstReport(report: BurstReport): string {
  const { machine, shape } = report;
  const measured = report.setups.filter((result) => result.skipped === undefined);
  const env = Object.entries(report.env).map(([key, value]) => `\`${key}=${value}\``).join(' ');
  const lines = [
    '# Burst benchmark',
    '',
    `Run ${report.date} with \`${report.command}\` at ${report.revision}, in ${formatNumber(report.runSeconds)} s.`,
    `Machine: ${machine.nproc} cores, ${machine.cpuModel}, ${machine.os}, Node ${machine.node}.`,
    `Front door settings: ${env === '' ? 'defaults' : env} (everything else at its default).`,
    '',
    `One simulated DJL \`cpu\` instance is the CPU tier (capacity ${formatNumber(report.capacityTextsPerS)} texts/s at best); ` +
      'the "with GPU tier" front door also has one simulated `gpu` instance as its overflow tier. Each is its own process on ' +
      `127.0.0.1, as is the front door (started as \`npm start\` runs it) and the load generator. Open-loop arrivals at a fixed ` +
      `rate, ${report.textsPerRequest} distinct texts per request to \`${report.route}\`, up to ${formatNumber(report.connections)} ` +
      `connections; latency counts from when a request was due, so a late start is not hidden. Phases: ${shape.warmupS} s warm-up ` +
      `(not reported), baseline ${shape.baselineS} s, burst ${shape.burstS} s, recovery ${shape.recoveryS} s. A request ` +
      `belongs to the phase it was due in. Client timeout ${formatNumber(report.clientTimeoutMs)} ms (above the front door's ` +
      'default 30 s REQUEST_TIMEOUT_MS, so its own 504 would show as such).',
    '',
    'Machine load (percent of one core): ' + report.setups.map((result) => `${BURST_SETUPS[result.setup]}: other work ` +
      `${cpu(result.machineBusyBefore)} before the run; during it front door ${cpu(result.cpu.frontDoor)}, simulators ` +
      `${cpu(result.cpu.simulators)}, load generator ${cpu(result.cpu.loadGenerator)}, whole machine ${cpu(result.cpu.machine)} ` +
      `(of ${machine.nproc * PERCENT}); at most ${formatNumber(result.peakInFlight)} requests in flight`).join('. ') + '.',
    '',
    ...report.setups.filter((result) => result.skipped !== undefined)
      .flatMap((result) => [`${BURST_SETUPS[result.setup]}: skipped (${result.skipped ?? ''}).`, '']),
    '## Phases',
    '',
    formatTable(
      ['setup', 'phase', 'req/s', 'requests', 'p50 ms', 'p90 ms', 'p99 ms', 'max ms', 'errors', '429s', '429 p99 / max ms', 'timeouts', 'CPU / GPU', 'lag ms', 'CPU % of a core', 'fd loop delay p99 / max ms'],
      measured.flatMap((result) => phaseRows(result, report.textsPerRequest))),
    '',
    'Latencies are of the good answers; "errors" is everything else by kind; "timeouts" counts client timeouts, requests cut ' +
      'off at the end and 504s; "CPU / GPU" is the share of good answers each tier served (`x-embed-tier`); "lag" is how late the ' +
      'generator sent its latest request (its own health: near 0 means it kept the schedule); "CPU % of a core" is what the ' +
      'front door (fd), the simulators (sim) and the rest (the load generator and any other work) used during the phase, ' +
      `of ${machine.nproc * PERCENT} in all; "fd loop delay" is the front door's event-loop delay over the phase ` +
      '(its /metrics `nodejs_eventloop_lag_*`: how long a ready callback, such as a new request, waited). The un-burst p99 ' +
      'is the baseline phase\'s p99 of the same setup.',
    '',
    '## Targets',
    '',
    formatTable(['setup', 'target', 'measured', 'result'],
      measured.flatMap((result) => result.targets.map((check) => [BURST_SETUPS[check.setup], check.target, check.measured, check.met ? 'met' : 'MISSED']))),
    '',
    `"Fast" 429s: their p99 under ${FAST_429_P99_MS} ms in every phase that had any.`,
    '',
    '## Where the burst\'s time goes',
    '',
    'Good answers of the burst phase by tier, means in ms that add up: the client\'s latency is the front door\'s queue ' +
      '(Server-Timing `queue`), the backend call (`upstream`), the rest of the front door\'s own time (`total` minus both) and ' +
      'the time outside it (client latency minus `total`: the generator, loopback, the front door\'s event loop before its ' +
      'timer starts). "slowest 1%" is the slowest 1% of the tier\'s good answers (at least one).',
    '',
    formatTable(['setup', 'tier', 'which', 'n', 'client ms', 'queue ms', 'upstream ms', 'other in front door ms', 'outside ms'],
      measured.flatMap(splitRows)),
    '',
    ...measured.flatMap((result) => [
      `## Timeline, ${BURST_SETUPS[result.setup]} (${report.timelineBucketS} s slices, by when requests were due)`,
      '',
      timelineTable(result),
      '',
      `Front door counters at the end: ${result.counters.length === 0 ? 'none above 0' : result.counters.map((line) => `\`${line}\``).join(', ')}.`,
      '',
    ]),
  ];
  return `${lines.join('\n').trimEnd()}\n`;
}
