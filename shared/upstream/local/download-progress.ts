/**
 * Progress of a model download on the terminal: a one-line bar redrawn in place when the stream
 * is a TTY, a start and an end line otherwise (logs and CI would fill with carriage returns).
 * Hand-written: a bar is a dozen lines, not a dependency.
 */

export interface DownloadProgress {
  start(label: string, totalBytes: number): void;
  advance(bytes: number): void;
  finish(): void;
  /** The download failed: end the bar's line so the error starts on its own. */
  abort(): void;
}

/** What the bar writes to: process.stderr, or a fake in tests. */
export interface ProgressStream {
  readonly isTTY?: boolean;
  write(text: string): unknown;
}

const BAR_WIDTH = 30;
// Redrawing on every network chunk (16-64 KB) would print thousands of frames for 23 MB.
const REDRAW_INTERVAL_MS = 100;
const BYTES_PER_MB = 1_000_000;

const megabytes = (bytes: number): string => (bytes / BYTES_PER_MB).toFixed(1);

/** Progress on `stream` (process.stderr): a bar redrawn in place on a TTY, two lines otherwise. */
export function createDownloadProgress(stream: ProgressStream, now: () => number = () => Date.now()): DownloadProgress {
  let label = '';
  let total = 0;
  let done = 0;
  let lastDraw = Number.NEGATIVE_INFINITY;

  const draw = (): void => {
    const ratio = total > 0 ? Math.min(done / total, 1) : 1;
    const filled = Math.round(ratio * BAR_WIDTH);
    stream.write(`\r${label} [${'#'.repeat(filled)}${'-'.repeat(BAR_WIDTH - filled)}] ` +
      `${String(Math.floor(ratio * 100)).padStart(3)}% ${megabytes(done)}/${megabytes(total)} MB`);
    lastDraw = now();
  };

  return {
    start(newLabel, totalBytes) {
      label = newLabel;
      total = totalBytes;
      done = 0;
      if (stream.isTTY) draw();
      else stream.write(`${label}: ${megabytes(total)} MB...\n`);
    },
    advance(bytes) {
      done += bytes;
      if (stream.isTTY && now() - lastDraw >= REDRAW_INTERVAL_MS) draw();
    },
    finish() {
      if (stream.isTTY) {
        draw();
        stream.write('\n');
      } else {
        stream.write(`${label}: done\n`);
      }
    },
    abort() {
      if (stream.isTTY) stream.write('\n');
    },
  };
}

/** For callers that want no output (tests, `LOG_LEVEL=silent`). */
export const silentProgress: DownloadProgress = { start() {}, advance() {}, finish() {}, abort() {} };
