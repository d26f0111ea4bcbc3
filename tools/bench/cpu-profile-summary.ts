/**
 * Where the front door's CPU goes, from a V8 CPU profile: each sample's time is given to one
 * category, read from its call stack. The deepest frame that belongs to a known part of the
 * program decides (a `JSON.parse` inside the DJL client is upstream JSON parsing; a socket write
 * under @hono/node-server is the framework's); frames of Node's own libraries and builtins are
 * looked through to their caller, and count as Node internals only when no caller is ours or a
 * dependency's. Pure but for the command-line entry at the end:
 * `tsx tools/bench/cpu-profile-summary.ts results/profiles/after-a.cpuprofile.gz [requests]`.
 */
import { pathToFileURL } from 'node:url';
import { formatNumber, formatTable } from '../report/tables';
import { readProfile, type CallFrame, type CpuProfile } from './cpu-profile';

/** The categories, in table order. */
export const PROFILE_CATEGORIES = [
  'request parsing & validation',
  'batching & dispatch',
  'embedding cache',
  'upstream client (undici)',
  'upstream JSON parse & checks',
  'answer serialisation',
  'logging',
  'metrics (prom-client) & timing headers',
  'framework (hono, @hono/node-server, app glue)',
  'Node internals (http, net, streams, timers)',
  'V8 native & GC',
  'other',
  'idle',
] as const;
/** One of {@link PROFILE_CATEGORIES}. */
export type ProfileCategory = (typeof PROFILE_CATEGORIES)[number];

const MS_PER_US = 1 / 1_000;
const PERCENT = 100;
/** Functions listed by self time under the table. */
const TOP_FUNCTIONS = 12;

/** Which part of the program a frame belongs to; undefined: look at its caller. */
export function frameCategory(frame: CallFrame): ProfileCategory | undefined {
  const { url, functionName: name } = frame;
  if (name === '(idle)') return 'idle';
  if (name === '(garbage collector)' || name === '(program)') return 'V8 native & GC';
  if (url === '' || url.startsWith('node:')) return undefined;
  if (url.includes('/node_modules/prom-client/')) return 'metrics (prom-client) & timing headers';
  if (url.includes('/node_modules/undici/')) return 'upstream client (undici)';
  if (url.includes('/node_modules/hono/') || url.includes('/node_modules/@hono/node-server/')) return 'framework (hono, @hono/node-server, app glue)';
  if (url.includes('/shared/telemetry/') || url.includes('/shared/http/request-telemetry')) return 'metrics (prom-client) & timing headers';
  if (url.includes('/shared/logger')) return 'logging';
  if (url.includes('/shared/cache/')) return 'embedding cache';
  if (url.includes('/shared/dispatch/') || url.includes('/shared/embed/')) return 'batching & dispatch';
  if (url.includes('/shared/upstream/')) {
    if (/^(parseJsonBody|assertVectors|parse\w*Vectors?|readVectors?\w*|sliceVectors?\w*)$/.test(name) || url.includes('/shared/upstream/vector')) {
      return 'upstream JSON parse & checks';
    }
    return 'upstream client (undici)';
  }
  if (url.includes('/shared/dialects/')) {
    return /^(format|encode|write|join|print)/i.test(name) || url.includes('/vector-') ? 'answer serialisation' : 'request parsing & validation';
  }
  if (url.includes('/shared/security/') || /\/shared\/http\/(read-body|accept-body|limit-body|apply-security)/.test(url)) {
    return 'request parsing & validation';
  }
  if (url.includes('/shared/http/') || url.includes('/shared/runtime/')) return 'framework (hono, @hono/node-server, app glue)';
  return 'other';
}

/** Time per category, and the functions that took the most. */
export interface ProfileSummary {
  /** Milliseconds of samples, idle included. */
  readonly totalMs: number;
  /** Milliseconds not idle. */
  readonly busyMs: number;
  readonly byCategory: Readonly<Record<ProfileCategory, number>>;
  /** Self time of the busiest functions, milliseconds. */
  readonly topFunctions: readonly { readonly name: string; readonly category: ProfileCategory; readonly ms: number }[];
}

