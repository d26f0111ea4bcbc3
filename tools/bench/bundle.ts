/**
 * `npm run bench:bundle [-- --rounds=N]`: builds the Lambda bundles the way a deploy does and
 * measures, side by side in one run, their sizes and how long a fresh Node process takes to import
 * them, two ways (into a running ES module program, as Lambda's runtime imports a handler; and as
 * the first `import()` of a CommonJS process, the way the deploy issue measured): a bare Hono
 * handler (the baseline), the embed handler with the fetch transport and with the undici
 * transport, and the warm-up handler; each way-1 process then serves one first request. Checks
 * the decided cold-start budget (import plus first request at most 2x the bare handler's, import
 * under about 22 ms) and that the cloud SDKs stay out of the embed handler's cold start. Writes
 * tools/bench/results/bundle.{md,json}.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, relative } from 'node:path';
import { apiGatewayV2Event } from '../fixtures/lambda-events';
import { startDjlSimulator } from '../djl-simulator/djl-simulator';
import { buildVariant, prepareVariants, zipSizes, type BuildInfo, type BundleVariant } from './bundle-build';
import { childEnv, ImportMode, timeImport, traceImport, writeProbes, type ImportSample } from './bundle-probe';
import {
  coldStartBudgetChecks, contentChecks, formatKb, formatRatio, ratio, renderBundleMarkdown, roundRobinOrder, summarizeTimes,
  type BundleReport, type VariantReport,
} from './bundle-report';
import { readMachineInfo } from './machine-info';
import { formatMs } from '../report/tables';
import { REPO_ROOT, RESULTS_DIR } from './repo-paths';
import { exitUnlessRun, parseCommandLine } from '../../shared/cli/command-line';
import { writeReportFiles } from '../report/report-files';

/**
 * Fresh processes per variant and way: enough for a stable median and a p90 that is not the
 * maximum (a round of five variants, two ways, takes about a second).
 */
const DEFAULT_ROUNDS = 30;
/** Rounds run first and discarded: the first reads of each bundle come from disk, later ones from the page cache. */
const WARMUP_ROUNDS = 1;

/**
 * What the handlers need besides the backend's URL: no log output (EMF metrics stay on, as
 * deployed). No ecs:// or cloudrun:// source, as in a deploy without them. No
 * `--enable-source-maps`, as serverless.yml deploys by default (with it, Node reads every loaded
 * file's map at import: 5-8 ms more for the embed bundle).
 */
const HANDLER_ENV = {
  LOG_LEVEL: 'silent',
} as const;

/** The first requests, as API Gateway HTTP API events: what each variant's handler serves once after its import. */
const FIRST_REQUEST_EVENTS = {
  hello: apiGatewayV2Event({ method: 'GET', path: '/' }),
  embed: apiGatewayV2Event({
    method: 'POST', path: '/embed', headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ inputs: ['The first request of a cold start.'] }),
  }),
} as const;

const USAGE = `Usage: npm run bench:bundle -- [--rounds N] [--node PATH]

Builds each Lambda bundle as a deploy does and times its import plus first request; writes
tools/bench/results/bundle.{md,json}.

  --rounds N    imports timed per variant and way (default ${DEFAULT_ROUNDS})
  --node PATH   the Node.js that imports the bundles (default: this one). Lambda runs nodejs22.x:
                npm run bench:bundle -- --node=$(npx --yes node@22 -p process.execPath)
  --help        this text`;

const FLAGS = { rounds: { type: 'string' }, node: { type: 'string' } } as const;

/** `--rounds` and `--node`, or the end of the process with the usage. */
function parseBundleOptions(argv: readonly string[]): { rounds: number; node: string } {
  return exitUnlessRun(parseCommandLine({ flags: FLAGS }, argv, (flags) => {
    const node = flags.string('node');
    if (node === '') flags.problems.push('--node: needs the path of a node executable');
    return { rounds: flags.number('rounds', { integer: true, min: 1 }) ?? DEFAULT_ROUNDS, node: node || process.execPath };
  }), USAGE);
}

const log = (line: string): void => void process.stdout.write(`${line}\n`);

