/**
 * `npm run simulate -- --scenario NAME|FILE [--seed N] [--out DIR]`: simulates every policy of the
 * scenario, prints one table per scenario and writes the HTML report (default under the OS
 * temp directory). Without a scenario, lists the shipped ones.
 */
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cheapestMeetingSlo, formatSummary, reportContent, summaryTable } from './report';
import { ScenarioError, parseScenario } from './scenario';
import { type ScenarioResult, simulateScenario } from './simulate';
import { describeShippedScenarios, resolveScenario, shippedScenarios } from './shipped-scenarios';
import { writeReportFiles } from '../report/report-files';
import { type CommandLine, exitUnlessRun, parseCommandLine } from '../../shared/cli/command-line';

const DEFAULT_OUT_DIR = join(tmpdir(), 'embed-simulate');
const SHIPPED = shippedScenarios();

const USAGE = `Usage: npm run simulate -- --scenario NAME|FILE [--scenario NAME|FILE ...] [--seed N] [--out DIR]

Simulates every policy of each scenario (a deterministic day of traffic), prints one table per
scenario and writes simulation.html.

  --scenario NAME|FILE  a shipped scenario's name, or a scenario file (JSON); repeat to simulate several
  --seed N              random seed, a whole number >= 0 (default: the scenario's)
  --out DIR             where simulation.html goes (default ${DEFAULT_OUT_DIR})
  --help                this text

${describeShippedScenarios(SHIPPED)}`;

const FLAGS = { scenario: { type: 'string', multiple: true }, seed: { type: 'string' }, out: { type: 'string' } } as const;

interface SimulateOptions {
  readonly files: readonly string[];
  readonly seed: number | undefined;
  readonly out: string;
}

/** The simulator's flags; every bad one reported at once. */
function parseSimulateArgs(argv: readonly string[]): CommandLine<SimulateOptions> {
  return parseCommandLine({ flags: FLAGS }, argv, (flags) => {
    const given = flags.strings('scenario');
    if (given.length === 0) flags.problems.push('--scenario: give at least one scenario, a shipped one by name (listed below) or a file');
    const files = given.flatMap((value) => {
      const file = resolveScenario(value, SHIPPED);
      if (file !== undefined) return [file];
      flags.problems.push(`--scenario: ${JSON.stringify(value)} is neither a file nor a shipped scenario (${SHIPPED.map((scenario) => scenario.name).join(', ')})`);
      return [];
    });
    return { files, seed: flags.number('seed', { integer: true, min: 0 }), out: flags.string('out') ?? DEFAULT_OUT_DIR };
  });
}

async function main(): Promise<void> {
  const { files, seed, out } = exitUnlessRun(parseSimulateArgs(process.argv.slice(2)), USAGE);

  const results: ScenarioResult[] = [];
  for (const file of files) {
    let scenario;
    try {
      scenario = parseScenario(readFileSync(file, 'utf8'));
    } catch (error) {
      if (error instanceof ScenarioError) throw new Error(`${file}: ${error.message}`, { cause: error });
      throw error;
    }
    const result = simulateScenario(scenario, seed === undefined ? {} : { seed });
    results.push(result);
    console.log(`${formatSummary(summaryTable(result))}\ncheapest meeting the SLO: ${cheapestMeetingSlo(result) ?? 'none'}\n`);
  }
  const written = await writeReportFiles(out, 'simulation', { html: reportContent(results) });
  console.log(`report: ${written.html}`);
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exitCode = 1;
});
