/**
 * What the hostile-load benchmark reads while it attacks: the front door's memory from
 * /proc/<pid>/status (VmRSS now, VmHWM the peak since it started), an answer's status and error
 * code without keeping its body, and a pacer that starts calls at a fixed rate whatever their
 * latency (open loop, as attackers and real clients send).
 */
import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Dispatcher } from 'undici';

const KIB_PER_MIB = 1_024;
const MS_PER_S = 1_000;
/** The head of an answer kept to find its error code: error bodies are small. */
const HEAD_BYTES = 4_096;

/** A process's resident memory now and at its peak, MiB; undefined where /proc cannot tell. */
export interface ProcessMemory {
  readonly rssMiB: number | undefined;
  readonly peakMiB: number | undefined;
}

/** Reads `VmRSS` and `VmHWM` (the kernel's own high-water mark, so no peak is missed between samples). */
export function parseProcMemory(status: string): ProcessMemory {
  const field = (name: string): number | undefined => {
    const match = new RegExp(`^${name}:\\s+(\\d+)\\s+kB$`, 'm').exec(status);
    return match === null ? undefined : Number(match[1]) / KIB_PER_MIB;
  };
  return { rssMiB: field('VmRSS'), peakMiB: field('VmHWM') };
}

/** `pid`'s memory now; both undefined when the process is gone or /proc is missing. */
export function readProcessMemory(pid: number): ProcessMemory {
  try {
    return parseProcMemory(readFileSync(`/proc/${pid}/status`, 'utf8'));
  } catch {
    return { rssMiB: undefined, peakMiB: undefined };
  }
}

const CODE_FIELDS = [/"code"\s*:\s*"([A-Za-z0-9_.]{1,64})"/, /"error_type"\s*:\s*"([A-Za-z0-9_.]{1,64})"/, /"type"\s*:\s*"([A-Za-z0-9_.]{1,64})"/];

/** The error code an error body names (OpenAI `code`, TEI `error_type`, DJL `type`); undefined if none. */
export function errorCodeIn(head: string): string | undefined {
  for (const field of CODE_FIELDS) {
    const match = field.exec(head);
    if (match?.[1] !== undefined) return match[1];
  }
  return undefined;
}

/** An answer reduced to what the report counts. */
export interface Answer {
  readonly status: number;
  /** `200`, or `429 overloaded`: the status and, for an error, its code. */
  readonly outcome: string;
  readonly bytes: number;
}

/** Reads an undici answer to its end, keeping only its first bytes (to name an error's code). */
export async function readAnswer(response: Dispatcher.ResponseData): Promise<Answer> {
  let bytes = 0;
  let head = '';
  for await (const chunk of response.body) {
    const buffer = chunk as Buffer;
    if (head.length < HEAD_BYTES) head += buffer.subarray(0, HEAD_BYTES - head.length).toString('latin1');
    bytes += buffer.length;
  }
  const status = response.statusCode;
  const code = status >= 400 ? errorCodeIn(head) : undefined;
  return { status, outcome: code === undefined ? String(status) : `${status} ${code}`, bytes };
}

/** A failed call's outcome: its error code (`ECONNRESET`, `UND_ERR_SOCKET`) or name. */
export function failureOutcome(error: unknown): string {
  if (error !== null && typeof error === 'object') {
    const { code, name } = error as { code?: unknown; name?: unknown };
    if (typeof code === 'string') return code;
    if (typeof name === 'string') return name;
  }
  return 'error';
}

/** Outcomes counted: `{ "200": 10, "429 overloaded": 290 }`. */
export class OutcomeCounter {
  readonly counts: Record<string, number> = {};

  add(outcome: string): void {
    this.counts[outcome] = (this.counts[outcome] ?? 0) + 1;
  }

  total(): number {
    return Object.values(this.counts).reduce((sum, count) => sum + count, 0);
  }
}

/**
 * Starts `fire(sequence)` `ratePerS` times a second for `durationMs`, never waiting for a call
 * to end; a pacer that fell behind (a busy event loop) catches up at once, so the rate holds.
 * Resolves when the last call has been started.
 */
export async function paced(ratePerS: number, durationMs: number, fire: (sequence: number) => void, stopped: () => boolean = () => false): Promise<number> {
  const intervalMs = MS_PER_S / ratePerS;
  const startedAt = performance.now();
  let sequence = 0;
  while (!stopped()) {
    const elapsed = performance.now() - startedAt;
    if (elapsed >= durationMs) break;
    while (sequence * intervalMs <= elapsed) fire(sequence++);
    await sleep(Math.max(0, sequence * intervalMs - (performance.now() - startedAt)));
  }
  return sequence;
}
