/**
 * The targets, checked against the measured numbers. Pure: cells in, verdicts out. A
 * target that needs a cell that was not measured (nginx missing, `--only`) is "n/a", not a pass.
 */
import type { LoadResult } from './load-loop';
import { cpuPerRequestUs } from './report-table';
import { findResult, type Cell, type SetupId, type WorkloadId } from './workloads';

/** One target's verdict. */
export interface TargetCheck {
  readonly id: string;
  readonly workload: WorkloadId;
  /** The target as the issue words it. */
  readonly target: string;
  /** The numbers behind the verdict, or why there is none. */
  readonly measured: string;
  /** The ratio (or difference, for overhead) that was compared. */
  readonly value: number | undefined;
  /** true: met; false: missed; undefined: could not be checked. */
  readonly pass: boolean | undefined;
  /** Why a verdict is only informational, when it is. */
  readonly note?: string;
}

/** The figures a target reads from. */
export interface TargetInputs {
  readonly cells: readonly Cell[];
  /** The three CPU instances' chunks/s limit (about 2,400). */
  readonly physicalLimit: number;
  /** (a)'s closed-loop limit from the simulators' cost model (about 1,700 chunks/s; see closedLoopLimit). */
  readonly closedLoopLimit: number;
}

/** Target thresholds, as the issues state them (issue 21 raised (a)'s and (d)'s and added the CPU one). */
export const THRESHOLDS = {
  aThroughputVsNginx: 3.3,
  aShareOfClosedLoopLimit: 0.9,
  aCpuPerRequestVsNginx: 2,
  bThroughputVsNginx: 4,
  bShareOfLimit: 0.8,
  cP50VsNginx: 0.45,
  dOverheadP50Ms: 0.5,
  dRequestsVsNginx: 0.5,
} as const;

const fixed = (value: number, digits = 2): string => (Number.isFinite(value) ? value.toFixed(digits) : 'n/a');
const whole = (value: number): string => (Number.isFinite(value) ? Math.round(value).toLocaleString('en-US') : 'n/a');

/** A front-door figure only passes when the front door answered every request well. */
function errorsOf(result: LoadResult): string {
  return result.errorCount === 0 ? '' : `; the front door had ${result.errorCount} errors`;
}

function missing(id: string, workload: WorkloadId, target: string, setups: readonly SetupId[]): TargetCheck {
  return { id, workload, target, measured: `not measured (needs ${setups.join(' and ')} in ${workload})`, value: undefined, pass: undefined };
}

/** The front door's p50 at the moderate rate less `reference`'s, under the overhead bar. */
function overheadCheck(
  inputs: TargetInputs,
  spec: { id: string; target: string; reference: SetupId; referenceLabel: string; note?: string },
): TargetCheck {
  const frontDoor = findResult(inputs.cells, 'd-moderate', 'frontDoor');
  const reference = findResult(inputs.cells, 'd-moderate', spec.reference);
  if (frontDoor === undefined || reference === undefined) return missing(spec.id, 'd-moderate', spec.target, ['frontDoor', spec.reference]);
  const added = frontDoor.latencyMs.p50 - reference.latencyMs.p50;
  return {
    id: spec.id, workload: 'd-moderate', target: spec.target, value: added,
    measured: `p50 ${fixed(frontDoor.latencyMs.p50)} ms vs ${fixed(reference.latencyMs.p50)} ms ${spec.referenceLabel}: ` +
      `${added < 0 ? '' : '+'}${fixed(added)} ms${errorsOf(frontDoor)}`,
    pass: Number.isFinite(added) ? added < THRESHOLDS.dOverheadP50Ms && frontDoor.errorCount === 0 : undefined,
    ...(spec.note === undefined ? {} : { note: spec.note }),
  };
}

type Metric = (result: LoadResult) => number;

