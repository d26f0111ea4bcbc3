/**
 * Keeps one source's endpoints fresh: discovers at start, then again after an interval with
 * jitter (so hundreds of Lambda environments do not call the API in step), backing off on errors
 * (harder on throttling) and keeping the last known endpoints meanwhile. On a long-lived server it
 * refreshes on timers; on Lambda, where a frozen environment runs no timers, a request that finds
 * the endpoints stale starts a refresh in the background and is served from the cache: the cloud
 * API is never called on a request's path once endpoints are known.
 */
import { DiscoveryOutcome } from '../core/control-events';
import type { Scheduler } from '../dispatch/scheduler';
import type { Logger } from '../logger';
import { type DiscoveredEndpoint, DiscoveryError, type EndpointSource } from './endpoint-source';

export interface DiscoveryRefresherOptions {
  readonly source: EndpointSource;
  readonly scheduler: Scheduler;
  readonly random: () => number;
  /** Time between refreshes while all is well. */
  readonly intervalMs: number;
  /** Longest wait between refreshes while failing. */
  readonly maxBackoffMs: number;
  /** True: refresh on timers (a server). False: refresh when a request finds the cache stale (Lambda). */
  readonly background: boolean;
  readonly logger: Logger;
  /** The endpoints found by each successful refresh (also when unchanged). */
  readonly onEndpoints: (endpoints: readonly DiscoveredEndpoint[]) => void;
  /** How each refresh ended (the discovery outcome metrics). */
  readonly onOutcome?: (outcome: DiscoveryOutcome) => void;
}

/** Refreshes land within ±20% of the interval. */
const JITTER = 0.2;
/** Errors double the wait; throttling quadruples it. */
const ERROR_BACKOFF = 2;
const THROTTLE_BACKOFF = 4;

export class DiscoveryRefresher {
  /** Failed refreshes since start (the last known endpoints stayed in use). */
  errors = 0;
  private consecutiveErrors = 0;
  private nextAt = Number.NEGATIVE_INFINITY;
  private running: Promise<void> | undefined;
  private first: Promise<void> | undefined;
  private timer: (() => void) | undefined;
  private stopped = false;

  constructor(private readonly options: DiscoveryRefresherOptions) {}

  /** Resolves once the first discovery has finished, successfully or not. */
  ready(): Promise<void> {
    this.first ??= this.refresh();
    return this.first;
  }

  /** On Lambda: starts a background refresh when the cache is stale; never waits for it. */
  refreshIfStale(): void {
    // On a server the timers refresh; a request racing the timer would only refresh twice.
    if (this.options.background || this.stopped || this.running !== undefined || this.options.scheduler.now() < this.nextAt) return;
    void this.refresh();
  }

  stop(): void {
    this.stopped = true;
    this.timer?.();
    this.timer = undefined;
  }

  private refresh(): Promise<void> {
    this.running ??= this.discover().finally(() => {
      this.running = undefined;
      this.scheduleNext();
    });
    return this.running;
  }

  private async discover(): Promise<void> {
    const { source, logger } = this.options;
    try {
      const endpoints = await source.discover();
      this.consecutiveErrors = 0;
      this.nextAt = this.options.scheduler.now() + this.jittered(this.options.intervalMs);
      this.options.onEndpoints(endpoints);
      this.options.onOutcome?.(DiscoveryOutcome.ok);
    } catch (error) {
      this.errors++;
      this.consecutiveErrors++;
      const throttled = error instanceof DiscoveryError && error.throttled;
      const factor = (throttled ? THROTTLE_BACKOFF : ERROR_BACKOFF) ** this.consecutiveErrors;
      const waitMs = this.jittered(Math.min(this.options.maxBackoffMs, this.options.intervalMs * factor));
      this.nextAt = this.options.scheduler.now() + waitMs;
      this.options.onOutcome?.(throttled ? DiscoveryOutcome.throttled : DiscoveryOutcome.error);
      logger.warn('discovery_failed', {
        source: source.description,
        throttled,
        message: error instanceof Error ? error.message : String(error),
        retryInMs: Math.round(waitMs),
      });
    }
  }

  private scheduleNext(): void {
    if (this.stopped || !this.options.background) return;
    this.timer?.();
    const delay = Math.max(0, this.nextAt - this.options.scheduler.now());
    this.timer = this.options.scheduler.setTimer(() => {
      this.timer = undefined;
      void this.refresh();
    }, delay);
  }

  private jittered(ms: number): number {
    return ms * (1 - JITTER + 2 * JITTER * this.options.random());
  }
}
