/**
 * A run's failures in words: the errors cell of the summary table, and the plain sentence for a
 * run that got no good answer at all. Pure.
 */
import type { RunSummary } from '../load/load-summary';

/** An error key that is the backend's HTTP status (`503`), not a way the exchange failed. */
const HTTP_STATUS_KEY = /^\d{3}$/;

/** `503 x3, connect x1`, or `-` when there were none. */
export function formatErrors(errors: Readonly<Record<string, number>>): string {
  const entries = Object.entries(errors).sort(([, x], [, y]) => y - x);
  return entries.length === 0 ? '-' : entries.map(([key, count]) => `${key} x${count}`).join(', ');
}

/**
 * Undefined when the run got at least one good answer; else one line that says so plainly, with
 * why when the failures tell it: `nothing answered: connection refused at http://127.0.0.1:9/...`
 * (`run` is the run's label: its URL, and its batch size in a sweep).
 * Such a run measured nothing, and its 0 req/s and n/a latencies must not pass for a result.
 * `firstErrors` holds, by error key, what the first such failure said (the load engine's record).
 */
export function nothingAnswered(run: string, summary: RunSummary, firstErrors: Readonly<Record<string, string>>): string | undefined {
  if (summary.okRequests > 0) return undefined;
  if (summary.errorCount > 0) {
    const keys = Object.entries(summary.errors).sort(([, x], [, y]) => y - x).map(([key]) => key);
    // Statuses are answers, only bad ones; refused connections and timeouts are no answer at all.
    const answered = keys.every((key) => HTTP_STATUS_KEY.test(key));
    const reasons = keys.map((key) => (HTTP_STATUS_KEY.test(key) ? `HTTP ${key}` : firstErrors[key] ?? key));
    return `${answered ? 'nothing answered well' : 'nothing answered'}: ${[...new Set(reasons)].join(', ')} at ${run} ` +
      `(${formatErrors(summary.errors)})`;
  }
  if (summary.unfinished > 0) {
    return `nothing answered: ${summary.unfinished} request(s) still unanswered when the run ended at ${run}`;
  }
  return `nothing answered: no request finished inside the measuring window at ${run}`;
}