/** Entry paths as the report shows them: project-relative, or "generated" for the temp entries. */
function displayEntry(entry: string): string {
  const inProject = relative(REPO_ROOT, entry);
  return inProject.startsWith('..') ? `(generated) ${basename(entry)}` : inProject;
}

/** The first requests of a variant's way-1 samples: their times, import plus request, and statuses. */
function summarizeFirstRequests(samples: readonly ImportSample[]): NonNullable<VariantReport['firstRequest']> {
  const served = samples.filter((sample) => sample.firstRequestMs !== undefined);
  return {
    requestMs: summarizeTimes(served.map((sample) => sample.firstRequestMs as number)),
    importPlusRequestMs: summarizeTimes(served.map((sample) => sample.importMs + (sample.firstRequestMs as number))),
    statuses: [...new Set(served.map((sample) => sample.firstStatus ?? 0))].sort((a, b) => a - b),
  };
}

/** The modes, in the order a round runs them. */
const MODES = [ImportMode.esm, ImportMode.cjs] as const;

function toVariantReport(
  variant: BundleVariant, built: BuildInfo, zip: ReturnType<typeof zipSizes>, samples: Readonly<Record<ImportMode, readonly ImportSample[]>>, loaded: readonly string[],
): VariantReport {
  const outdirUrl = `file://${built.outdir}/`;
  const rounded = (list: readonly ImportSample[]): number[] => list.map((sample) => Math.round(sample.importMs * 100) / 100);
  return {
    id: variant.id,
    label: variant.label,
    entry: displayEntry(variant.entry),
    entryBytes: built.entryBytes,
    eagerBytes: built.eagerBytes,
    eagerFiles: built.eagerFiles,
    totalJsBytes: built.totalJsBytes,
    sourceMapBytes: built.sourceMapBytes,
    zipBytes: zip.allBytes,
    zipJsBytes: zip.jsBytes,
    importMs: { esm: summarizeTimes(samples.esm.map((sample) => sample.importMs)), cjs: summarizeTimes(samples.cjs.map((sample) => sample.importMs)) },
    readyMs: summarizeTimes(samples.esm.map((sample) => sample.readyMs)),
    samples: { esm: rounded(samples.esm), cjs: rounded(samples.cjs) },
    builtinsLoaded: [...new Set(samples.esm.flatMap((sample) => sample.builtinsLoaded))].sort(),
    ...(variant.firstRequest === undefined ? {} : { firstRequest: summarizeFirstRequests(samples.esm) }),
    // Only the bundle's own files: node: built-ins and the probe are not part of it.
    loadedFiles: loaded.filter((url) => url.startsWith(outdirUrl)).map((url) => url.slice(outdirUrl.length)),
    chunks: built.chunks,
    forbidden: built.forbidden,
    packageCount: built.packages.length,
    eagerComposition: built.eagerComposition,
    eagerBuiltins: built.eagerBuiltins,
  };
}