/** `front door / baseline` of a metric, compared with `threshold` in the given direction. */
function ratioCheck(
  inputs: TargetInputs,
  spec: {
    id: string;
    workload: WorkloadId;
    target: string;
    baseline: SetupId;
    metric: Metric;
    unit: string;
    atLeast: boolean;
    threshold: number;
    note?: string;
  },
): TargetCheck {
  const frontDoor = findResult(inputs.cells, spec.workload, 'frontDoor');
  const baseline = findResult(inputs.cells, spec.workload, spec.baseline);
  if (frontDoor === undefined || baseline === undefined) {
    return missing(spec.id, spec.workload, spec.target, ['frontDoor', spec.baseline]);
  }
  const ratio = spec.metric(frontDoor) / spec.metric(baseline);
  const met = spec.atLeast ? ratio >= spec.threshold : ratio <= spec.threshold;
  const show = spec.unit === 'ms' ? (value: number): string => fixed(value, 1) : whole;
  const measured = `${show(spec.metric(frontDoor))} vs ${show(spec.metric(baseline))} ${spec.unit}: ` +
    `${fixed(ratio)}x (needs ${spec.atLeast ? '>=' : '<='} ${spec.threshold}x)${errorsOf(frontDoor)}`;
  return {
    id: spec.id,
    workload: spec.workload,
    target: spec.target,
    measured,
    value: ratio,
    pass: Number.isFinite(ratio) ? met && frontDoor.errorCount === 0 : undefined,
    ...(spec.note === undefined ? {} : { note: spec.note }),
  };
}

const chunksPerS: Metric = (result) => result.chunksPerS;
const requestsPerS: Metric = (result) => result.requestsPerS;
const p50: Metric = (result) => result.latencyMs.p50;
const p99: Metric = (result) => result.latencyMs.p99;

/** (a) against the closed-loop limit of its own cost model. */
function closedLoopCheck(inputs: TargetInputs): TargetCheck {
  const target = `(a) front door above ${THRESHOLDS.aShareOfClosedLoopLimit * 100}% of the closed-loop limit`;
  const a = findResult(inputs.cells, 'a', 'frontDoor');
  if (a === undefined) return missing('a-closed-loop', 'a', target, ['frontDoor']);
  const share = a.chunksPerS / inputs.closedLoopLimit;
  return {
    id: 'a-closed-loop', workload: 'a', target, value: share,
    measured: `${whole(a.chunksPerS)} of ${whole(inputs.closedLoopLimit)} chunks/s: ${fixed(share * 100, 1)}%${errorsOf(a)}`,
    pass: share >= THRESHOLDS.aShareOfClosedLoopLimit && a.errorCount === 0,
  };
}

/** (a): the front door's CPU per request against nginx's, both read from /proc over the same window. */
function cpuCheck(inputs: TargetInputs): TargetCheck {
  const target = `(a) front door CPU per request <= ${THRESHOLDS.aCpuPerRequestVsNginx}x nginx's`;
  const perRequest = (setup: SetupId): number | undefined => {
    const cell = inputs.cells.find((entry) => entry.workload === 'a' && entry.setup === setup);
    return cell?.result === undefined || cell.cpu.proxy === undefined ? undefined : cpuPerRequestUs(cell.cpu.proxy, cell.result.requestsPerS);
  };
  const frontDoor = perRequest('frontDoor');
  const nginx = perRequest('nginx');
  if (frontDoor === undefined || nginx === undefined) return missing('a-cpu', 'a', target, ['frontDoor', 'nginx']);
  const ratio = frontDoor / nginx;
  return {
    id: 'a-cpu', workload: 'a', target, value: ratio,
    measured: `${whole(frontDoor)} vs ${whole(nginx)} µs/req: ${fixed(ratio)}x (needs <= ${THRESHOLDS.aCpuPerRequestVsNginx}x)`,
    pass: Number.isFinite(ratio) ? ratio <= THRESHOLDS.aCpuPerRequestVsNginx : undefined,
  };
}

