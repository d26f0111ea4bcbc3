/**
 * The requests of a run, generated once from the scenario's load and shared by every policy, so
 * the policies are compared on exactly the same traffic. Rate-based components are Poisson
 * processes (the daily curve by thinning); scheduled bursts take their windows from the
 * production `burstWindows`, the same cron reading the warm-up planner uses.
 */
import { burstWindows } from '../../shared/warmup/burst-windows';
import type { Burst, BurstWindow } from '../../shared/warmup/schedule';
import { type Rng, deriveRng, exponential, uniform, uniformInt } from './rng';
import { type LoadComponent, LoadKind, type TextsPerRequest } from './scenario-types';

/** Requests in time order: arrival (ms after the start) and size. */
export interface Arrivals {
  readonly times: Float64Array;
  readonly texts: Int32Array;
}

export interface ArrivalInput {
  readonly startMs: number;
  readonly durationMs: number;
  readonly seed: number;
  readonly load: readonly LoadComponent[];
  readonly schedule: readonly Burst[];
}

const SECOND_MS = 1_000;
const MINUTE_MS = 60_000;
const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;

interface Stream {
  times: number[];
  texts: number[];
}

/** Every request of the span, merged in time order. Deterministic for a seed. */
export function generateArrivals(input: ArrivalInput): Arrivals {
  const streams = input.load.map((component, index) =>
    generateComponent(component, input, deriveRng(input.seed, `arrivals/${index}`)));
  return mergeStreams(streams);
}

/** The windows (ms after the start) in which `burst` runs during the span. */
export function scheduledWindows(burst: Burst, startMs: number, durationMs: number): BurstWindow[] {
  const endMs = startMs + durationMs;
  const windows = new Map<number, BurstWindow>();
  let cursor = startMs;
  while (cursor < endMs) {
    const found = burstWindows(burst, new Date(cursor), endMs - cursor).filter((window) => window.start < endMs);
    const fresh = found.filter((window) => !windows.has(window.start));
    if (fresh.length === 0) break;
    for (const window of fresh) windows.set(window.start, window);
    cursor = Math.max(...fresh.map((window) => window.start)) + 1;
  }
  return [...windows.values()]
    .map((window) => ({ start: Math.max(0, window.start - startMs), end: Math.min(durationMs, window.end - startMs) }))
    .sort((x, y) => x.start - y.start);
}

function generateComponent(component: LoadComponent, input: ArrivalInput, rng: Rng): Stream {
  const stream: Stream = { times: [], texts: [] };
  switch (component.kind) {
    case LoadKind.trace:
      for (const request of [...component.requests].sort((x, y) => x.atSeconds - y.atSeconds)) {
        const time = request.atSeconds * SECOND_MS;
        if (time < input.durationMs) push(stream, time, request.texts);
      }
      return stream;
    case LoadKind.steady:
      poissonWindow(stream, rng, 0, input.durationMs, component.chunksPerSecond, component.textsPerRequest);
      return stream;
    case LoadKind.daily: {
      const { minChunksPerSecond: low, maxChunksPerSecond: high, peakHourUtc, textsPerRequest } = component;
      const peakMs = peakHourUtc * HOUR_MS;
      const chunksAt = (time: number): number => {
        const msOfDay = (((input.startMs + time - peakMs) % DAY_MS) + DAY_MS) % DAY_MS;
        return low + (high - low) * (1 + Math.cos((2 * Math.PI * msOfDay) / DAY_MS)) / 2;
      };
      thinned(stream, rng, input.durationMs, Math.max(low, high), chunksAt, textsPerRequest);
      return stream;
    }
    case LoadKind.scheduled: {
      const burst = input.schedule.find((item) => item.name === component.burst);
      if (burst === undefined) return stream;
      for (const window of scheduledWindows(burst, input.startMs, input.durationMs)) {
        poissonWindow(stream, rng, window.start, window.end, component.chunksPerSecond, component.textsPerRequest);
      }
      return stream;
    }
    case LoadKind.spikes: {
      const meanGapMs = component.perDay > 0 ? DAY_MS / component.perDay : Infinity;
      const starts: number[] = [];
      for (let time = exponential(rng, meanGapMs); time < input.durationMs; time += exponential(rng, meanGapMs)) starts.push(time);
      const windows = starts.map((start) => ({ start, end: Math.min(input.durationMs, start + component.durationMinutes * MINUTE_MS) }));
      // Overlapping spikes add up: each is its own Poisson stream, merged below.
      const spikeStreams = windows.map((window) => {
        const spike: Stream = { times: [], texts: [] };
        poissonWindow(spike, rng, window.start, window.end, component.chunksPerSecond, component.textsPerRequest);
        return spike;
      });
      const merged = mergeStreams(spikeStreams);
      return { times: [...merged.times], texts: [...merged.texts] };
    }
  }
}

const meanTexts = (texts: TextsPerRequest): number => (texts.min + texts.max) / 2;

function push(stream: Stream, time: number, texts: number): void {
  stream.times.push(time);
  stream.texts.push(texts);
}

function poissonWindow(stream: Stream, rng: Rng, start: number, end: number, chunksPerSecond: number, texts: TextsPerRequest): void {
  if (chunksPerSecond <= 0) return;
  const meanGapMs = (SECOND_MS * meanTexts(texts)) / chunksPerSecond;
  for (let time = start + exponential(rng, meanGapMs); time < end; time += exponential(rng, meanGapMs)) {
    push(stream, time, uniformInt(rng, texts.min, texts.max));
  }
}

/** Lewis-Shedler thinning: candidates at the peak rate, each kept with probability rate(t)/peak. */
function thinned(stream: Stream, rng: Rng, end: number, peakChunks: number, chunksAt: (time: number) => number, texts: TextsPerRequest): void {
  if (peakChunks <= 0) return;
  const meanGapMs = (SECOND_MS * meanTexts(texts)) / peakChunks;
  for (let time = exponential(rng, meanGapMs); time < end; time += exponential(rng, meanGapMs)) {
    if (uniform(rng, 0, peakChunks) < chunksAt(time)) push(stream, time, uniformInt(rng, texts.min, texts.max));
  }
}

function mergeStreams(streams: readonly Stream[]): Arrivals {
  const total = streams.reduce((sum, stream) => sum + stream.times.length, 0);
  const times = new Float64Array(total);
  const texts = new Int32Array(total);
  const cursors = streams.map(() => 0);
  for (let out = 0; out < total; out++) {
    let best = -1;
    let bestTime = Infinity;
    streams.forEach((stream, index) => {
      const time = stream.times[cursors[index] ?? 0];
      if (time !== undefined && time < bestTime) {
        bestTime = time;
        best = index;
      }
    });
    const stream = streams[best] as Stream;
    const cursor = cursors[best] ?? 0;
    times[out] = bestTime;
    texts[out] = stream.texts[cursor] ?? 1;
    cursors[best] = cursor + 1;
  }
  return { times, texts };
}
