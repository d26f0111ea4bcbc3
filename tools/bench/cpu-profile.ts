/**
 * V8 CPU profiles (`node --cpu-prof`) of the front door under the benchmark: the file format, the
 * measuring window cut out of a whole-process profile, and reading and writing them gzipped. The
 * profile's clock is the kernel's monotonic clock in microseconds, the same one
 * `process.hrtime` reads in any process, so the runner's window applies to its child's samples.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { gunzipSync, gzipSync } from 'node:zlib';

/** Where a profile node's function lives. */
export interface CallFrame {
  readonly functionName: string;
  readonly url: string;
  readonly lineNumber: number;
  readonly columnNumber: number;
  readonly scriptId?: string;
}

/** One node of the call tree. */
export interface ProfileNode {
  readonly id: number;
  readonly callFrame: CallFrame;
  readonly children?: readonly number[];
  readonly hitCount?: number;
}

/** The `.cpuprofile` JSON Node writes and Chrome DevTools reads. */
export interface CpuProfile {
  readonly nodes: readonly ProfileNode[];
  /** Monotonic microseconds. */
  readonly startTime: number;
  readonly endTime: number;
  /** The leaf node of each sample. */
  readonly samples: readonly number[];
  /** Microseconds since the previous sample (the first: since startTime). */
  readonly timeDeltas: readonly number[];
}

/** A span of the monotonic clock, microseconds. */
export interface ProfileWindow {
  readonly startUs: number;
  readonly endUs: number;
}

/** Now on the monotonic clock V8 stamps samples with, microseconds. */
export const monotonicNowUs = (): number => Number(process.hrtime.bigint() / 1000n);

/**
 * The samples taken inside `window` only, as a profile of their own (DevTools opens it). Nodes
 * are kept whole: the tree is small next to the samples.
 */
export function cutToWindow(profile: CpuProfile, window: ProfileWindow): CpuProfile {
  const samples: number[] = [];
  const timeDeltas: number[] = [];
  let at = profile.startTime;
  let previous = window.startUs;
  for (let index = 0; index < profile.samples.length; index++) {
    at += profile.timeDeltas[index] ?? 0;
    if (at < window.startUs || at > window.endUs) continue;
    samples.push(profile.samples[index] as number);
    timeDeltas.push(at - previous);
    previous = at;
  }
  return { nodes: profile.nodes, startTime: window.startUs, endTime: Math.min(window.endUs, profile.endTime), samples, timeDeltas };
}

/** Reads a `.cpuprofile`, gzipped or not. */
export async function readProfile(path: string): Promise<CpuProfile> {
  const bytes = await readFile(path);
  const text = path.endsWith('.gz') ? gunzipSync(bytes).toString('utf8') : bytes.toString('utf8');
  return JSON.parse(text) as CpuProfile;
}

/** Writes a profile gzipped (about a tenth of its JSON); returns the bytes written. */
export async function writeProfileGz(path: string, profile: CpuProfile): Promise<number> {
  const bytes = gzipSync(JSON.stringify(profile), { level: 9 });
  await writeFile(path, bytes);
  return bytes.byteLength;
}
