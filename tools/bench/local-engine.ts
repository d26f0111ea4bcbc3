/**
 * `npm run bench:local`: throughput of the in-process engine on this machine, through the same
 * path the server uses (the local upstream: length-sorted batches, worker threads, tokenize,
 * infer, pool, normalise), one text per call against 32 per call. Models: the tiny test model
 * (the engine's own overhead) and a model of all-MiniLM-L6-v2's exact shape with random weights,
 * in float and in the uint8 form the download uses (what the real model costs: it cannot be
 * downloaded here). Also reports the event loop's delay under load, which is what "the server
 * stays responsive" means. Writes tools/bench/results/local-engine.{json,md}. Not part of npm test.
 *
 *   npm run bench:local -- [--seconds 5]
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { Tokenizer } from '@huggingface/tokenizers';
import { createBatchEncoder } from '../../shared/upstream/local/batch-encoder';
import { createLocalUpstream } from '../../shared/upstream/local/local-upstream';
import { buildTinyTokenizerJson, TINY_DIMENSION, TINY_TOKENIZER_CONFIG, writeTinyModel } from '../fixtures/tiny-model';
import { percentile } from '../../shared/stats/percentile';
import { exitUnlessRun, parseCommandLine } from '../../shared/cli/command-line';
import { readMachineInfo } from './machine-info';
import { buildMiniLmShapedOnnx, MINILM_SHAPE } from './minilm-shaped-model';
import { RESULTS_DIR } from './repo-paths';
import { chunkText } from './texts';
import { writeReportFiles } from '../report/report-files';

const DEFAULT_SECONDS = 5;
const WARMUP_MS = 1_000;
const ENGINE_BATCH_SIZE = 32;
const BATCH_SIZES = [1, 32] as const;
// Two calls per worker keep every worker busy while the other call's result travels back.
const CALLS_PER_WORKER = 2;
const MAX_TOKENS = 256;
const NS_PER_MS = 1e6;
const TOKENIZE_SAMPLE = 2_000;

interface Cell {
  readonly model: string;
  readonly textsPerCall: number;
  readonly chunksPerSecond: number;
  readonly callP50Ms: number;
  readonly callP99Ms: number;
  readonly eventLoopDelayP99Ms: number;
}

const USAGE = `Usage: npm run bench:local -- [--seconds S]

Throughput of the in-process engine on this machine; writes tools/bench/results/local-engine.{json,md}.

  --seconds S   seconds measured per row (default ${DEFAULT_SECONDS})
  --help        this text`;

function parseSeconds(argv: readonly string[]): number {
  return exitUnlessRun(parseCommandLine({ flags: { seconds: { type: 'string' } } }, argv, (flags) =>
    flags.number('seconds', { above: 0 }) ?? DEFAULT_SECONDS), USAGE);
}

/** Closed-loop calls of `textsPerCall` distinct chunks for `durationMs`, after a warm-up. */
async function measure(model: string, modelDir: string, dimension: number, textsPerCall: number, durationMs: number): Promise<Cell> {
  const workers = availableParallelism();
  const upstream = createLocalUpstream({
    id: 'bench', tier: 'cpu', dimension, modelDir, workers, maxTokens: MAX_TOKENS, batchSize: ENGINE_BATCH_SIZE,
  });
  try {
    await upstream.ready();
    let sequence = 0;
    const call = (client: number): Promise<number[][]> => {
      const texts = Array.from({ length: textsPerCall }, (_, index) => chunkText(client, sequence, index));
      sequence++;
      return upstream.embed(texts, { requestId: 'bench', timeoutMs: 60_000 });
    };
    const loop = async (client: number, until: number, latencies: number[] | undefined): Promise<number> => {
      let texts = 0;
      while (performance.now() < until) {
        const started = performance.now();
        texts += (await call(client)).length;
        latencies?.push(performance.now() - started);
      }
      return texts;
    };
    const callers = Array.from({ length: workers * CALLS_PER_WORKER }, (_, client) => client);
    await Promise.all(callers.map((client) => loop(client, performance.now() + WARMUP_MS, undefined)));

    const latencies: number[] = [];
    const delay = monitorEventLoopDelay({ resolution: 1 });
    delay.enable();
    const started = performance.now();
    const counts = await Promise.all(callers.map((client) => loop(client, started + durationMs, latencies)));
    const elapsedS = (performance.now() - started) / 1_000;
    delay.disable();
    latencies.sort((a, b) => a - b);
    return {
      model,
      textsPerCall,
      chunksPerSecond: Math.round(counts.reduce((a, b) => a + b, 0) / elapsedS),
      callP50Ms: Number(percentile(latencies, 0.5).toFixed(1)),
      callP99Ms: Number(percentile(latencies, 0.99).toFixed(1)),
      eventLoopDelayP99Ms: Number((delay.percentile(99) / NS_PER_MS).toFixed(1)),
    };
  } finally {
    await upstream.close();
  }
}

