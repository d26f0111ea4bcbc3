/**
 * The results file (tools/bench/results/dispatch.md): where and how it was measured, the table, the
 * front door's own overhead, the target verdicts, and the notes needed to read them. Pure: a
 * {@link BenchReport} in, Markdown out.
 */
import type { FrontDoorEntry } from './front-door-process';
import type { MachineInfo } from './machine-info';
import { NGINX_UPSTREAM_KEEPALIVE } from './nginx-config';
import { QUIET_PERCENT } from './quiet-machine';
import { formatNumber, formatSigned, formatTable } from '../report/tables';
import { cpuPerRequestTable, cpuPerRequestUs, formatCpu, resultsTable } from './report-table';
import { profileTable, topFunctionsTable } from './cpu-profile-summary';
import type { ProfileRecord } from './run-workload';
import { DJL_PROFILES } from '../djl-simulator/options';
import { THRESHOLDS, type Overhead, type TargetCheck } from './target-checks';
import {
  findResult, INSTANCES, jobMs, MODERATE_RATE_PER_S, PACED_OFFERED_FRACTION, SETUPS, WORKLOADS, type Cell, type SetupId, type Workload,
} from './workloads';

/** Everything a run produced; written as JSON next to the Markdown. */
export interface BenchReport {
  /** ISO date-time the run started. */
  readonly date: string;
  /** The commit measured (and whether the work tree had uncommitted changes). */
  readonly revision: string;
  readonly machine: MachineInfo;
  readonly settings: { readonly durationS: number; readonly warmupS: number; readonly quietWaitS: number };
  /** The three CPU instances' chunks/s limit. */
  readonly physicalLimit: number;
  /** (a)'s closed-loop limit from the simulators' cost model. */
  readonly closedLoopLimit: number;
  /** The checkout the front door ran from, when not this one. */
  readonly frontDoorRoot: string | undefined;
  /** How the front doors ran: their server bundles, or the sources through tsx (absent in older results: tsx). */
  readonly entry?: FrontDoorEntry;
  /** The baseline front door's checkout and revision, when the run measured one. */
  readonly baseline: { readonly root: string; readonly revision: string } | undefined;
  /** The front door's CPU profiles (`--cpu-prof`), one per profiled workload. */
  readonly profiles: readonly ProfileRecord[];
  readonly workloads: readonly Workload[];
  readonly cells: readonly Cell[];
  /** Setups against direct in (d-moderate). */
  readonly overhead: readonly Overhead[];
  readonly targets: readonly TargetCheck[];
  /** nginx worker processes used. */
  readonly nginxWorkers: number;
  /** CPU the machine used in the second before the run (100 = one core): work that was not ours. */
  readonly machineBusyBefore: number | undefined;
  /** Wall-clock seconds of the whole run. */
  readonly runSeconds: number;
}

/** A process group at or above this share of one core was the likely limit of its cell. */
export const BUSY_CORE_PERCENT = 90;

const MS_PER_S = 1_000;
const PERCENT = 100;
/** An extrapolated ceiling is no more precise than this. */
const ROUND_TO = 100;

const verdict = (pass: boolean | undefined): string => (pass === undefined ? 'n/a' : pass ? 'PASS' : 'FAIL');

/** The target verdicts as a table. */
export function targetsTable(targets: readonly TargetCheck[]): string {
  return formatTable(
    ['target', 'measured', 'result'],
    targets.map((check) => [check.target, check.measured, `${verdict(check.pass)}${check.note === undefined ? '' : ` (${check.note})`}`]),
  );
}

/** Added latency against direct, plus each setup's ceiling with zero-cost backends. */
export function overheadTable(report: Pick<BenchReport, 'cells' | 'overhead'>): string {
  const rows = report.overhead.map((overhead) => [
    SETUPS[overhead.setup],
    formatSigned(overhead.addedP50Ms),
    formatSigned(overhead.addedP99Ms),
    formatNumber(findResult(report.cells, 'd', overhead.setup)?.requestsPerS),
  ]);
  const direct = findResult(report.cells, 'd', 'direct');
  rows.unshift([SETUPS.direct, '0', '0', formatNumber(direct?.requestsPerS)]);
  return formatTable(
    ['setup', `added p50 ms at ${MODERATE_RATE_PER_S} req/s`, `added p99 ms at ${MODERATE_RATE_PER_S} req/s`, 'req/s, 64 clients (d)'],
    rows,
  );
}

/**
 * Cells where one process group kept a core (nearly) busy, or the machine had (nearly) no core
 * left: what limited them was the machine, not the setup.
 */
