/**
 * The highest value seen over roughly the last window: two half-window buckets, so a peak is
 * remembered for between half a window and a whole one, at a constant cost per sample.
 */
export class RecentPeak {
  private bucketStart = Number.NEGATIVE_INFINITY;
  private current = 0;
  private previous = 0;

  constructor(private readonly windowMs: number) {}

  note(value: number, now: number): void {
    this.roll(now);
    if (value > this.current) this.current = value;
  }

  value(now: number): number {
    this.roll(now);
    return Math.max(this.current, this.previous);
  }

  private roll(now: number): void {
    const half = this.windowMs / 2;
    if (now - this.bucketStart < half) return;
    this.previous = now - this.bucketStart < this.windowMs ? this.current : 0;
    this.current = 0;
    this.bucketStart = now;
  }
}
