/**
 * The scenarios that ship with the simulator (tools/simulate/scenarios/*.json): listed in
 * `npm run simulate`'s usage, and named on its command line by file name without `.json`.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Where the shipped scenarios live, whatever the working directory. */
export const SCENARIO_DIR = fileURLToPath(new URL('scenarios/', import.meta.url));
const SCENARIO_SUFFIX = '.json';

export interface ShippedScenario {
  /** What `--scenario` takes: the file name without `.json`. */
  readonly name: string;
  readonly file: string;
  /** The first sentence of the scenario's description. */
  readonly summary: string;
}

/** The shipped scenarios, by name; read each time (a handful of small files, read once per run). */
export function shippedScenarios(): ShippedScenario[] {
  return readdirSync(SCENARIO_DIR).filter((entry) => entry.endsWith(SCENARIO_SUFFIX)).sort().map((entry) => {
    const file = join(SCENARIO_DIR, entry);
    return { name: basename(entry, SCENARIO_SUFFIX), file, summary: summaryOf(readFileSync(file, 'utf8')) };
  });
}

/** The first sentence of a scenario's `description`; empty when the file has none (parseScenario reports the rest). */
function summaryOf(json: string): string {
  let description: unknown;
  try {
    description = (JSON.parse(json) as { description?: unknown }).description;
  } catch {
    return '';
  }
  return typeof description === 'string' ? (/^.*?\.(?=\s|$)/.exec(description)?.[0] ?? description) : '';
}

/** The usage's list of shipped scenarios: a line each, then how to run one. */
export function describeShippedScenarios(scenarios: readonly ShippedScenario[]): string {
  if (scenarios.length === 0) return `No scenario ships in ${SCENARIO_DIR}.`;
  const width = Math.max(...scenarios.map((scenario) => scenario.name.length));
  return [
    'Shipped scenarios (tools/simulate/scenarios/):',
    ...scenarios.map((scenario) => `  ${scenario.name.padEnd(width)}  ${scenario.summary}`),
    `Run one: npm run simulate -- --scenario ${scenarios[0]!.name}`,
  ].join('\n');
}

/**
 * The file a `--scenario` value names: an existing file, else a shipped scenario's name;
 * undefined when it is neither.
 */
export function resolveScenario(value: string, scenarios: readonly ShippedScenario[]): string | undefined {
  if (existsSync(value)) return value;
  return scenarios.find((scenario) => scenario.name === value)?.file;
}
