/**
 * A small bounded-concurrency FIFO queue for per-file work (QC). Keys make adding idempotent: the
 * same file version reported twice, or retried while still waiting, is checked once.
 */
import { createLogger } from '../log/logger.js';

const log = createLogger('ingest.work-queue');

export interface WorkQueueOptions {
  /** Tasks running at once, at least 1. */
  concurrency: number;
}

export class WorkQueue {
  private readonly concurrency: number;
  /** Insertion-ordered, so the first entry is the oldest: FIFO with O(1) take and key lookup. */
  private readonly waiting = new Map<string, () => Promise<void>>();
  private readonly running = new Set<string>();
  /** Tasks that join `waiting` when their timer fires (retries); they hold no slot meanwhile. */
  private readonly delayed = new Map<string, { timer: NodeJS.Timeout; task: () => Promise<void> }>();
  private idleWaiters: Array<() => void> = [];

  constructor(opts: WorkQueueOptions) {
    if (!Number.isInteger(opts.concurrency) || opts.concurrency < 1) throw new RangeError(`concurrency must be a whole number ≥ 1, got ${opts.concurrency}`);
    this.concurrency = opts.concurrency;
  }

  /** Tasks waiting to run, including those waiting for their delay. */
  get size(): number {
    return this.waiting.size + this.delayed.size;
  }

  /** Tasks running now. */
  get pending(): number {
    return this.running.size;
  }

  /** Queues `task` under `key`; false (and the task is dropped) when that key is already waiting or running. */
  add(key: string, task: () => Promise<void>): boolean {
    if (this.waiting.has(key) || this.running.has(key) || this.delayed.has(key)) return false;
    this.waiting.set(key, task);
    this.next();
    return true;
  }

  /**
   * Queues `task` under `key` once `ms` have passed, at the back of the queue. May be called by the
   * task running under `key` itself (a retry): that run ends before any timer can fire. False (and
   * the task is dropped) when `key` is already waiting or delayed.
   */
  addLater(key: string, ms: number, task: () => Promise<void>): boolean {
    if (this.waiting.has(key) || this.delayed.has(key)) return false;
    const timer = setTimeout(() => {
      this.delayed.delete(key);
      if (!this.add(key, task)) log.warn('a delayed task was dropped: its key was queued again meanwhile', { key });
    }, ms);
    this.delayed.set(key, { timer, task });
    return true;
  }

  /** Queues the task delayed under `key` now, at the back of the queue; false when none is delayed under it. */
  hurry(key: string): boolean {
    const delayed = this.delayed.get(key);
    if (!delayed) return false;
    clearTimeout(delayed.timer);
    this.delayed.delete(key);
    return this.add(key, delayed.task);
  }

  /** Drops every waiting and delayed task; running ones finish. */
  clear(): void {
    this.waiting.clear();
    for (const { timer } of this.delayed.values()) clearTimeout(timer);
    this.delayed.clear();
    this.settleIfIdle();
  }

  /** Resolves once nothing is waiting, delayed or running (at once if that is already so). */
  onIdle(): Promise<void> {
    if (this.waiting.size === 0 && this.running.size === 0 && this.delayed.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private next(): void {
    while (this.running.size < this.concurrency) {
      const first = this.waiting.entries().next();
      if (first.done) break;
      const [key, task] = first.value;
      this.waiting.delete(key);
      this.running.add(key);
      void this.run(key, task);
    }
  }

  private async run(key: string, task: () => Promise<void>): Promise<void> {
    try {
      await task();
    } catch (err) {
      // One bad file must not stall the files behind it.
      log.error('task failed', { key, error: err instanceof Error ? (err.stack ?? err.message) : String(err) });
    } finally {
      this.running.delete(key);
      this.next();
      this.settleIfIdle();
    }
  }

  private settleIfIdle(): void {
    if (this.waiting.size > 0 || this.running.size > 0 || this.delayed.size > 0) return;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const resolve of waiters) resolve();
  }
}
