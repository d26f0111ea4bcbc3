/**
 * What `GET /status.json` answers and the status page draws: each tier's endpoints with their
 * warmth and in-flight batches, the queue and its estimated wait, whether overflow is on and why,
 * the recent backend cold starts, the next scheduled bursts with their planned warm-up times, and
 * the front door's own cold start. Pure: the dispatch snapshot, the config and the time come in,
 * so a test builds it on a fake clock. Loaded with `import()` by the route only, since the burst
 * windows need cron-parser, which the embed path never loads (test/unit/lambda-bundle.test.ts).
 * Endpoint ids only (`cpu-0`), never an address or a key.
 */
import type { Config } from '../config/config';
import type { DispatchSnapshot, TierSnapshot } from '../core/dispatch-snapshot';
import { OverflowReason } from '../core/dispatch-events';
import { Tier } from '../core/tier';
import type { FrontDoorColdStart } from '../telemetry/telemetry';
import { burstWindows } from '../warmup/burst-windows';
import { leadTimeMs } from '../warmup/lead-time';

/** Cold starts listed, newest first: enough to see a scale-out, short enough to read at a glance. */
export const STATUS_COLD_STARTS_SHOWN = 10;
/** Upcoming bursts listed, soonest first. */
export const STATUS_BURSTS_SHOWN = 5;
/** How far ahead a burst's next start is looked for: a monthly cron's next run is within this. */
const BURST_HORIZON_MS = 400 * 24 * 3_600_000;

/** Whose state the page shows: the whole process's queue, or one Lambda environment's. */
export const StatusScope = { process: 'process', environment: 'environment' } as const;
export type StatusScope = (typeof StatusScope)[keyof typeof StatusScope];

export interface StatusEndpoint {
  readonly id: string;
  readonly warmth: string;
  readonly inFlight: number;
}

export interface StatusTier {
  readonly tier: Tier;
  /** Endpoints configured or discoverable; false for a tier nobody set up (usually the GPU one). */
  readonly configured: boolean;
  readonly servingEndpoints: number;
  readonly endpoints: readonly StatusEndpoint[];
  readonly queuedTexts: number;
  readonly inFlightBatches: number;
  readonly backlogTexts: number;
  /** Null while unknown (no serving endpoint, or none measured yet). */
  readonly estimatedWaitSeconds: number | null;
  readonly coldStarts: { readonly count: number; readonly p50Ms: number | null; readonly p95Ms: number | null };
}

export interface StatusOverflow {
  /** A GPU tier exists to spill to. */
  readonly configured: boolean;
  readonly active: boolean;
  /** The policy's reason for the latest spill while active (`queue_wait`, `backend_load`, `no_warm_endpoint`). */
  readonly reason: string | null;
  /** One sentence an operator reads: what the reason means, with the thresholds in force. */
  readonly explanation: string;
}

export interface StatusColdStart {
  readonly tier: Tier;
  readonly endpoint: string;
  readonly durationMs: number;
  /** Epoch ms the endpoint first answered. */
  readonly at: number;
}

export interface StatusBurst {
  readonly name: string;
  readonly tier: Tier;
  readonly minInstances: number;
  /** Epoch ms; the occurrence running now, else the next one. */
  readonly start: number;
  readonly end: number;
  /** When the warm-up raises the minimum: `start` minus the lead time. */
  readonly warmupAt: number;
  /** `running`, `warming` (inside the lead time: the planner raises it now) or `scheduled`. */
  readonly state: 'running' | 'warming' | 'scheduled';
}

export interface StatusModel {
  readonly generatedAt: number;
  readonly runtime: string;
  readonly scope: StatusScope;
  /** Said on the page under the title: what the view covers. */
  readonly scopeNote: string;
  readonly tiers: readonly StatusTier[];
  readonly overflow: StatusOverflow;
  readonly coldStarts: readonly StatusColdStart[];
  readonly warmupLeadSeconds: number;
  readonly bursts: readonly StatusBurst[];
  /** Bursts whose next start could not be worked out (a cron that never fires). */
  readonly burstsWithoutNext: readonly string[];
  readonly frontDoor: {
    /** Epoch ms the process (the Lambda environment) started. */
    readonly startedAt: number;
    /** Null before the first request has been counted. */
    readonly coldStart: { readonly initMs: number; readonly firstRequestMs: number; readonly initializationType: string | null } | null;
  };
}