/** Tokens per bench chunk and tokenization time per chunk, in this thread. */
function tokenizerCost(): { tokensPerChunk: number; microsecondsPerChunk: number } {
  const encoder = createBatchEncoder(new Tokenizer(buildTinyTokenizerJson(), TINY_TOKENIZER_CONFIG), { maxTokens: MAX_TOKENS, padId: 0 });
  const texts = Array.from({ length: TOKENIZE_SAMPLE }, (_, index) => chunkText(0, index, 0));
  const started = performance.now();
  const tokens = texts.reduce((sum, text) => sum + encoder.encodeText(text).ids.length, 0);
  const elapsedMs = performance.now() - started;
  return { tokensPerChunk: Math.round(tokens / texts.length), microsecondsPerChunk: Number(((elapsedMs * 1_000) / texts.length).toFixed(1)) };
}

/** A model directory holding `onnx` and the tiny tokenizer (only token counts matter to cost). */
async function writeModelDir(parent: string, name: string, onnx: Uint8Array): Promise<string> {
  const dir = join(parent, name);
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, 'model.onnx'), onnx);
  await writeFile(join(dir, 'tokenizer.json'), JSON.stringify(buildTinyTokenizerJson()));
  await writeFile(join(dir, 'tokenizer_config.json'), JSON.stringify(TINY_TOKENIZER_CONFIG));
  return dir;
}

function renderMarkdown(report: { date: string; machine: ReturnType<typeof readMachineInfo>; seconds: number; tokenizer: ReturnType<typeof tokenizerCost>; cells: Cell[] }): string {
  const rows = report.cells.map((cell) =>
    `| ${cell.model} | ${cell.textsPerCall} | ${cell.chunksPerSecond} | ${cell.callP50Ms} | ${cell.callP99Ms} | ${cell.eventLoopDelayP99Ms} |`);
  return [
    '# In-process engine benchmark',
    '',
    `${report.date}; ${report.machine.nproc} cores (${report.machine.cpuModel}), Node ${report.machine.node}; ` +
      `${report.machine.nproc} engine workers, ${report.seconds} s per row after ${WARMUP_MS / 1_000} s warm-up, ` +
      `${report.machine.nproc * CALLS_PER_WORKER} calls in flight. Chunks are the load generator's ~300-character texts ` +
      `(${report.tokenizer.tokensPerChunk} tokens each with the test tokenizer); tokenizing one takes ${report.tokenizer.microsecondsPerChunk} µs.`,
    '',
    '| model | texts per call | chunks/s | call p50 ms | call p99 ms | event-loop delay p99 ms |',
    '| --- | --- | --- | --- | --- | --- |',
    ...rows,
    '',
  ].join('\n');
}

async function main(): Promise<void> {
  const seconds = parseSeconds(process.argv.slice(2));
  const durationMs = seconds * 1_000;
  const machine = readMachineInfo('not used');
  const tokenizer = tokenizerCost();
  const cells: Cell[] = [];
  const tiny = await writeTinyModel();
  const scratch = await mkdtemp(join(tmpdir(), 'bench-local-'));
  try {
    const models: [string, string, number][] = [
      ['tiny (8 dims, engine overhead)', tiny.dir, TINY_DIMENSION],
      ['MiniLM-L6 shape, uint8', await writeModelDir(scratch, 'int8', buildMiniLmShapedOnnx(true)), MINILM_SHAPE.hidden],
      ['MiniLM-L6 shape, float32', await writeModelDir(scratch, 'fp32', buildMiniLmShapedOnnx(false)), MINILM_SHAPE.hidden],
    ];
    for (const [name, dir, dimension] of models) {
      for (const textsPerCall of BATCH_SIZES) {
        const cell = await measure(name, dir, dimension, textsPerCall, durationMs);
        process.stdout.write(`${JSON.stringify(cell)}\n`);
        cells.push(cell);
      }
    }
  } finally {
    await tiny.remove();
    await rm(scratch, { recursive: true, force: true });
  }
  const report = { date: new Date().toISOString(), machine, seconds, tokenizer, cells };
  const markdown = renderMarkdown(report);
  await writeReportFiles(RESULTS_DIR, 'local-engine', { json: report, markdown });
  process.stdout.write(`\n${markdown}`);
}

main().catch((error: unknown) => {
  process.stderr.write(`bench:local failed: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