async function main(): Promise<void> {
  const { rounds, node } = parseBundleOptions(process.argv.slice(2));
  const nodeVersion = execFileSync(node, ['--version'], { encoding: 'utf8' }).trim();
  const startedAt = new Date();
  const workDir = mkdtempSync(join(tmpdir(), 'bench-bundle-'));
  // The backend the first requests reach: a DJL simulator with no compute cost, so what is timed
  // is the handler's own first request (routing, validation, the transport's first call).
  const backend = await startDjlSimulator({ baseMs: 0, perItemMs: 0 });
  try {
    const variants = prepareVariants(workDir);
    const probes = writeProbes(workDir, node);
    const handlerEnv = { CPU_BACKENDS: backend.predictionsUrl, ...HANDLER_ENV };
    const env = childEnv(handlerEnv);
    const events: Record<keyof typeof FIRST_REQUEST_EVENTS, string> = { hello: join(workDir, 'hello.json'), embed: join(workDir, 'embed.json') };
    for (const [name, path] of Object.entries(events)) writeFileSync(path, JSON.stringify(FIRST_REQUEST_EVENTS[name as keyof typeof FIRST_REQUEST_EVENTS]));

    const builds: BuildInfo[] = [];
    const zips: ReturnType<typeof zipSizes>[] = [];
    for (const variant of variants) {
      const built = await buildVariant(variant, join(workDir, variant.id));
      builds.push(built);
      zips.push(zipSizes(built.outdir, join(workDir, `${variant.id}`)));
      log(`built ${variant.label}: entry ${formatKb(built.entryBytes)} KB, at import ${formatKb(built.eagerBytes)} KB, all JS ${formatKb(built.totalJsBytes)} KB in ${built.chunks.length} files`);
    }

    const loaded: string[][] = [];
    for (const [index, variant] of variants.entries()) {
      loaded.push(await traceImport(probes, (builds[index] as BuildInfo).entryFile, join(workDir, `${variant.id}.trace`), env));
    }

    const samples = variants.map(() => ({ esm: [] as ImportSample[], cjs: [] as ImportSample[] }));
    const order = roundRobinOrder(variants.length, WARMUP_ROUNDS + rounds);
    for (const [round, slots] of order.entries()) {
      for (const mode of MODES) {
        for (const index of slots) {
          const first = variants[index]?.firstRequest;
          const event = mode === ImportMode.esm && first !== undefined ? events[first] : undefined;
          const sample = await timeImport(probes, mode, (builds[index] as BuildInfo).entryFile, env, event);
          if (round >= WARMUP_ROUNDS) samples[index]?.[mode].push(sample);
        }
      }
      log(`round ${round + 1}/${order.length}${round < WARMUP_ROUNDS ? ' (warm-up, discarded)' : ''}`);
    }

    const reports = variants.map((variant, index) =>
      toVariantReport(variant, builds[index] as BuildInfo, zips[index] as ReturnType<typeof zipSizes>, samples[index] ?? { esm: [], cjs: [] }, loaded[index] ?? []));
    const byId = (id: string): VariantReport => {
      const found = reports.find((variant) => variant.id === id);
      if (found === undefined) throw new Error(`variant ${id} is missing`);
      return found;
    };
    const [bare, embed] = [byId('bare-hono'), byId('embed')];
    const flags = [...(rounds === DEFAULT_ROUNDS ? [] : [`--rounds=${rounds}`]), ...(node === process.execPath ? [] : [`--node=<node ${nodeVersion}>`])];
    const report: BundleReport = {
      date: startedAt.toISOString(),
      command: `npm run bench:bundle${flags.length === 0 ? '' : ` -- ${flags.join(' ')}`}`,
      machine: { ...readMachineInfo('not used by this benchmark'), node: nodeVersion },
      rounds,
      warmupRounds: WARMUP_ROUNDS,
      handlerEnv: { CPU_BACKENDS: 'http://127.0.0.1:<port>/predictions/all_MiniLM_L6_v2 (a DJL simulator, no compute cost)', ...HANDLER_ENV },
      zipMethod: zips[0]?.method ?? 'n/a',
      variants: reports,
      checks: [...coldStartBudgetChecks(embed, bare), ...contentChecks(embed)],
    };

    // Another Node's run (--node) gets files of its own: bundle-node22.md beside bundle.md.
    const name = node === process.execPath ? 'bundle' : `bundle-node${nodeVersion.replace(/^v(\d+).*$/, '$1')}`;
    await writeReportFiles(RESULTS_DIR, name, { json: report, markdown: renderBundleMarkdown(report) });

    log('');
    for (const variant of reports) {
      const figures = MODES.map((mode) => `${mode} median ${formatMs(variant.importMs[mode].median).padStart(6)} ms (${formatRatio(ratio(variant.importMs[mode].median, bare.importMs[mode].median))})`);
      const cold = variant.firstRequest?.importPlusRequestMs.median;
      const coldFigure = cold === undefined ? '' : `; import + first request median ${formatMs(cold)} ms (${formatRatio(ratio(cold, bare.firstRequest?.importPlusRequestMs.median ?? Number.NaN))})`;
      log(`${variant.label.padEnd(30)} import ${figures.join(', ')}${coldFigure}; zip ${formatKb(variant.zipBytes)} KB`);
    }
    for (const check of report.checks) log(`${check.met ? 'met   ' : 'MISSED'} ${check.target}: ${check.measured}`);
    log(`\nwrote ${relative(REPO_ROOT, join(RESULTS_DIR, `${name}.md`))} and ${name}.json`);
  } finally {
    await backend.close();
    rmSync(workDir, { recursive: true, force: true });
  }
}

await main();
