/**
 * The recent cold starts of one tier's backends: how long endpoints took from first seen cold to
 * their first good answer. The warm-up planner chooses its lead time from the p95.
 */
import { percentile } from '../stats/percentile';
import type { BackendColdStart, ColdStartStats } from '../core/dispatch-snapshot';

/** Enough for a stable p95 over a day of scale-outs, bounded in memory. */
export const COLD_START_HISTORY = 64;
/** The latest ones kept whole (which endpoint, when) for the status page's list. */
export const COLD_START_EVENTS_KEPT = 10;

export class ColdStartRecord {
  private readonly recent: number[] = [];
  private readonly events: BackendColdStart[] = [];
  private total = 0;

  /** `endpoint` and `at` (epoch ms it first answered) name the event for the status page. */
  add(durationMs: number, endpoint?: string, at?: number): void {
    this.total++;
    this.recent.push(durationMs);
    if (this.recent.length > COLD_START_HISTORY) this.recent.shift();
    if (endpoint === undefined || at === undefined) return;
    this.events.push({ endpoint, durationMs, at });
    if (this.events.length > COLD_START_EVENTS_KEPT) this.events.shift();
  }

  stats(): ColdStartStats {
    return { count: this.total, p50Ms: this.percentile(0.5), p95Ms: this.percentile(0.95), recent: [...this.events] };
  }

  /** Nearest-rank percentile over the recent history. */
  private percentile(fraction: number): number | undefined {
    if (this.recent.length === 0) return undefined;
    return percentile(Float64Array.from(this.recent).sort(), fraction);
  }
}
