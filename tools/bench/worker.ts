/**
 * `npm run bench:worker`: the embedding Lambda worker (functions/embed-worker) as Lambda runs it,
 * on this machine. Its bundle is built as serverless.yml builds it; each run is a fresh Node
 * process pinned with `taskset` to 1 or 2 cores (a Lambda environment's vCPUs: 1 at 1,769 MB, 2
 * visible at 3,008 MB), holding a model of all-MiniLM-L6-v2's exact shape in the uint8 form the
 * deploy packages (tools/bench/minilm-shaped-model.ts; the real one cannot be downloaded here).
 *
 * - init: process start to the first answer (import of the bundle, ONNX Runtime and tokenizer
 *   load, session creation, warm-up inference, one 1-text invoke), the median of several fresh
 *   processes: what a cold invoke adds before Lambda's own sandbox start;
 * - throughput: closed-loop invokes of 32 chunks (~300 characters) for `--seconds`, chunks/s,
 *   and per vCPU.
 *
 * Writes tools/bench/results/worker.{json,md}. Not part of npm test.
 *
 *   npm run bench:worker -- [--seconds 10] [--cold-runs 3]
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exitUnlessRun, parseCommandLine } from '../../shared/cli/command-line';
import { buildTinyTokenizerJson, TINY_TOKENIZER_CONFIG } from '../fixtures/tiny-model';
import { writeReportFiles } from '../report/report-files';
import { readMachineInfo } from './machine-info';
import { buildMiniLmShapedOnnx } from './minilm-shaped-model';
import { RESULTS_DIR } from './repo-paths';
import { chunkText } from './texts';
import { buildWorkerBundle } from './worker-build';
import { childScript, type ColdResult, type WarmResult } from './worker-child';

const DEFAULT_SECONDS = 10;
const DEFAULT_COLD_RUNS = 3;
const TEXTS_PER_INVOKE = 32;
const TEXT_POOL = 4_096;
/** The core sets measured: a 1-vCPU environment and a 2-vCPU one. */
const CPU_SETS = [{ vcpus: 1, cpus: '0' }, { vcpus: 2, cpus: '0,1' }] as const;

const USAGE = `Usage: npm run bench:worker -- [--seconds S] [--cold-runs N]

The embedding Lambda worker's init time and chunks/s per vCPU on this machine;
writes tools/bench/results/worker.{json,md}.

  --seconds S     seconds of closed-loop invokes per core set (default ${DEFAULT_SECONDS})
  --cold-runs N   fresh processes timed for the init (default ${DEFAULT_COLD_RUNS})
  --help          this text`;

interface Options { readonly seconds: number; readonly coldRuns: number }

function parseOptions(argv: readonly string[]): Options {
  return exitUnlessRun(parseCommandLine({ flags: { seconds: { type: 'string' }, 'cold-runs': { type: 'string' } } }, argv, (flags) => ({
    seconds: flags.number('seconds', { above: 0 }) ?? DEFAULT_SECONDS,
    coldRuns: flags.number('cold-runs', { above: 0 }) ?? DEFAULT_COLD_RUNS,
  })), USAGE);
}

interface Row {
  readonly vcpus: number;
  readonly initMedianMs: number;
  readonly initRunsMs: readonly number[];
  readonly importMedianMs: number;
  readonly chunksPerSecond: number;
  readonly chunksPerSecondPerVcpu: number;
  readonly invokeP50Ms: number;
  readonly invokeP99Ms: number;
}

