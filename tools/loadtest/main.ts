/**
 * `npm run loadtest -- --url URL [--url URL2 ...] [options]`: real embedding traffic against any
 * endpoint in any of the three dialects; prints a table (and, with --sweep, the fitted cost model)
 * and writes report.json and report.html. Exits 0 when every run got good answers; 1 when any run
 * got none (a dead URL, every request failing: that run measured nothing, and a script comparing
 * URLs must not take its zeros for figures; the table and reports are still written and name it);
 * 2 on bad flags or when the session could not run.
 */
import { readFile } from 'node:fs/promises';
import { exitUnlessRun } from '../../shared/cli/command-line';
import { LOADTEST_USAGE, parseLoadtestArgs, type LoadtestOptions } from './loadtest-options';
import { defaultOutDir, writeLoadtestReports } from './loadtest-output';
import { createProgressBar } from './loadtest-progress';
import { formatTextReport, runProblems } from './loadtest-report';
import { runLoadtest } from './loadtest-session';
import { generatedTexts, textsFromLines, type TextSource } from './loadtest-texts';
import { createUndiciTransport } from '../../shared/upstream/undici-transport';

async function textSource(options: LoadtestOptions): Promise<TextSource> {
  return options.text.kind === 'generated'
    ? generatedTexts(options.text.chars)
    : textsFromLines(await readFile(options.text.path, 'utf8'), options.text.path);
}

async function main(): Promise<number> {
  const options = exitUnlessRun(parseLoadtestArgs(process.argv.slice(2)), LOADTEST_USAGE);
  const apiKey = options.apiKeyFile === undefined ? undefined : (await readFile(options.apiKeyFile, 'utf8')).trim();
  const transport = createUndiciTransport({ connectionsPerOrigin: options.concurrency });
  const showProgress = options.progress || process.stderr.isTTY;
  try {
    const result = await runLoadtest(options, {
      texts: await textSource(options),
      transport,
      ...(apiKey === undefined ? {} : { apiKey }),
      ...(showProgress ? { progress: createProgressBar(process.stderr) } : {}),
    });
    process.stdout.write(`${formatTextReport(result)}\n`);
    const written = await writeLoadtestReports(result, options.outDir ?? defaultOutDir(result.startedAt));
    process.stdout.write(`\nReports: ${written.json}\n         ${written.html}\n`);
    return runProblems(result).length === 0 ? 0 : 1;
  } finally {
    await transport.close();
  }
}

main().then((code) => process.exit(code), (error: unknown) => {
  process.stderr.write(`load test failed: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(2);
});
