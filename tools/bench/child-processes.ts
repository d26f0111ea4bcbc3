/**
 * The benchmark's child processes (simulators, front door, nginx, load generators): started here,
 * remembered, and stopped at the end, on failure, on Ctrl-C and on exit, so none outlives a run.
 */
import { type ChildProcess, spawn, type SpawnOptions } from 'node:child_process';
import { createInterface } from 'node:readline';

/** Lines of a child's output kept to explain a failure. */
const RECENT_LINES = 40;
/** How long a child may take to exit after its stop signal before it is killed. */
const STOP_GRACE_MS = 5_000;

/** A started child and what it printed lately. */
export interface TrackedProcess {
  readonly name: string;
  readonly child: ChildProcess;
  readonly pid: number;
  /** Resolves with the exit code (or signal name) once the process has exited. */
  readonly exited: Promise<number | string>;
  /** The last lines of stdout and stderr, oldest first. */
  recentOutput(): string;
  /** Resolves with the first stdout line `match` accepts; rejects on exit or after `timeoutMs`. */
  waitForLine<T>(match: (line: string) => T | undefined, timeoutMs: number): Promise<T>;
}

/** How a child is spawned and told to stop. */
export interface StartOptions extends Pick<SpawnOptions, 'cwd' | 'env'> {
  /** nginx's master must get SIGTERM (a SIGKILL would orphan its workers); Node children too. */
  readonly stopSignal?: NodeJS.Signals;
  /** Add an IPC channel (the load generator announces its measuring window over it). */
  readonly ipc?: boolean;
}

/** Every child this run started, and the means to stop them. */
export class ProcessRegistry {
  private readonly running = new Map<number, { process: TrackedProcess; stopSignal: NodeJS.Signals }>();
  /** Set by stopAll: a run that is being stopped starts nothing new. */
  private closed = false;

  /** Spawns `command`, remembers it until it exits, and keeps its recent output. */
  start(name: string, command: string, args: readonly string[], options: StartOptions = {}): TrackedProcess {
    if (this.closed) throw new Error(`${name}: not started, the benchmark is stopping`);
    const child = spawn(command, [...args], {
      cwd: options.cwd,
      env: options.env,
      stdio: ['ignore', 'pipe', 'pipe', ...(options.ipc === true ? ['ipc' as const] : [])],
    });
    if (child.pid === undefined) throw new Error(`${name}: could not start ${command}`);
    const pid = child.pid;
    const recent: string[] = [];
    const lineListeners = new Set<(line: string) => void>();
    const remember = (line: string): void => {
      recent.push(line);
      if (recent.length > RECENT_LINES) recent.shift();
    };
    createInterface({ input: child.stdout! }).on('line', (line) => {
      remember(line);
      for (const listener of lineListeners) listener(line);
    });
    createInterface({ input: child.stderr! }).on('line', remember);
    const exited = new Promise<number | string>((resolve) => {
      child.once('exit', (code, signal) => resolve(code ?? signal ?? 'unknown'));
      child.once('error', (error) => {
        remember(`spawn error: ${error.message}`);
        resolve('spawn error');
      });
    });
    const tracked: TrackedProcess = {
      name,
      child,
      pid,
      exited,
      recentOutput: () => recent.join('\n'),
      waitForLine: <T>(match: (line: string) => T | undefined, timeoutMs: number) =>
        new Promise<T>((resolve, reject) => {
          const fail = (why: string): void => {
            cleanup();
            reject(new Error(`${name} ${why}. Its last output:\n${tracked.recentOutput()}`));
          };
          const listener = (line: string): void => {
            const found = match(line);
            if (found === undefined) return;
            cleanup();
            resolve(found);
          };
          const timer = setTimeout(() => fail(`did not get ready within ${timeoutMs} ms`), timeoutMs);
          const cleanup = (): void => {
            clearTimeout(timer);
            lineListeners.delete(listener);
          };
          lineListeners.add(listener);
          void exited.then((code) => fail(`exited (${code}) before getting ready`));
        }),
    };
    this.running.set(pid, { process: tracked, stopSignal: options.stopSignal ?? 'SIGTERM' });
    void exited.then(() => this.running.delete(pid));
    return tracked;
  }

  /** Sends the stop signal, waits for the exit, and kills the process if it lingers. */
  async stop(tracked: TrackedProcess): Promise<void> {
    const entry = this.running.get(tracked.pid);
    if (entry === undefined) return;
    tracked.child.kill(entry.stopSignal);
    const timer = setTimeout(() => tracked.child.kill('SIGKILL'), STOP_GRACE_MS);
    await tracked.exited;
    clearTimeout(timer);
  }

  /** Stops every child still running, all together; nothing can be started afterwards. */
  async stopAll(): Promise<void> {
    this.closed = true;
    await Promise.all([...this.running.values()].map(({ process }) => this.stop(process)));
  }

  /** For `process.on('exit')`, where nothing can be awaited: signals every child at once. */
  signalAllNow(): void {
    for (const { process, stopSignal } of this.running.values()) {
      try {
        process.child.kill(stopSignal);
      } catch {
        // Already gone: nothing left to stop.
      }
    }
  }
}