const median = (values: readonly number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

/** Runs the child script pinned to `cpus`; resolves with its one result line. */
function runChild<T>(cpus: string, env: Record<string, string>): Promise<T> {
  return new Promise((resolve, reject) => {
    const child = spawn('taskset', ['-c', cpus, process.execPath, '--input-type=module', '-e', childScript()], {
      env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => { out += chunk; });
    child.on('error', reject);
    child.on('exit', (code) => {
      const line = out.split('\n').find((entry) => entry.startsWith('BENCH '));
      if (code !== 0 || line === undefined) reject(new Error(`worker child exited ${code}; output: ${out.slice(-2_000)}`));
      else resolve(JSON.parse(line.slice('BENCH '.length)) as T);
    });
  });
}

function renderMarkdown(report: { date: string; machine: ReturnType<typeof readMachineInfo>; load: string; options: Options; rows: Row[] }): string {
  const { machine } = report;
  return [
    '# Embedding Lambda worker benchmark',
    '',
    `${report.date}; ${machine.nproc} cores (${machine.cpuModel}), Node ${machine.node}, ${machine.os}. Load average at start: ${report.load}.`,
    '',
    'How: `npm run bench:worker` builds functions/embed-worker as serverless.yml does (esbuild, minified ESM, ' +
      'onnxruntime-node external) and runs each measurement in a fresh `node` process pinned by `taskset` to 1 or 2 ' +
      'cores, calling the exported handler as Lambda would. Model: all-MiniLM-L6-v2\'s exact shape, uint8 ' +
      '(tools/bench/minilm-shaped-model.ts, ~23 MB like the real quantized export), read from local disk as from the ' +
      'deployment package. Init: process start to the first answer of a 1-text invoke (bundle import, ONNX Runtime and ' +
      `tokenizer load, session creation, the engine's warm-up inference), median of ${report.options.coldRuns} fresh processes; ` +
      'Lambda\'s own sandbox start (tens to a few hundred ms) comes on top. Throughput: closed-loop invokes of ' +
      `${TEXTS_PER_INVOKE} distinct ~300-character chunks for ${report.options.seconds} s after a warm-up. ` +
      'This machine is x86_64 (Lambda arm64 Graviton cores differ); the other engineers\' processes share its 2 cores.',
    '',
    '| vCPUs | init median ms | init runs ms | bundle import ms | chunks/s | chunks/s per vCPU | invoke p50 ms | invoke p99 ms |',
    '| --- | --- | --- | --- | --- | --- | --- | --- |',
    ...report.rows.map((row) => `| ${row.vcpus} | ${row.initMedianMs} | ${row.initRunsMs.join(', ')} | ${row.importMedianMs} | ` +
      `${row.chunksPerSecond} | ${row.chunksPerSecondPerVcpu} | ${row.invokeP50Ms} | ${row.invokeP99Ms} |`),
    '',
    'Reading it: the 1-core row is the cleaner per-vCPU figure (one ONNX Runtime thread on one core); the 2-core row ' +
      'runs two intra-op threads on cores other processes are using too, so on a shared machine it measures the ' +
      'contention as much as the worker. For comparison, `npm run bench:local` on a quiet day measured the same ' +
      'uint8 model at 101-107 chunks/s with 2 engine workers on these 2 cores, about 52 per core.',
    '',
  ].join('\n');
}

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  const machine = readMachineInfo('not used');
  const load = execFileSync('cat', ['/proc/loadavg'], { encoding: 'utf8' }).split(' ').slice(0, 3).join(' ');
  const scratch = await mkdtemp(join(tmpdir(), 'bench-worker-'));
  const bundle = await buildWorkerBundle();
  const rows: Row[] = [];
  try {
    const modelDir = join(scratch, 'model');
    await mkdir(join(modelDir, 'onnx'), { recursive: true });
    await writeFile(join(modelDir, 'onnx', 'model_quint8_avx2.onnx'), buildMiniLmShapedOnnx(true));
    await writeFile(join(modelDir, 'tokenizer.json'), JSON.stringify(buildTinyTokenizerJson()));
    await writeFile(join(modelDir, 'tokenizer_config.json'), JSON.stringify(TINY_TOKENIZER_CONFIG));
    const textsFile = join(scratch, 'texts.json');
    await writeFile(textsFile, JSON.stringify(Array.from({ length: TEXT_POOL }, (_, index) => chunkText(index % 64, index, 0))));
    const env = {
      BENCH_WORKER_BUNDLE: bundle.entryFile, BENCH_TEXTS_FILE: textsFile, EMBED_MODEL_DIR: modelDir,
      BENCH_TEXTS_PER_INVOKE: String(TEXTS_PER_INVOKE), AWS_LAMBDA_FUNCTION_NAME: 'bench-embed-worker',
    };
    for (const { vcpus, cpus } of CPU_SETS) {
      const colds: ColdResult[] = [];
      for (let run = 0; run < options.coldRuns; run++) colds.push(await runChild<ColdResult>(cpus, { ...env, BENCH_MODE: 'cold' }));
      const warm = await runChild<WarmResult>(cpus, { ...env, BENCH_MODE: 'warm', BENCH_SECONDS: String(options.seconds) });
      const row: Row = {
        vcpus,
        initMedianMs: Math.round(median(colds.map((cold) => cold.firstAnswerMs))),
        initRunsMs: colds.map((cold) => Math.round(cold.firstAnswerMs)),
        importMedianMs: Math.round(median(colds.map((cold) => cold.importedMs))),
        chunksPerSecond: Math.round(warm.chunksPerSecond),
        chunksPerSecondPerVcpu: Math.round(warm.chunksPerSecond / vcpus),
        invokeP50Ms: Math.round(warm.p50Ms),
        invokeP99Ms: Math.round(warm.p99Ms),
      };
      process.stdout.write(`${JSON.stringify(row)}\n`);
      rows.push(row);
    }
  } finally {
    await bundle.remove();
    await rm(scratch, { recursive: true, force: true });
  }
  const report = { date: new Date().toISOString(), machine, load, options, rows };
  const markdown = renderMarkdown(report);
  await writeReportFiles(RESULTS_DIR, 'worker', { json: report, markdown });
  process.stdout.write(`\n${markdown}`);
}

main().catch((error: unknown) => {
  process.stderr.write(`bench:worker failed: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
