/**
 * CPU time of other processes, read from Linux's /proc, so each cell can say which process was
 * busy: on a two-core machine the simulators, the proxy and the load generator compete, and a
 * cell limited by that is not measuring the proxy. Elsewhere (no /proc) every reading is absent.
 */
import { readdirSync, readFileSync } from 'node:fs';

/**
 * /proc reports CPU time in USER_HZ ticks, which Linux fixes at 100 per second for user space
 * whatever the kernel's own tick rate.
 */
const TICKS_PER_SECOND = 100;
/** Fields after the `(comm)` of /proc/PID/stat: state is 0, ppid 1, utime 11, stime 12. */
const STAT_FIELD = { ppid: 1, utime: 11, stime: 12 } as const;
const PERCENT = 100;
const MS_PER_S = 1_000;

interface StatLine {
  readonly ppid: number;
  readonly cpuSeconds: number;
}

/** Parses the text of /proc/PID/stat (the command name may hold spaces and parentheses). */
export function parseProcStat(text: string): StatLine | undefined {
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  const ppid = Number(fields[STAT_FIELD.ppid]);
  const ticks = Number(fields[STAT_FIELD.utime]) + Number(fields[STAT_FIELD.stime]);
  if (!Number.isFinite(ppid) || !Number.isFinite(ticks)) return undefined;
  return { ppid, cpuSeconds: ticks / TICKS_PER_SECOND };
}

function readStat(pid: number): StatLine | undefined {
  try {
    return parseProcStat(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return undefined;
  }
}

/**
 * CPU seconds used so far by the main thread of `pid` alone (/proc/PID/task/PID/stat): for a Node
 * process, its event loop. The rest of the process's time is its other threads': V8's (the
 * garbage collector's concurrent marking, sweeping and parallel scavenges, which `--cpu-prof` never
 * samples) and libuv's pool. Undefined when /proc cannot tell.
 */
export function mainThreadCpuSeconds(pid: number): number | undefined {
  try {
    return parseProcStat(readFileSync(`/proc/${pid}/task/${pid}/stat`, 'utf8'))?.cpuSeconds;
  } catch {
    return undefined;
  }
}

/** `pid` and its direct children (nginx's master and its workers). */
export function withChildren(pid: number): number[] {
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return [pid];
  }
  const children = entries
    .filter((entry) => /^\d+$/.test(entry))
    .map(Number)
    .filter((candidate) => readStat(candidate)?.ppid === pid);
  return [pid, ...children];
}

/** CPU seconds used so far by these processes together; undefined when /proc cannot tell. */
export function cpuSecondsOf(pids: readonly number[]): number | undefined {
  let total = 0;
  for (const pid of pids) {
    const stat = readStat(pid);
    if (stat === undefined) return undefined;
    total += stat.cpuSeconds;
  }
  return total;
}

/** Fields of /proc/stat's first (`cpu`) line that count busy time: user, nice, system, irq, softirq, steal. */
const BUSY_FIELDS = [0, 1, 2, 5, 6, 7] as const;

/** Parses /proc/stat: CPU seconds every core together spent busy since boot. */
export function parseMachineBusy(text: string): number | undefined {
  const line = text.split('\n').find((entry) => entry.startsWith('cpu '));
  if (line === undefined) return undefined;
  const fields = line.trim().split(/\s+/).slice(1).map(Number);
  let ticks = 0;
  for (const index of BUSY_FIELDS) ticks += fields[index] ?? 0;
  return Number.isFinite(ticks) ? ticks / TICKS_PER_SECOND : undefined;
}

/** CPU seconds the whole machine (every process, ours or not) has spent busy; undefined without /proc. */
export function machineBusySeconds(): number | undefined {
  try {
    return parseMachineBusy(readFileSync('/proc/stat', 'utf8'));
  } catch {
    return undefined;
  }
}

/** A running CPU reading; `percent()` is over the time between `start()` and `stop()`. */
export class CpuMeter {
  private startCpu: number | undefined;
  private startAt = 0;
  private result: number | undefined;

  /** `readSeconds`: CPU seconds used so far by what is measured (undefined when unknown). */
  constructor(private readonly readSeconds: () => number | undefined) {}

  /** Measures a group of processes, found again at each reading (nginx's workers are its children). */
  static ofProcesses(pids: () => readonly number[]): CpuMeter {
    return new CpuMeter(() => cpuSecondsOf(pids()));
  }

  /** Measures the main thread of one process (a Node process's event loop). */
  static ofMainThread(pid: () => number): CpuMeter {
    return new CpuMeter(() => mainThreadCpuSeconds(pid()));
  }

  /** Measures the whole machine: every core, every process. */
  static ofMachine(): CpuMeter {
    return new CpuMeter(machineBusySeconds);
  }

  start(): void {
    this.startCpu = this.readSeconds();
    this.startAt = performance.now();
  }

  stop(): void {
    const end = this.readSeconds();
    const elapsedS = (performance.now() - this.startAt) / MS_PER_S;
    this.result = end === undefined || this.startCpu === undefined || elapsedS <= 0
      ? undefined
      : ((end - this.startCpu) / elapsedS) * PERCENT;
  }

  /** 100 = one core busy the whole window; undefined when unknown. */
  percent(): number | undefined {
    return this.result;
  }
}
