/**
 * The scheduled warm-up as an AWS Lambda function, triggered by EventBridge (see serverless.yml).
 * Stateless between runs: what a raise must undo is kept on the service itself.
 *
 * Input: the EventBridge schedule event (its fields are ignored), or, invoked by hand,
 * `{"dryRun": true}` to only plan, `{"dryRun": true, "at": "2026-12-01T01:55:00Z"}` to plan for
 * another time. Output: the plan and what was applied.
 */
import { parseConfig } from '../../shared/config/config';
import { createDependencies } from '../../shared/runtime/create-dependencies';
import { createWarmupRunner } from '../../shared/runtime/warmup-runner';
import { createNodeHttpTransport } from '../../shared/upstream/node-http-transport';

const config = parseConfig(process.env);
const deps = createDependencies(config, {
  // A few calls per run: node:http keeps the bundle and the first call cheap, as in the embed handler.
  transport: createNodeHttpTransport(),
  runtime: 'aws-lambda (warm-up)',
  concurrentRequests: false,
});
const runWarmup = createWarmupRunner(deps);

interface WarmupEvent {
  readonly dryRun?: unknown;
  readonly at?: unknown;
}

export async function handler(event: WarmupEvent | undefined) {
  const dryRun = event?.dryRun === true;
  const at = typeof event?.at === 'string' ? Date.parse(event.at) : undefined;
  if (at !== undefined && (!Number.isFinite(at) || !dryRun)) {
    throw new Error('"at" must be an ISO 8601 time and needs "dryRun": true (a plan for another time is not applied)');
  }
  // Plan lines go to stdout as JSON, where CloudWatch Logs collects them.
  const result = await runWarmup({ dryRun, ...(at === undefined ? {} : { at }), write: (line) => process.stdout.write(`${line}\n`) });
  return {
    at: new Date(result.at).toISOString(),
    leadMs: result.leadMs,
    dryRun,
    actions: result.actions,
    failed: result.results.filter((step) => !step.ok).length + result.unreadable.length,
  };
}
