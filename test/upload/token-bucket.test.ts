/** The bandwidth cap over simulated time: oversized chunks go, their excess is carried as debt, the long-run rate is the cap. */
import { describe, expect, it } from 'vitest';
import { TokenBucket } from '../../src/upload/token-bucket.js';

/** A simulated clock: sleeps resolve in order of their due time when `runUntil` advances it. */
class SimulatedTime {
  now = 0;
  private timers: { at: number; resolve: () => void; reject: (e: Error) => void; signal: AbortSignal }[] = [];

  sleep = (ms: number, signal: AbortSignal): Promise<void> =>
    new Promise((resolve, reject) => {
      const timer = { at: this.now + ms, resolve, reject, signal };
      this.timers.push(timer);
      signal.addEventListener('abort', () => {
        this.timers = this.timers.filter((t) => t !== timer);
        reject(signal.reason as Error);
      }, { once: true });
    });

  /** Runs every take that is due up to `end` (ms), letting the takers' promise chains run in between. */
  async runUntil(end: number): Promise<void> {
    for (;;) {
      await new Promise((r) => setImmediate(r));
      this.timers.sort((a, b) => a.at - b.at);
      const next = this.timers[0];
      if (!next || next.at > end) break;
      this.timers.shift();
      this.now = next.at;
      next.resolve();
    }
    this.now = end;
  }
}

/** Deterministic chunk sizes between `min` and `max`. */
function chunkSizes(seed: number, min: number, max: number): () => number {
  let x = seed;
  return () => {
    x = (x * 1103515245 + 12345) >>> 0;
    return min + (x % (max - min + 1));
  };
}

describe('token bucket', () => {
  it('lets chunks larger than the bucket go and keeps the long-run rate at the cap, with several jobs taking at once', async () => {
    const rate = 100_000; // bytes/s; the bucket holds one second of it
    const seconds = 3600;
    const time = new SimulatedTime();
    const bucket = new TokenBucket({ rateBytesPerSec: rate, now: () => time.now, sleep: time.sleep });
    const stop = new AbortController();
    let sent = 0;
    let biggest = 0;
    // Three jobs; chunks of 0.5 to 10 times the bucket (1 MiB chunks under a 100 kB/s cap and more).
    const jobs = [1, 2, 3].map(async (seed) => {
      const next = chunkSizes(seed, rate / 2, rate * 10);
      // Bounded, so a bucket that forgets its debt fails the assertions below instead of spinning for ever.
      while (sent <= 2 * rate * seconds) {
        const bytes = next();
        biggest = Math.max(biggest, bytes);
        await bucket.take(bytes, stop.signal);
        sent += bytes;
      }
    });
    await time.runUntil(seconds * 1000);
    stop.abort(new Error('end of the simulation'));
    await Promise.allSettled(jobs);
    expect(biggest).toBeGreaterThan(rate * 9);
    // The cap times the simulated time, plus at most the first second's burst and one chunk in flight per job.
    const cap = rate * seconds;
    console.info(`${seconds} simulated s at ${rate} B/s: ${sent} bytes sent, ${(sent / cap).toFixed(4)} × the cap`);
    expect(sent).toBeGreaterThanOrEqual(cap - 3 * biggest);
    expect(sent).toBeLessThanOrEqual(cap + rate + 3 * biggest);
    expect(Math.abs(sent / cap - 1)).toBeLessThan(0.01);
  });

  it('gives the bytes of a take aborted while it waits back, so other jobs do not wait for bytes never sent', async () => {
    const time = new SimulatedTime();
    const bucket = new TokenBucket({ rateBytesPerSec: 1000, now: () => time.now, sleep: time.sleep });
    const job = new AbortController();
    const big = bucket.take(5000, job.signal); // 4 s of debt
    job.abort(new Error('job stopped'));
    await expect(big).rejects.toThrow('job stopped');
    let done = false;
    void bucket.take(1000, new AbortController().signal).then(() => (done = true));
    await time.runUntil(0);
    expect(done).toBe(true); // the full bucket is there again: no wait
  });
});
