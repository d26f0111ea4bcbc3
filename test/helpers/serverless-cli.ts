/**
 * Runs osls (`npx serverless ...`) from the repository as a user would, offline: no AWS
 * credentials or profile, a throwaway HOME, no telemetry, and serverless-esbuild building in a
 * folder of the caller's own (the plugin deletes it when done, so parallel runs must not share).
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO = fileURLToPath(new URL('../..', import.meta.url));
/** Packaging takes about 8 s on this project's 2-core machine; the rest is headroom for a busy CI. */
export const SERVERLESS_TIMEOUT_MS = 90_000;

/** The child's environment: the caller's minus AWS and osls settings, HOME and the esbuild folder replaced. */
export function serverlessEnv(home: string, esbuildWorkFolder: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    // The backends and keys too: packaging reads them as fallbacks of its params.
    if (!key.startsWith('AWS_') && !key.startsWith('SLS_') && !['CPU_BACKENDS', 'GPU_BACKENDS', 'API_KEYS'].includes(key)) env[key] = value;
  }
  return {
    ...env,
    HOME: home,
    AWS_CONFIG_FILE: join(home, 'no-aws-config'),
    AWS_SHARED_CREDENTIALS_FILE: join(home, 'no-aws-credentials'),
    SLS_TELEMETRY_DISABLED: '1',
    SLS_NOTIFICATIONS_MODE: 'off',
    // npm's own update check would reach for the registry from the empty HOME.
    npm_config_update_notifier: 'false',
    EFD_ESBUILD_WORK_FOLDER: esbuildWorkFolder,
  };
}

/**
 * osls builds every package in the repository's own `.serverless` folder before moving it to
 * `--package`, so two packagings at once break each other (ENOTEMPTY, a zip missing): test files
 * running in parallel take this lock, one packaging at a time across processes. A lock whose
 * holder died is taken over.
 */
const PACKAGE_LOCK = join(tmpdir(), `efd-serverless-package-${createHash('sha256').update(REPO).digest('hex').slice(0, 12)}.lock`);
/** How often a waiting packaging looks whether the lock is free. */
const LOCK_POLL_MS = 200;

const isAlive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
};

/** Runs `work` holding the packaging lock (see PACKAGE_LOCK). */
export async function withPackageLock<T>(work: () => Promise<T>): Promise<T> {
  for (;;) {
    try {
      await mkdir(PACKAGE_LOCK);
      await writeFile(join(PACKAGE_LOCK, 'pid'), String(process.pid));
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const holder = Number(await readFile(join(PACKAGE_LOCK, 'pid'), 'utf8').catch(() => 'NaN'));
      // No pid yet: its holder is between mkdir and writeFile; wait like for a live one.
      if (Number.isInteger(holder) && !isAlive(holder)) await rm(PACKAGE_LOCK, { recursive: true, force: true });
      else await new Promise((resolve) => setTimeout(resolve, LOCK_POLL_MS));
    }
  }
  try {
    return await work();
  } finally {
    await rm(PACKAGE_LOCK, { recursive: true, force: true });
  }
}

/** Runs a command in the repository; resolves with its exit code and stdout + stderr. `serverless package` takes the packaging lock. */
export function runInRepo(command: string, args: readonly string[], env: NodeJS.ProcessEnv, timeoutMs = SERVERLESS_TIMEOUT_MS): Promise<{ code: number | null; output: string }> {
  return args.includes('package') ? withPackageLock(() => spawnInRepo(command, args, env, timeoutMs)) : spawnInRepo(command, args, env, timeoutMs);
}

function spawnInRepo(command: string, args: readonly string[], env: NodeJS.ProcessEnv, timeoutMs: number): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, [...args], { cwd: REPO, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => { output += chunk.toString(); });
    child.stderr.on('data', (chunk: Buffer) => { output += chunk.toString(); });
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('error', reject);
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}