export function busyCells(cells: readonly Cell[], cores: number): string[] {
  return cells.flatMap((cell) => {
    const { machine, ...groups } = cell.cpu;
    const busyGroup = Object.values(groups).some((percent) => percent !== undefined && percent >= BUSY_CORE_PERCENT);
    const busyMachine = machine !== undefined && machine >= BUSY_CORE_PERCENT * cores;
    return busyGroup || busyMachine ? [`${cell.workload} / ${SETUPS[cell.setup]}: ${formatCpu(cell.cpu)}`] : [];
  });
}

/**
 * The load generator's own ceiling: its best req/s without a proxy in between (direct or the
 * client pool, zero-cost backends), and the CPU it needed for it.
 */
function loadGeneratorCeiling(cells: readonly Cell[]): string {
  const unproxied = cells.filter((cell) => cell.workload === 'd' && (cell.setup === 'direct' || cell.setup === 'pool') && cell.result !== undefined);
  const best = unproxied.sort((a, b) => (b.result?.requestsPerS ?? 0) - (a.result?.requestsPerS ?? 0))[0];
  if (best?.result === undefined) return 'not measured in this run (needs workload d).';
  const proxied = cells.filter((cell) => cell.workload === 'd' && cell.setup !== 'direct' && cell.setup !== 'pool' && cell.result !== undefined);
  const fastestProxy = Math.max(...proxied.map((cell) => cell.result?.requestsPerS ?? 0));
  const lgPercent = best.cpu.loadGenerator;
  const perCoreCeiling = lgPercent === undefined || lgPercent <= 0 ? undefined : (best.result.requestsPerS * PERCENT) / lgPercent;
  return `With no proxy in between (${SETUPS[best.setup]}, zero-cost backends, 64 clients) the load generator ` +
    `drove ${formatNumber(best.result.requestsPerS)} req/s using ${formatNumber(lgPercent)}% of a core ` +
    `(${perCoreCeiling === undefined ? 'its own ceiling unknown' : `about ${formatNumber(Math.round(perCoreCeiling / ROUND_TO) * ROUND_TO)} req/s for a whole core`}; ` +
    `CPU ${formatCpu(best.cpu)}). ${proxied.length === 0 ? '' : fastestProxy < best.result.requestsPerS
      ? 'The proxies in (d) stayed below that, so the load generator did not limit them.'
      : 'A proxy in (d) reached that rate: there the load generator may be the limit.'}`;
}

/**
 * What the plain Node proxy says about the hop: the part of the front door's added latency and CPU
 * that any Node process in the path pays on this machine, and the part that is the front door's own.
 */
export function nodeFloorNote(cells: readonly Cell[], overhead: readonly Overhead[]): string {
  const added = (setup: SetupId): number | undefined => overhead.find((entry) => entry.setup === setup)?.addedP50Ms;
  const floor = added('nodeProxy');
  const frontDoor = added('frontDoor');
  if (floor === undefined || frontDoor === undefined) return '';
  const cpuOf = (setup: SetupId): number | undefined => {
    const cell = cells.find((entry) => entry.workload === 'd-moderate' && entry.setup === setup);
    return cell?.result === undefined || cell.cpu.proxy === undefined ? undefined : cpuPerRequestUs(cell.cpu.proxy, cell.result.requestsPerS);
  };
  return `\nThe plain Node proxy is the floor of a Node hop on this machine: at ${MODERATE_RATE_PER_S} req/s it added ` +
    `${formatSigned(floor)} ms at the median using ${formatNumber(cpuOf('nodeProxy'))} µs of CPU a request, and the front door ` +
    `${formatSigned(frontDoor)} ms using ${formatNumber(cpuOf('frontDoor'))} µs: the front door's own work (parsing, checks, ` +
    `batching, cache, metrics) added ${formatSigned(frontDoor - floor)} ms over it.\n`;
}