export interface StatusInput {
  readonly snapshot: DispatchSnapshot | undefined;
  readonly config: Pick<Config, 'tiers' | 'warmup'> & { readonly dispatch: Pick<Config['dispatch'], 'overflow'> };
  readonly runtime: string;
  /** Epoch ms. */
  readonly now: number;
  readonly processStartMs: number;
  readonly frontDoorColdStart: FrontDoorColdStart | undefined;
}

const SECOND_MS = 1_000;
const TIERS = [Tier.cpu, Tier.gpu] as const;

/** Lambda runs one request per environment: each has its own queue, and the page sees one of them. */
const isPerEnvironment = (runtime: string): boolean => runtime.startsWith('aws-lambda');

/** The page's JSON model. Pure. */
export function buildStatusModel(input: StatusInput): StatusModel {
  const { snapshot, config, now } = input;
  const perEnvironment = isPerEnvironment(input.runtime);
  const measured = TIERS.map((tier) => snapshot?.tiers[tier].coldStarts.p95Ms).filter((ms): ms is number => ms !== undefined);
  // The same lead the warm-up uses (shared/warmup/run-warmup.ts), from this process's measurements.
  const leadMs = leadTimeMs(config.warmup, measured.length === 0 ? undefined : Math.max(...measured));
  const { bursts, withoutNext } = nextBursts(config.warmup.schedule, now, leadMs);
  return {
    generatedAt: now,
    runtime: input.runtime,
    scope: perEnvironment ? StatusScope.environment : StatusScope.process,
    scopeNote: perEnvironment
      ? 'One Lambda execution environment\'s view: each environment serves one request at a time and has its own queue, ' +
        'endpoint states and cold starts, so another refresh may come from another environment. The fleet-wide view is the ' +
        'CloudWatch dashboard over the EMF metrics.'
      : 'This front door process\'s view: its own queue, endpoints and cold starts. With several front doors behind a load ' +
        'balancer, each shows its own.',
    tiers: TIERS.map((tier) => tierStatus(tier, snapshot?.tiers[tier], config.tiers[tier].length > 0)),
    overflow: overflowStatus(snapshot, config),
    coldStarts: recentColdStarts(snapshot),
    warmupLeadSeconds: Math.round(leadMs / SECOND_MS),
    bursts,
    burstsWithoutNext: withoutNext,
    frontDoor: { startedAt: Math.round(input.processStartMs), coldStart: frontDoorColdStart(input.frontDoorColdStart) },
  };
}

function frontDoorColdStart(figures: FrontDoorColdStart | undefined): StatusModel['frontDoor']['coldStart'] {
  if (figures === undefined) return null;
  return { initMs: Math.round(figures.initMs), firstRequestMs: Math.round(figures.firstRequestMs), initializationType: figures.initializationType ?? null };
}

function tierStatus(tier: Tier, snapshot: TierSnapshot | undefined, configured: boolean): StatusTier {
  const endpoints = (snapshot?.endpoints ?? []).map(({ id, warmth, inFlight }) => ({ id, warmth, inFlight }));
  return {
    tier,
    configured: configured || endpoints.length > 0,
    servingEndpoints: snapshot?.servingEndpoints ?? 0,
    endpoints,
    queuedTexts: snapshot?.queuedTexts ?? 0,
    inFlightBatches: snapshot?.inFlightBatches ?? 0,
    backlogTexts: snapshot?.backlogTexts ?? 0,
    estimatedWaitSeconds: snapshot?.estimatedWaitSeconds ?? null,
    coldStarts: {
      count: snapshot?.coldStarts.count ?? 0,
      p50Ms: snapshot?.coldStarts.p50Ms ?? null,
      p95Ms: snapshot?.coldStarts.p95Ms ?? null,
    },
  };
}

