/**
 * Active health checks: every endpoint's own health report (DJL's /ping body, TEI's /health) on
 * a period, fed to the dispatcher's endpoint state. An endpoint whose model is still loading, or
 * that refuses connections, gets no client traffic until it reports healthy, and is probed on a
 * shorter period meanwhile, so its cold start is timed closely and it takes traffic soon after it
 * is ready; an ejected one that reports healthy comes back early, ramping up.
 */
import { HealthState } from '../upstream/upstream';
import type { Endpoint } from './endpoint';
import type { CancelTimer, Scheduler } from './scheduler';

export interface HealthCheckerOptions {
  readonly endpoints: readonly Endpoint[];
  readonly intervalMs: number;
  /** Period for endpoints that are not healthy (cold, loading, down); at most `intervalMs`. */
  readonly coldIntervalMs?: number;
  readonly timeoutMs: number;
  readonly scheduler: Scheduler;
  /** Called after each round, so the dispatcher can send to endpoints that came back. */
  readonly onRound: () => void;
}

export class HealthChecker {
  private timer: CancelTimer | undefined;
  private running: Promise<void> | undefined;
  private stopped = false;
  private lastFullRound = Number.NEGATIVE_INFINITY;

  constructor(private readonly options: HealthCheckerOptions) {}

  /** Probes now, then every interval. */
  start(): void {
    this.stopped = false;
    void this.probeAll();
  }

  stop(): void {
    this.stopped = true;
    this.timer?.();
    this.timer = undefined;
  }

  /** One round over every endpoint; concurrent callers share the round in progress. */
  probeAll(): Promise<void> {
    return this.runRound(true);
  }

  /** Probes one endpoint now (an ejected one, to learn whether it is down or only slow). */
  async probe(endpoint: Endpoint): Promise<void> {
    const health = await endpoint.upstream.ping({ timeoutMs: this.options.timeoutMs });
    endpoint.recordProbe(health.state, this.options.scheduler.now());
    this.options.onRound();
  }

  private runRound(full: boolean): Promise<void> {
    this.running ??= this.round(full).finally(() => {
      this.running = undefined;
      this.scheduleNext();
    });
    return this.running;
  }

  /** The next round: soon while some endpoint is not healthy, else at the regular period. */
  private scheduleNext(): void {
    const { intervalMs, scheduler } = this.options;
    if (this.stopped || intervalMs <= 0) return;
    this.timer?.();
    const coldIntervalMs = Math.min(this.options.coldIntervalMs ?? intervalMs, intervalMs);
    const someUnwell = this.options.endpoints.some((endpoint) => endpoint.probed !== HealthState.healthy);
    const untilFull = Math.max(0, this.lastFullRound + intervalMs - scheduler.now());
    const delay = someUnwell ? Math.min(coldIntervalMs, untilFull) : untilFull;
    this.timer = scheduler.setTimer(() => {
      this.timer = undefined;
      void this.runRound(scheduler.now() >= this.lastFullRound + intervalMs);
    }, delay);
  }

  /** A full round probes every endpoint; a short one only those not known healthy. */
  private async round(full: boolean): Promise<void> {
    const { endpoints, scheduler, timeoutMs } = this.options;
    if (full) this.lastFullRound = scheduler.now();
    const due = full ? endpoints : endpoints.filter((endpoint) => endpoint.probed !== HealthState.healthy);
    await Promise.all(due.map(async (endpoint) => {
      const health = await endpoint.upstream.ping({ timeoutMs });
      endpoint.recordProbe(health.state, scheduler.now());
    }));
    this.options.onRound();
  }
}
