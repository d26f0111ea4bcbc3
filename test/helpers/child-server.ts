/**
 * A server started as its own process, the way a platform starts it (a command line in a working
 * directory with an environment), awaited until a line of its output says it serves: no fixed
 * waits. Its output is kept for the assertion messages.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';

export interface ChildServer {
  readonly child: ChildProcess;
  /** The line that said it serves. */
  readonly readyLine: string;
  /** Everything written to stdout and stderr so far. */
  output(): string;
  /** SIGTERM, then the exit code and signal. */
  stop(): Promise<[number | null, NodeJS.Signals | null]>;
}

export interface StartOptions {
  readonly cwd: string;
  readonly env: NodeJS.ProcessEnv;
  /** A stdout or stderr line matching this means it serves. */
  readonly ready: RegExp;
}

/** Starts `command args` and resolves once a line matches `ready`; rejects if it exits first. */
export async function startChildServer(command: string, args: readonly string[], options: StartOptions): Promise<ChildServer> {
  const child = spawn(command, args, { cwd: options.cwd, env: options.env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const exited = once(child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
  const readyLine = await new Promise<string>((resolve, reject) => {
    for (const stream of [child.stdout, child.stderr]) {
      createInterface({ input: stream }).on('line', (line) => {
        output += `${line}\n`;
        if (options.ready.test(line)) resolve(line);
      });
    }
    exited.then(([code, signal]) => reject(new Error(`${command} exited (${code ?? signal}) before serving:\n${output}`)), reject);
  });
  return {
    child,
    readyLine,
    output: () => output,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      return exited;
    },
  };
}

/** The few variables a platform gives every process, and nothing of this test process's own. */
export function platformEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  return { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/tmp', ...extra };
}