/** Every target of the issue, in its order. */
export function checkTargets(inputs: TargetInputs): TargetCheck[] {
  const checks: TargetCheck[] = [
    ratioCheck(inputs, {
      id: 'a-throughput', workload: 'a', target: `(a) front door chunks/s >= ${THRESHOLDS.aThroughputVsNginx}x nginx`,
      baseline: 'nginx', metric: chunksPerS, unit: 'chunks/s', atLeast: true, threshold: THRESHOLDS.aThroughputVsNginx,
    }),
    closedLoopCheck(inputs),
    cpuCheck(inputs),
    ratioCheck(inputs, {
      id: 'a-p99', workload: 'a', target: "(a) front door p99 no worse than nginx's",
      baseline: 'nginx', metric: p99, unit: 'ms', atLeast: false, threshold: 1,
    }),
    ratioCheck(inputs, {
      id: 'b-throughput', workload: 'b', target: '(b) front door chunks/s >= 4x nginx',
      baseline: 'nginx', metric: chunksPerS, unit: 'chunks/s', atLeast: true, threshold: THRESHOLDS.bThroughputVsNginx,
    }),
  ];

  const b = findResult(inputs.cells, 'b', 'frontDoor');
  const bTarget = `(b) front door above ${THRESHOLDS.bShareOfLimit * 100}% of the three instances' limit`;
  if (b === undefined) {
    checks.push(missing('b-limit', 'b', bTarget, ['frontDoor']));
  } else {
    const share = b.chunksPerS / inputs.physicalLimit;
    checks.push({
      id: 'b-limit', workload: 'b', target: bTarget, value: share,
      measured: `${whole(b.chunksPerS)} of ${whole(inputs.physicalLimit)} chunks/s: ${fixed(share * 100, 1)}%${errorsOf(b)}`,
      pass: share > THRESHOLDS.bShareOfLimit && b.errorCount === 0,
    });
  }

  checks.push(
    ratioCheck(inputs, {
      id: 'c-p50', workload: 'c', target: "(c) front door p50 <= 0.45x nginx's (closed loop)",
      baseline: 'nginx', metric: p50, unit: 'ms', atLeast: false, threshold: THRESHOLDS.cP50VsNginx,
      note: 'informational: unreachable closed loop by Little\'s law, see the notes',
    }),
    ratioCheck(inputs, {
      id: 'c-paced-p50', workload: 'c-paced', target: "(c) front door p50 <= 0.45x nginx's (paced: the target's intent)",
      baseline: 'nginx', metric: p50, unit: 'ms', atLeast: false, threshold: THRESHOLDS.cP50VsNginx,
    }),
  );

  checks.push(overheadCheck(inputs, {
    id: 'd-overhead', reference: 'direct', referenceLabel: 'direct',
    target: `(d) front door overhead p50 < ${THRESHOLDS.dOverheadP50Ms} ms at a moderate rate`,
  }));
  // The same bar over the plain Node proxy instead of direct: what the front door's own work adds
  // to the hop any Node process costs on this machine (runs without that setup have no row).
  if (findResult(inputs.cells, 'd-moderate', 'nodeProxy') !== undefined) {
    checks.push(overheadCheck(inputs, {
      id: 'd-overhead-own', reference: 'nodeProxy', referenceLabel: 'plain Node proxy',
      target: `(d) front door overhead p50 < ${THRESHOLDS.dOverheadP50Ms} ms over a plain Node proxy's at a moderate rate`,
      note: 'informational: the front door\'s own work, less the floor of a Node hop on this machine',
    }));
  }

  checks.push(ratioCheck(inputs, {
    id: 'd-requests', workload: 'd', target: "(d) front door req/s >= half of nginx's, zero-cost backends",
    baseline: 'nginx', metric: requestsPerS, unit: 'req/s', atLeast: true, threshold: THRESHOLDS.dRequestsVsNginx,
  }));
  return checks;
}

/** Latency a setup adds over going direct, at the same load. */
export interface Overhead {
  readonly setup: SetupId;
  readonly addedP50Ms: number;
  readonly addedP99Ms: number;
}

/** Added p50/p99 of every measured setup but direct, against direct, in `workload`. */
export function overheadVsDirect(cells: readonly Cell[], workload: WorkloadId): Overhead[] {
  const direct = findResult(cells, workload, 'direct');
  if (direct === undefined) return [];
  return cells
    .filter((cell) => cell.workload === workload && cell.setup !== 'direct' && cell.result !== undefined)
    .map((cell) => ({
      setup: cell.setup,
      addedP50Ms: (cell.result as LoadResult).latencyMs.p50 - direct.latencyMs.p50,
      addedP99Ms: (cell.result as LoadResult).latencyMs.p99 - direct.latencyMs.p99,
    }));
}
