/**
 * `npm run simulate -- --scenario FILE [--seed N] [--out DIR]`: simulates every policy of the
 * scenario, prints one table per scenario and writes the HTML report (default under the OS
 * temp directory). Flags are parsed here and nowhere else.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { cheapestMeetingSlo, formatTable, reportContent, summaryTable } from './report';
import { ScenarioError, parseScenario } from './scenario';
import { type ScenarioResult, simulateScenario } from './simulate';
import { renderHtmlReport } from '../report/html-report';

const USAGE = 'usage: npm run simulate -- --scenario FILE [--scenario FILE2 ...] [--seed N] [--out DIR]';

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { scenario: { type: 'string', multiple: true }, seed: { type: 'string' }, out: { type: 'string' } },
  });
  const files = values.scenario ?? [];
  if (files.length === 0) throw new Error(`--scenario is required\n${USAGE}`);
  const seed = values.seed === undefined ? undefined : Number(values.seed);
  if (seed !== undefined && (!Number.isInteger(seed) || seed < 0)) throw new Error(`--seed ${values.seed} is not a whole number ≥ 0\n${USAGE}`);
  const out = values.out ?? join(tmpdir(), 'embed-simulate');

  const results: ScenarioResult[] = [];
  for (const file of files) {
    let scenario;
    try {
      scenario = parseScenario(readFileSync(file, 'utf8'));
    } catch (error) {
      if (error instanceof ScenarioError) throw new Error(`${file}: ${error.message}`);
      throw error;
    }
    const result = simulateScenario(scenario, seed === undefined ? {} : { seed });
    results.push(result);
    console.log(`${formatTable(summaryTable(result))}\ncheapest meeting the SLO: ${cheapestMeetingSlo(result) ?? 'none'}\n`);
  }
  mkdirSync(out, { recursive: true });
  const path = join(out, 'simulation.html');
  writeFileSync(path, await renderHtmlReport(reportContent(results)));
  console.log(`report: ${path}`);
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exitCode = 1;
});