/** Little's law on (c): why 0.45x cannot be reached closed loop, and what (c-paced) does instead. */
function pacedNote(report: Pick<BenchReport, 'physicalLimit' | 'settings'>): string {
  const closed = WORKLOADS.find((workload) => workload.id === 'c');
  const paced = WORKLOADS.find((workload) => workload.id === 'c-paced');
  if (closed === undefined || paced === undefined) return '';
  const outstanding = closed.clients * closed.textsPerRequest;
  const floorMs = (outstanding / report.physicalLimit) * MS_PER_S;
  const wholeJobMs = jobMs(closed.profile, closed.textsPerRequest);
  const { baseMs, perItemMs } = DJL_PROFILES[closed.profile];
  const requests = (report.settings.durationS * MS_PER_S * paced.clients) / paced.intervalMs;
  return `With ${closed.clients} closed-loop clients of ${closed.textsPerRequest} texts, ` +
    `${formatNumber(outstanding)} texts are always outstanding, so by Little's law the front door's latency is at least ` +
    `${formatNumber(outstanding)} / ${formatNumber(report.physicalLimit)} per second, about ${formatNumber(floorMs)} ms, however well it ` +
    `fans out; nginx sends each request whole to one worker, ${baseMs} + ${perItemMs} x ${closed.textsPerRequest}, about ` +
    `${formatNumber(wholeJobMs)} ms. The ratio cannot go below about ${formatNumber(floorMs / wholeJobMs, 2)}x closed loop, so ` +
    `${THRESHOLDS.cP50VsNginx}x is not reachable there. The target's intent (a big request fanned out over three instances ` +
    'comes back sooner) is about instances that are not all saturated: in (c-paced) the same ' +
    `${paced.clients} clients each start a ${paced.textsPerRequest}-text request every ${formatNumber(paced.intervalMs)} ms, ` +
    `an offered load of ${formatNumber(PACED_OFFERED_FRACTION * 100)}% of capacity, and the target is judged there; ` +
    '(c) closed loop is reported for information. ' +
    `Paced cells have few samples (about ${formatNumber(requests)} requests each), so their p99 is close to their maximum.`;
}

/** The profile section: a table per profile side by side, and each profile's busiest functions. */
export function profileSection(profiles: readonly ProfileRecord[]): string {
  if (profiles.length === 0) return 'Not profiled in this run (`--cpu-prof` profiles the front door under (a) and (d)).';
  const labelOf = (profile: ProfileRecord): string => `(${profile.workload})${profile.setup === 'baseline' ? ' baseline' : ''}`;
  const table = profileTable(profiles.map((profile) => ({ label: labelOf(profile), summary: profile.summary, requests: profile.requests })));
  const files = profiles.map((profile) => `${labelOf(profile)} ${profile.file === undefined ? 'not saved' : `\`${profile.file}\` (${formatNumber((profile.bytes ?? 0) / 1024)} KB)`}` +
    `, ${formatNumber(profile.requests)} requests in the window`);
  const tops = profiles.map((profile) => `Busiest functions in ${labelOf(profile)}, self time:\n\n${topFunctionsTable(profile.summary)}`);
  return `The front door ran with \`node --cpu-prof\`; each profile is cut to its cell's measured window
(samples only; open it in Chrome DevTools' Performance panel after gunzip) and summarised by
\`tools/bench/cpu-profile-summary.ts\`: a sample's time goes to the deepest frame of the call stack that
belongs to a known part of the program (Node's and V8's builtins count for their caller). µs/req is
that time divided by the requests answered in the window; the profiler's own cost is in it, so the
total runs above the /proc figure of the table above.

${table}

Profiles: ${files.join('; ')}.

${tops.join('\n\n')}`;
}

/** The whole results document. */
export function renderReport(report: BenchReport): string {
  const { machine, settings } = report;
  const met = report.targets.filter((check) => check.pass === true && check.note === undefined).length;
  const judged = report.targets.filter((check) => check.pass !== undefined && check.note === undefined).length;
  const busy = busyCells(report.cells, machine.nproc);
  const cpu = DJL_PROFILES.cpu;
  return `# Dispatch benchmark

Measured by \`npm run bench\` (tools/bench/run.ts) on ${report.date}, in ${formatNumber(report.runSeconds)} s, at ${report.revision}${
  report.frontDoorRoot === undefined ? '' : `; the front door ran from ${report.frontDoorRoot}`}${
  report.baseline === undefined ? '' : `; the "front door baseline" rows are the front door of ${report.baseline.revision} (${report.baseline.root}), measured in the same run`}.

- Machine: ${machine.nproc} cores (\`nproc\`), ${machine.cpuModel}, ${machine.os}
- Node ${machine.node}; nginx: ${machine.nginx}
- The front door${report.baseline === undefined ? '' : 's'} ran ${report.entry === 'bundle'
    ? `as the container image runs ${report.baseline === undefined ? 'it' : 'them'}: \`node --enable-source-maps dist/server/main.mjs\`, each checkout's own server bundle built first`
    : 'as `npm start` runs it: the TypeScript sources through tsx'}.
- The machine was ${formatNumber(report.machineBusyBefore)}% busy (100 = one core) in the second before the run.
- Each cell: up to ${settings.quietWaitS} s waiting for other work on the machine to finish (below ${QUIET_PERCENT}% of a core),
  ${settings.warmupS} s warm-up, then ${settings.durationS} s measured; fresh simulators for every workload.
