/**
 * Current upload rate for the status (bytes/s over a sliding window), kept as one bucket per second
 * so recording a chunk is O(1) and memory is bounded whatever the throughput.
 */
export class RateMeter {
  private readonly buckets = new Map<number, number>();

  constructor(
    private readonly windowSec = 10,
    private readonly now: () => number = Date.now,
  ) {}

  record(bytes: number): void {
    const sec = Math.floor(this.now() / 1000);
    this.buckets.set(sec, (this.buckets.get(sec) ?? 0) + bytes);
    this.prune(sec);
  }

  /** Bytes per second over the last window (0 when nothing was sent lately). */
  rate(): number {
    const sec = Math.floor(this.now() / 1000);
    this.prune(sec);
    let total = 0;
    for (const n of this.buckets.values()) total += n;
    return total / this.windowSec;
  }

  private prune(sec: number): void {
    for (const key of this.buckets.keys()) if (key <= sec - this.windowSec) this.buckets.delete(key);
  }
}
