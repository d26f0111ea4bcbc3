/**
 * Active health checks: every endpoint's own health report (DJL's /ping body, TEI's /health) on
 * a period, fed to the dispatcher's endpoint state. An endpoint whose model is still loading, or
 * that refuses connections, gets no client traffic until it reports healthy; an ejected one that
 * reports healthy comes back early, ramping up.
 */
import type { Endpoint } from './endpoint';
import type { CancelTimer, Scheduler } from './scheduler';

export interface HealthCheckerOptions {
  readonly endpoints: readonly Endpoint[];
  readonly intervalMs: number;
  readonly timeoutMs: number;
  readonly scheduler: Scheduler;
  /** Called after each round, so the dispatcher can send to endpoints that came back. */
  readonly onRound: () => void;
}

export class HealthChecker {
  private timer: CancelTimer | undefined;
  private running: Promise<void> | undefined;
  private stopped = false;

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
    this.running ??= this.round().finally(() => {
      this.running = undefined;
      if (!this.stopped && this.options.intervalMs > 0) {
        this.timer = this.options.scheduler.setTimer(() => void this.probeAll(), this.options.intervalMs);
      }
    });
    return this.running;
  }

  /** Probes one endpoint now (an ejected one, to learn whether it is down or only slow). */
  async probe(endpoint: Endpoint): Promise<void> {
    const health = await endpoint.upstream.ping({ timeoutMs: this.options.timeoutMs });
    endpoint.recordProbe(health.state, this.options.scheduler.now());
    this.options.onRound();
  }

  private async round(): Promise<void> {
    const { endpoints, scheduler, timeoutMs } = this.options;
    await Promise.all(endpoints.map(async (endpoint) => {
      const health = await endpoint.upstream.ping({ timeoutMs });
      endpoint.recordProbe(health.state, scheduler.now());
    }));
    this.options.onRound();
  }
}