- Backends: ${INSTANCES} simulated DJL Serving instances (tools/djl-simulator), \`cpu\` profile (${cpu.workers} workers, ${cpu.baseMs} ms a job + ${cpu.perItemMs} ms a text;
  the three together top out at about ${formatNumber(report.physicalLimit)} chunks/s) or \`zero\` (no model cost) for (d).

## Results

chunks/s and req/s count requests that finished inside the measured window; latencies are those of
good answers (200 and one vector per text), from sending to the last byte read. CPU is percent of
one core over the window (the machine has ${machine.nproc * 100} in all): the load generator (lg), the
simulator process (sim), nginx (master and worker) or the front door (proxy), and everything else
the machine did meanwhile (other: processes outside the benchmark, kernel network work). A high
"other" means the cell competed for cores with work that is not part of it.

${resultsTable(report.cells)}

## CPU per request

Each proxy's CPU time over the measured window (utime + stime from /proc, nginx's master and worker
together) divided by the requests it answered in the window. The front door's last column splits
its figure between its main thread (the event loop: everything a CPU profile samples) and its
other threads (/proc/PID/task: V8's concurrent and parallel garbage collection mostly, which a
profile never samples, and libuv's pool).

${cpuPerRequestTable(report.cells)}

(a)'s closed-loop limit, from the simulators' own cost model: ${INSTANCES} instances x ${cpu.workers} workers = ${INSTANCES * cpu.workers} slots,
64 clients in batches of 64 / ${INSTANCES * cpu.workers} texts each taking ${cpu.baseMs} + ${cpu.perItemMs} x 64 / ${INSTANCES * cpu.workers} ms:
about ${formatNumber(report.closedLoopLimit)} chunks/s; the front door reached ${formatNumber(
    ((findResult(report.cells, 'a', 'frontDoor')?.chunksPerS ?? Number.NaN) / report.closedLoopLimit) * PERCENT, 1)}% of it.

## Where the front door's CPU goes

${profileSection(report.profiles)}

## The front door's own overhead (d)

Zero-cost backends. Added latency is against going direct to one instance at the same moderate rate
(4 clients paced to ${MODERATE_RATE_PER_S} req/s in all: no queueing, so the difference is the hop itself).

${overheadTable(report)}
${nodeFloorNote(report.cells, report.overhead)}
## Targets

${met} of ${judged} targets met.

${targetsTable(report.targets)}

## Notes

- **Setups.** *direct*: every request to the first instance. *nginx least_conn*: the seed's
  Option A config (least_conn, \`max_fails=3 fail_timeout=30s\`, \`proxy_next_upstream error timeout
  http_502 http_503\`, 5 s connect and 60 s read timeouts) **plus upstream keep-alive**, which any real
  deployment adds and without which nginx opens a new DJL connection per request:
  \`keepalive ${NGINX_UPSTREAM_KEEPALIVE}\` in the upstream, \`proxy_http_version 1.1\` and \`proxy_set_header Connection ""\`.
  \`worker_processes ${report.nginxWorkers}\` rather than \`auto\`: the load generator, the simulators and the proxy share
  ${machine.nproc} cores, the front door is one Node process (one event loop), so one nginx worker gives both proxies
  the same one-core budget; and without a shared \`zone\`, least_conn counts connections per worker, so
  several workers would each balance on part of the picture. \`access_log off\`: the front door logs no
  line per request either. *round-robin pool*: the seed's Option B (\`DJLEmbedderPool\`), each client
  sending its requests to the three instances in turn, clients starting at different instances.
  *plain Node proxy* (under (d) only): tools/bench/plain-node-proxy.ts, a node:http server
  forwarding each request to the three instances in turn through one undici keep-alive pool, with
  none of the front door's work (no parsing, checks, batching, cache or metrics), bundled and run on
  plain node as the front door is: the floor of any Node process on the path on this machine.
  *front door*: \`functions/server/main.ts\` as \`npm start\` runs it, \`CPU_BACKENDS\` = the three instances,
  default settings otherwise; whatever embedder that entry point builds is what is measured.
- **Load.** The same load generator (its own process, undici keep-alive pools, one connection per
  client) sends the same DJL request (\`POST /predictions/all_MiniLM_L6_v2\`, a JSON list of distinct
  ~300-character texts) to every setup. Closed loop: each client sends its next request as soon as
  the last one answers. Paced variants start a request at most once per interval per client.
- **Why (c) has a paced variant.** ${pacedNote(report)}
- **Load generator ceiling.** ${loadGeneratorCeiling(report.cells)}
- **CPU contention.** ${busy.length === 0
    ? `No process group reached ${BUSY_CORE_PERCENT}% of a core in any cell.`
    : `Cells where a process group reached ${BUSY_CORE_PERCENT}% of a core, or the machine ${BUSY_CORE_PERCENT}% of all its cores (the machine's limit, not the setup's):\n${busy.map((line) => `  - ${line}`).join('\n')}`}
`;
}
