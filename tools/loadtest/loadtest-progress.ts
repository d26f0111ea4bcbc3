/**
 * The progress bar a load test draws on stderr: one line, redrawn in place at most a few times a
 * second. The stream and the clock are passed in; `formatProgressLine` is pure.
 */

/** What the bar shows. */
export interface ProgressState {
  /** Which run of how many (URLs times sweep steps). */
  readonly step: number;
  readonly steps: number;
  /** The run's name: its URL, and its batch size in a sweep. */
  readonly label: string;
  /** 0..1 of this run. */
  readonly fraction: number;
  readonly chunksPerS: number;
  readonly okRequests: number;
  readonly errors: number;
}

/** Where progress goes; a no-op sink when there is no bar. */
export interface ProgressSink {
  update(state: ProgressState): void;
  /** Ends the bar's line, so what is printed next starts on a fresh one. */
  finish(): void;
}

/** The part of a stream the bar needs (process.stderr fits; tests pass a fake). */
export interface ProgressStream {
  write(text: string): unknown;
  readonly columns?: number;
}

/** The sink when no bar is drawn (stderr is not a terminal and --progress was not given). */
export const NO_PROGRESS: ProgressSink = { update: () => undefined, finish: () => undefined };

const BAR_WIDTH = 24;
/** Redrawing more often only costs CPU the load generator needs. */
const REDRAW_INTERVAL_MS = 100;
const DEFAULT_COLUMNS = 100;
const PERCENT = 100;
/** Carriage return, then erase the line: the bar redraws in place. */
const REDRAW = '\r\u001b[2K';

/** One line of progress, cut to `columns`. */
export function formatProgressLine(state: ProgressState, columns: number): string {
  const fraction = Math.min(1, Math.max(0, state.fraction));
  const filled = Math.round(fraction * BAR_WIDTH);
  const bar = `[${'#'.repeat(filled)}${'.'.repeat(BAR_WIDTH - filled)}]`;
  const line = `${bar} ${String(Math.round(fraction * PERCENT)).padStart(3)}%  run ${state.step}/${state.steps}  ` +
    `${state.chunksPerS.toFixed(0)} chunks/s  ${state.okRequests} ok  ${state.errors} errors  ${state.label}`;
  return line.length > columns ? line.slice(0, Math.max(0, columns - 1)) : line;
}

/** A bar on `stream`, redrawn at most every {@link REDRAW_INTERVAL_MS} of `now()`. */
export function createProgressBar(stream: ProgressStream, now: () => number = () => performance.now()): ProgressSink {
  let lastDrawn = Number.NEGATIVE_INFINITY;
  let lastStep = -1;
  let drawnAny = false;
  return {
    update(state) {
      const at = now();
      // A new run always draws, so its first line is never skipped.
      if (at - lastDrawn < REDRAW_INTERVAL_MS && state.step === lastStep) return;
      lastDrawn = at;
      lastStep = state.step;
      drawnAny = true;
      stream.write(REDRAW + formatProgressLine(state, stream.columns ?? DEFAULT_COLUMNS));
    },
    finish() {
      if (drawnAny) stream.write('\n');
      drawnAny = false;
    },
  };
}
