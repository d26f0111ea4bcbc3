/**
 * `POST /warmup`: the scheduled warm-up on the front door itself, for schedulers that call HTTP
 * (Cloud Scheduler) instead of invoking a separate function. It changes backend capacity, so it
 * is served only when API keys are configured, always needs an operator's key (apply-security.ts),
 * and runs once at a time: a request while a run is under way gets 409 with Retry-After.
 *
 * Body (optional JSON): `{"dry_run": true}` plans without applying; `{"at": "2026-12-01T01:55:00Z"}`
 * plans for another time (with `dry_run` only: applying a plan for another time would scale
 * services for a burst that is not due).
 */
import type { Hono } from 'hono';
import { parseJsonBody } from '../dialects/read-texts';
import { ErrorCode, FrontDoorError } from '../errors';
import type { WarmupRunner } from '../warmup/run-warmup';
import type { AppContext, AppEnv } from './app-env';
import { addRoute } from './routes';

/**
 * Retry-After of the 409 while a run is under way: runs last seconds to a minute and a half (the
 * warming budget), and a scheduler retrying sooner would only meet the same run.
 */
const WARMUP_BUSY_RETRY_AFTER_S = 30;

interface WarmupBody {
  readonly dryRun: boolean;
  readonly at: number | undefined;
}

function parseWarmupBody(text: string): WarmupBody {
  if (text.trim() === '') return { dryRun: false, at: undefined };
  const body = parseJsonBody(text);
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw new FrontDoorError(400, ErrorCode.invalidRequest, 'send a JSON object such as {"dry_run": true}, or no body');
  }
  const { dry_run: dryRun = false, at, ...rest } = body as Record<string, unknown>;
  const unknown = Object.keys(rest);
  if (unknown.length > 0) {
    throw new FrontDoorError(400, ErrorCode.invalidRequest, `unknown field ${unknown.join(', ')}: use dry_run and at`, { param: unknown[0] });
  }
  if (typeof dryRun !== 'boolean') throw new FrontDoorError(400, ErrorCode.invalidRequest, 'dry_run must be true or false', { param: 'dry_run' });
  if (at === undefined) return { dryRun, at: undefined };
  const time = typeof at === 'string' ? Date.parse(at) : Number.NaN;
  if (!Number.isFinite(time)) {
    throw new FrontDoorError(400, ErrorCode.invalidRequest, 'at must be an ISO 8601 time such as 2026-12-01T01:55:00Z', { param: 'at' });
  }
  if (!dryRun) {
    throw new FrontDoorError(400, ErrorCode.invalidRequest, 'at is only allowed with "dry_run": true: a plan for another time is not applied now', { param: 'at' });
  }
  return { dryRun, at: time };
}

export function registerWarmupRoute(app: Hono<AppEnv>, ctx: AppContext, runner: WarmupRunner | undefined): void {
  // One run per app (one app per process): two runs would read the same capacities and race their writes.
  let running = false;
  addRoute(app, 'warmup', async (c) => {
    if (runner === undefined) {
      // Said by the entry point that knows (Lambda: its own function); else name the runtime, never guess.
      throw new FrontDoorError(404, ErrorCode.routeNotFound,
        `no POST /warmup on this runtime (${ctx.runtime}): ${ctx.warmupElsewhere ?? 'it was started without the warm-up'}`);
    }
    if (ctx.config.security.keys.length === 0) {
      throw new FrontDoorError(403, ErrorCode.forbidden,
        'POST /warmup changes backend capacity and needs an API key: configure API_KEYS (or API_KEYS_FILE) ' +
        'with an operator entry, one ending in :role=operator, to enable it');
    }
    const request = parseWarmupBody(await c.req.text());
    if (running) {
      throw new FrontDoorError(409, ErrorCode.warmupRunning,
        'a warm-up run is already under way in this process: retry after the Retry-After seconds', { retryAfterSeconds: WARMUP_BUSY_RETRY_AFTER_S });
    }
    running = true;
    const lines: string[] = [];
    let result;
    try {
      result = await runner({ dryRun: request.dryRun, ...(request.at === undefined ? {} : { at: request.at }), write: (line) => lines.push(line) });
    } finally {
      // Released when the run ends, not when its client leaves: the run goes on without it.
      running = false;
    }
    for (const line of lines) ctx.logger.info('warmup', { line });
    return c.json({
      at: new Date(result.at).toISOString(),
      lead_ms: result.leadMs,
      dry_run: request.dryRun,
      actions: result.actions,
      results: result.results.map(({ action, ok, error, warmed }) => ({ action: action.action, tier: action.tier, ok, ...(error ? { error } : {}), ...(warmed ? { warmed } : {}) })),
      unreadable: result.unreadable,
    });
  });
}
