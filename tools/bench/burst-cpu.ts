/**
 * CPU per phase: the front door, the simulators and the whole machine sampled through the run, so
 * a slow burst can be told apart from a busy machine (two cores shared by four processes and by
 * whatever else runs there). Sampling reads /proc through process-cpu; the arithmetic is pure.
 */
import { cpuSecondsOf, machineBusySeconds } from './process-cpu';

/** Cumulative CPU seconds at one moment (`atMs`: performance.now()). */
export interface CpuSample {
  readonly atMs: number;
  readonly frontDoor: number | undefined;
  readonly simulators: number | undefined;
  readonly machine: number | undefined;
}

/** CPU over an interval; 100 = one core busy. */
export interface PhaseCpu {
  readonly frontDoor: number | undefined;
  readonly simulators: number | undefined;
  readonly machine: number | undefined;
}

const SAMPLE_INTERVAL_MS = 250;
const MS_PER_S = 1_000;
const PERCENT = 100;

/** Samples the processes' CPU until stopped. */
export function startCpuSampler(frontDoorPid: number, simulatorPids: readonly number[]): { stop(): CpuSample[] } {
  const samples: CpuSample[] = [];
  const sample = (): void => {
    samples.push({
      atMs: performance.now(),
      frontDoor: cpuSecondsOf([frontDoorPid]),
      simulators: cpuSecondsOf(simulatorPids),
      machine: machineBusySeconds(),
    });
  };
  sample();
  const timer = setInterval(sample, SAMPLE_INTERVAL_MS);
  return {
    stop: () => {
      clearInterval(timer);
      sample();
      return samples;
    },
  };
}

/** The sample taken nearest to `atMs`. */
function nearest(samples: readonly CpuSample[], atMs: number): CpuSample | undefined {
  let best: CpuSample | undefined;
  for (const sample of samples) {
    if (best === undefined || Math.abs(sample.atMs - atMs) < Math.abs(best.atMs - atMs)) best = sample;
  }
  return best;
}

/** CPU between the samples nearest to `fromMs` and `toMs`; undefined figures where unknown. */
export function cpuBetween(samples: readonly CpuSample[], fromMs: number, toMs: number): PhaseCpu {
  const from = nearest(samples, fromMs);
  const to = nearest(samples, toMs);
  const elapsedS = from === undefined || to === undefined ? 0 : (to.atMs - from.atMs) / MS_PER_S;
  const rate = (pick: (sample: CpuSample) => number | undefined): number | undefined => {
    if (from === undefined || to === undefined || elapsedS <= 0) return undefined;
    const start = pick(from);
    const end = pick(to);
    return start === undefined || end === undefined ? undefined : ((end - start) / elapsedS) * PERCENT;
  };
  return { frontDoor: rate((sample) => sample.frontDoor), simulators: rate((sample) => sample.simulators), machine: rate((sample) => sample.machine) };
}
