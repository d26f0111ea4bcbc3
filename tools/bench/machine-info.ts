/**
 * The machine a run was measured on, for the results file: numbers from another machine are not
 * comparable, and two cores shared by five processes explain a lot.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { availableParallelism, release, type } from 'node:os';

/** What the results file says about the machine. */
export interface MachineInfo {
  /** Cores this process may use (what `nproc` prints). */
  readonly nproc: number;
  readonly cpuModel: string;
  readonly os: string;
  readonly node: string;
  /** `nginx/1.22.1`, or why nginx was not used. */
  readonly nginx: string;
}

function cpuModel(): string {
  try {
    const line = readFileSync('/proc/cpuinfo', 'utf8').split('\n').find((entry) => entry.startsWith('model name'));
    return line?.split(':')[1]?.trim() ?? 'unknown';
  } catch {
    return 'unknown (no /proc/cpuinfo)';
  }
}

/** Reads the machine's description now. */
export function readMachineInfo(nginx: string): MachineInfo {
  return {
    nproc: availableParallelism(),
    cpuModel: cpuModel(),
    os: `${type()} ${release()}`,
    node: process.version,
    nginx,
  };
}

/**
 * The code measured: the commit, and whether the work tree differed from it (the front door is
 * run from the work tree, uncommitted changes included); `ignoreUntracked` for another checkout.
 */
export function readRevision(repoRoot: string, options: { readonly ignoreUntracked?: boolean } = {}): string {
  try {
    const git = (args: string[]): string => execFileSync('git', args, { cwd: repoRoot, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    const commit = git(['rev-parse', '--short', 'HEAD']);
    // A worktree made to measure an older commit has a node_modules link git does not ignore.
    const status = git(['status', '--porcelain', ...(options.ignoreUntracked === true ? ['--untracked-files=no'] : [])]);
    return status === '' ? commit : `${commit} with uncommitted changes`;
  } catch {
    return 'unknown (not a git work tree)';
  }
}