const frameLabel = (frame: CallFrame): string => {
  const file = frame.url.replace(/^file:\/\/.*?\/(node_modules|shared|functions|tools)\//, '$1/');
  return `${frame.functionName || '(anonymous)'} ${file === '' ? '' : `${file}:${frame.lineNumber + 1}`}`.trim();
};

/** Sums each sample's interval (the time to the next sample, as DevTools counts it) by category. */
export function summarizeProfile(profile: CpuProfile): ProfileSummary {
  const parentOf = new Map<number, number>();
  const frames = new Map<number, CallFrame>();
  for (const node of profile.nodes) {
    frames.set(node.id, node.callFrame);
    for (const child of node.children ?? []) parentOf.set(child, node.id);
  }
  const categoryCache = new Map<number, ProfileCategory>();
  const categoryOf = (id: number): ProfileCategory => {
    const cached = categoryCache.get(id);
    if (cached !== undefined) return cached;
    let found: ProfileCategory | undefined;
    for (let at: number | undefined = id; at !== undefined && found === undefined; at = parentOf.get(at)) {
      const frame = frames.get(at);
      if (frame !== undefined) found = frameCategory(frame);
    }
    const category = found ?? (frames.get(id)?.url.startsWith('node:') === true ? 'Node internals (http, net, streams, timers)' : 'V8 native & GC');
    categoryCache.set(id, category);
    return category;
  };
  const byCategory = Object.fromEntries(PROFILE_CATEGORIES.map((category) => [category, 0])) as Record<ProfileCategory, number>;
  const bySelf = new Map<number, number>();
  let totalMs = 0;
  for (let index = 0; index < profile.samples.length; index++) {
    const id = profile.samples[index] as number;
    const ms = (profile.timeDeltas[index + 1] ?? 0) * MS_PER_US;
    totalMs += ms;
    byCategory[categoryOf(id)] += ms;
    bySelf.set(id, (bySelf.get(id) ?? 0) + ms);
  }
  const byFunction = new Map<string, { name: string; category: ProfileCategory; ms: number }>();
  for (const [id, ms] of bySelf) {
    const frame = frames.get(id);
    const category = categoryOf(id);
    if (frame === undefined || category === 'idle') continue;
    // A function met under several categories (a socket write for the answer and for the backend) is listed once per category.
    const name = frameLabel(frame);
    const key = `${name}\u0000${category}`;
    const entry = byFunction.get(key) ?? { name, category, ms: 0 };
    entry.ms += ms;
    byFunction.set(key, entry);
  }
  const topFunctions = [...byFunction.values()].sort((a, b) => b.ms - a.ms).slice(0, TOP_FUNCTIONS);
  return { totalMs, busyMs: totalMs - byCategory.idle, byCategory, topFunctions };
}

/** A profile summary with the requests served in its window, to put CPU per request on it. */
export interface LabelledSummary {
  readonly label: string;
  readonly summary: ProfileSummary;
  /** Requests answered in the profile's window; undefined when not known. */
  readonly requests: number | undefined;
}

const perRequestUs = (ms: number, requests: number | undefined): string =>
  requests === undefined || requests <= 0 ? 'n/a' : formatNumber((ms * 1_000) / requests);

/**
 * Side by side: for each summary, µs of CPU per request and share of busy time per category
 * (idle is left out of the shares: it is time the process had nothing to do).
 */
export function profileTable(summaries: readonly LabelledSummary[]): string {
  const headers = ['category', ...summaries.flatMap(({ label }) => [`${label} µs/req`, `${label} % busy`])];
  const rows = PROFILE_CATEGORIES.filter((category) => category !== 'idle').map((category) => [
    category,
    ...summaries.flatMap(({ summary, requests }) => [
      perRequestUs(summary.byCategory[category], requests),
      summary.busyMs <= 0 ? 'n/a' : `${formatNumber((summary.byCategory[category] / summary.busyMs) * PERCENT, 1)}%`,
    ]),
  ]);
  rows.push(['**busy in all**', ...summaries.flatMap(({ summary, requests }) => [
    perRequestUs(summary.busyMs, requests), `${formatNumber(summary.busyMs)} ms`,
  ])]);
  return formatTable(headers, rows);
}

/** The busiest functions of one summary, as a table. */
export function topFunctionsTable(summary: ProfileSummary): string {
  return formatTable(['function (self time)', 'category', 'ms', '% busy'], summary.topFunctions.map((entry) => [
    `\`${entry.name}\``, entry.category, formatNumber(entry.ms), `${formatNumber((entry.ms / Math.max(summary.busyMs, 1)) * PERCENT, 1)}%`,
  ]));
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const [path, requestsArg] = process.argv.slice(2);
  if (path === undefined) {
    process.stderr.write('Usage: tsx tools/bench/cpu-profile-summary.ts PROFILE.cpuprofile[.gz] [REQUESTS]\n');
    process.exit(2);
  }
  const summary = summarizeProfile(await readProfile(path));
  const requests = requestsArg === undefined ? undefined : Number(requestsArg);
  process.stdout.write(`${profileTable([{ label: 'profile', summary, requests }])}\n\n${topFunctionsTable(summary)}\n`);
}
