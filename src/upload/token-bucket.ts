/**
 * The global bandwidth cap, shared by every running job: a token bucket refilled at `rate` bytes/s
 * holding at most one second of tokens. A take larger than what is in the bucket borrows against the
 * future and waits until the debt is repaid, so a 1 MiB chunk under a 100 kB/s cap still goes, ten
 * seconds later; the debt stays in the bucket, so later takes (of any job) wait for it too and the
 * long-run rate stays at the cap (one second's burst above it at most). A take aborted while it waits
 * gives its bytes back. rate 0 = unlimited. The clock and the sleep are injectable for the tests.
 */
export interface TokenBucketOptions {
  rateBytesPerSec: number;
  now?: () => number;
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
}

export class TokenBucket {
  private tokens: number;
  private last: number;
  private readonly now: () => number;
  private readonly sleep: (ms: number, signal: AbortSignal) => Promise<void>;

  constructor(private readonly opts: TokenBucketOptions) {
    this.now = opts.now ?? (() => performance.now());
    this.sleep = opts.sleep ?? abortableSleep;
    this.tokens = opts.rateBytesPerSec;
    this.last = this.now();
  }

  get unlimited(): boolean {
    return this.opts.rateBytesPerSec <= 0;
  }

  /** Resolves when `bytes` may be sent; rejects if `signal` aborts first. */
  async take(bytes: number, signal: AbortSignal): Promise<void> {
    if (this.unlimited) return;
    const rate = this.opts.rateBytesPerSec;
    const now = this.now();
    this.tokens = Math.min(rate, this.tokens + ((now - this.last) / 1000) * rate);
    this.last = now;
    this.tokens -= bytes;
    if (this.tokens < 0) {
      try {
        await this.sleep((-this.tokens / rate) * 1000, signal);
      } catch (err) {
        // Aborted while waiting: these bytes are never sent, so their debt goes too (else every other job would wait for them).
        this.tokens = Math.min(rate, this.tokens + bytes);
        throw err;
      }
    }
  }
}

export function abortableSleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason as Error);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal.reason as Error);
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    timer.unref();
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
