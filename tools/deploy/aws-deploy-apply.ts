/**
 * Runs an AWS deploy plan (./aws-deploy-plan.ts) step by step, filling each `<stack.Output>`
 * placeholder from the outputs an earlier `describe-stacks` step read; or, for --dry-run, prints
 * every step with its placeholders and runs nothing. The commands go through a
 * {@link CommandRunner}, so tests run the real plan against a recording runner.
 */
import { spawn } from 'node:child_process';
import { formatCommand, PLACEHOLDER, type PlanStep, type StackKey } from './aws-deploy-plan';

/** What a command did: its exit code and, when captured, its stdout. */
export interface CommandResult {
  readonly code: number;
  readonly stdout: string;
}

/** Runs one command: `capture` keeps stdout for the caller instead of passing it to the terminal. */
export type CommandRunner = (argv: readonly string[], capture: boolean) => Promise<CommandResult>;

/** A step that failed; the message says which and what to do. */
export class DeployStepError extends Error {
  override readonly name = 'DeployStepError';
  readonly code = 'DEPLOY_STEP_FAILED';
}

/** Real processes, from `cwd`, with this process's environment; stderr always to the terminal. */
export function createProcessRunner(cwd: string): CommandRunner {
  return (argv, capture) => new Promise((resolve, reject) => {
    const [command = '', ...args] = argv;
    const child = spawn(command, args, { cwd, stdio: ['ignore', capture ? 'pipe' : 'inherit', 'inherit'] });
    let stdout = '';
    child.stdout?.on('data', (chunk: Buffer) => { stdout += chunk.toString(); });
    child.once('error', (error: NodeJS.ErrnoException) => {
      reject(error.code === 'ENOENT'
        ? new DeployStepError(`${command}: not found on PATH${command === 'aws' ? ' (install the AWS CLI v2: https://docs.aws.amazon.com/cli/)' : ''}`, { cause: error })
        : error);
    });
    child.once('close', (code, signal) => resolve({ code: code ?? (signal === null ? 1 : 128), stdout }));
  });
}

/** `[{OutputKey, OutputValue}]` (describe-stacks' Outputs as JSON) as a map; null when the stack has none. */
function parseOutputs(stdout: string, stack: string): Map<string, string> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(stdout);
  } catch (error) {
    throw new DeployStepError(`describe-stacks of ${stack} did not print JSON: ${stdout.slice(0, 200)}`, { cause: error });
  }
  const outputs = new Map<string, string>();
  for (const entry of Array.isArray(parsed) ? parsed as unknown[] : []) {
    const { OutputKey: key, OutputValue: value } = (entry ?? {}) as { OutputKey?: unknown; OutputValue?: unknown };
    if (typeof key === 'string' && typeof value === 'string') outputs.set(key, value);
  }
  return outputs;
}

/** The step's command with every placeholder replaced by the output it names. */
function resolveArgv(argv: readonly string[], outputs: ReadonlyMap<StackKey, ReadonlyMap<string, string>>): string[] {
  return argv.map((word) => word.replace(PLACEHOLDER, (placeholder, stack: StackKey, key: string) => {
    const value = outputs.get(stack)?.get(key);
    // The plan reads every stack before using it, and `uses` checked the key: a bug if reached.
    if (value === undefined) throw new DeployStepError(`${placeholder}: no such output was read before this step`);
    return value;
  }));
}

/** Prints every step as --dry-run shows it: title, command, and the outputs a read step provides. */
export function printPlan(steps: readonly PlanStep[], write: (text: string) => void): void {
  steps.forEach((step, index) => {
    write(`# ${index + 1}/${steps.length} ${step.title}\n${formatCommand(step.argv)}\n`);
    if (step.kind === 'outputs') write(`#   -> ${step.uses.map((key) => `<${step.as}.${key}>`).join(' ')}\n`);
    if (step.kind === 'expect') write(`#   expects: ${step.expected}\n`);
    write('\n');
  });
}

/**
 * Runs the steps in order and stops at the first failure (throws {@link DeployStepError}).
 * Returns the outputs read, by stack.
 */
export async function applyPlan(steps: readonly PlanStep[], run: CommandRunner, write: (text: string) => void): Promise<Map<StackKey, Map<string, string>>> {
  const outputs = new Map<StackKey, Map<string, string>>();
  for (const [index, step] of steps.entries()) {
    const argv = resolveArgv(step.argv, outputs);
    write(`\n# ${index + 1}/${steps.length} ${step.title}\n${formatCommand(argv)}\n`);
    const result = await run(argv, step.kind !== 'run');
    if (result.code !== 0) {
      throw new DeployStepError(`step ${index + 1} (${step.title}) failed with exit code ${result.code}; fix the cause and run the same command again (every step is idempotent)`);
    }
    if (step.kind === 'expect' && result.stdout.trim() !== step.expected) {
      throw new DeployStepError(`${step.failure} (got ${JSON.stringify(result.stdout.trim())})`);
    }
    if (step.kind === 'outputs') {
      const stack = step.argv[step.argv.indexOf('--stack-name') + 1] ?? step.as;
      const read = parseOutputs(result.stdout, stack);
      const missing = step.uses.filter((key) => !read.has(key));
      if (missing.length > 0) throw new DeployStepError(`stack ${stack} has no output ${missing.join(', ')}: was it deployed from this repository's template?`);
      outputs.set(step.as, read);
      write(`#   -> ${step.uses.map((key) => `${step.as}.${key}=${read.get(key)}`).join(' ')}\n`);
    }
  }
  return outputs;
}