function overflowStatus(snapshot: DispatchSnapshot | undefined, config: StatusInput['config']): StatusOverflow {
  const configured = config.tiers.gpu.length > 0 || (snapshot?.tiers.gpu.endpoints.length ?? 0) > 0;
  if (!configured) {
    return { configured, active: false, reason: null, explanation: 'No GPU tier is configured (GPU_BACKENDS): nothing to spill to; a full CPU queue answers 429.' };
  }
  const active = snapshot?.overflowActive === true;
  const settings = config.dispatch.overflow;
  const hold = `it ends once no request has needed to spill for OVERFLOW_HOLD_MS (${settings.holdMs} ms)`;
  if (!active) {
    return {
      configured,
      active,
      reason: null,
      explanation: `Inactive: new requests go to the CPU tier. They spill to the GPU tier when the CPU tier's estimated queue wait ` +
        `exceeds OVERFLOW_WAIT_MS (${settings.spillWaitMs} ms), its backends lag by more than OVERFLOW_BACKEND_WAIT_MS ` +
        `(${settings.backendSpillWaitMs} ms) or refuse for capacity, or no CPU endpoint is warm.`,
    };
  }
  const reason = snapshot?.overflowReason ?? null;
  const why = reason === OverflowReason.queueWait
    ? `the CPU tier's estimated queue wait went over OVERFLOW_WAIT_MS (${settings.spillWaitMs} ms); while spilling, the CPU tier takes a request only below OVERFLOW_RESUME_WAIT_MS (${settings.resumeWaitMs} ms)`
    : reason === OverflowReason.backendLoad
      ? `the CPU backends answer more than OVERFLOW_BACKEND_WAIT_MS (${settings.backendSpillWaitMs} ms) slower than their measured service time, or refused work for capacity`
      : reason === OverflowReason.noWarmEndpoint
        ? 'no CPU endpoint is warm (all cold, ejected or unhealthy)'
        : 'the CPU tier could not keep up';
  return { configured, active, reason, explanation: `Active: new requests spill to the GPU tier because ${why}; ${hold}.` };
}

function recentColdStarts(snapshot: DispatchSnapshot | undefined): StatusColdStart[] {
  if (snapshot === undefined) return [];
  const all = TIERS.flatMap((tier) => (snapshot.tiers[tier].coldStarts.recent ?? []).map(({ endpoint, durationMs, at }) => ({
    tier, endpoint, durationMs: Math.round(durationMs), at: Math.round(at),
  })));
  return all.sort((a, b) => b.at - a.at).slice(0, STATUS_COLD_STARTS_SHOWN);
}

/** Each burst's running or next occurrence, soonest first, with when the warm-up acts on it. */
function nextBursts(schedule: Config['warmup']['schedule'], now: number, leadMs: number): { bursts: StatusBurst[]; withoutNext: string[] } {
  const bursts: StatusBurst[] = [];
  const withoutNext: string[] = [];
  for (const burst of schedule) {
    let window: { start: number; end: number } | undefined;
    try {
      window = burstWindows(burst, new Date(now), BURST_HORIZON_MS)[0];
    } catch {
      // A cron no date satisfies (`0 0 30 2 *`) makes cron-parser throw: listed, not fatal.
      window = undefined;
    }
    if (window === undefined) {
      withoutNext.push(burst.name);
      continue;
    }
    const warmupAt = window.start - leadMs;
    // The planner's own rule (shared/warmup/plan.ts): due when running or starting within the lead.
    const state = window.start <= now ? 'running' : warmupAt <= now ? 'warming' : 'scheduled';
    bursts.push({ name: burst.name, tier: burst.tier, minInstances: burst.minInstances, start: window.start, end: window.end, warmupAt, state });
  }
  bursts.sort((a, b) => a.start - b.start || a.name.localeCompare(b.name));
  return { bursts: bursts.slice(0, STATUS_BURSTS_SHOWN), withoutNext };
}
