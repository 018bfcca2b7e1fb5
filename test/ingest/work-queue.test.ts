import { describe, expect, it, onTestFinished } from 'vitest';
import { WorkQueue } from '../../src/ingest/work-queue.js';
import { addLogSink, type LogRecord } from '../../src/log/logger.js';

/** A task the test finishes by hand, so ordering never depends on timing. */
function gate(): { promise: Promise<void>; open: () => void; fail: (err: Error) => void } {
  let open!: () => void;
  let fail!: (err: Error) => void;
  const promise = new Promise<void>((resolve, reject) => {
    open = resolve;
    fail = reject;
  });
  return { promise, open, fail };
}

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('work queue', () => {
  it('never runs more than `concurrency` tasks, and starts them first-in first-out', async () => {
    const queue = new WorkQueue({ concurrency: 3 });
    const started: number[] = [];
    let running = 0;
    let peak = 0;
    for (let i = 0; i < 20; i++) {
      queue.add(`k${i}`, async () => {
        started.push(i);
        running++;
        peak = Math.max(peak, running);
        await new Promise((resolve) => setTimeout(resolve, 1 + ((i * 7) % 5)));
        running--;
      });
    }
    expect(queue.pending).toBe(3);
    expect(queue.size).toBe(17);
    await queue.onIdle();
    expect(peak).toBe(3);
    expect(started).toEqual(Array.from({ length: 20 }, (_, i) => i));
    expect([queue.size, queue.pending]).toEqual([0, 0]);
  });

  it('drops a task whose key is already waiting or running, and takes it again once done', async () => {
    const queue = new WorkQueue({ concurrency: 1 });
    const first = gate();
    const runs: string[] = [];
    expect(queue.add('a', async () => (runs.push('a1'), first.promise))).toBe(true);
    expect(queue.add('b', async () => void runs.push('b1'))).toBe(true);
    expect(queue.add('a', async () => void runs.push('a2'))).toBe(false); // running
    expect(queue.add('b', async () => void runs.push('b2'))).toBe(false); // waiting
    first.open();
    await queue.onIdle();
    expect(runs).toEqual(['a1', 'b1']);
    expect(queue.add('a', async () => void runs.push('a3'))).toBe(true);
    await queue.onIdle();
    expect(runs).toEqual(['a1', 'b1', 'a3']);
  });

  it('resolves onIdle at once when idle, and only when everything has finished otherwise', async () => {
    const queue = new WorkQueue({ concurrency: 2 });
    await queue.onIdle();
    const gates = [gate(), gate(), gate()];
    gates.forEach((g, i) => queue.add(String(i), () => g.promise));
    let idle = false;
    void queue.onIdle().then(() => (idle = true));
    gates[0]?.open();
    gates[1]?.open();
    await tick();
    expect(idle).toBe(false);
    expect(queue.pending).toBe(1);
    gates[2]?.open();
    await queue.onIdle();
    await tick();
    expect(idle).toBe(true);
  });

  it('logs a rejected task and keeps going', async () => {
    const records: LogRecord[] = [];
    onTestFinished(addLogSink((r) => records.push(r)));
    const queue = new WorkQueue({ concurrency: 1 });
    const done: string[] = [];
    queue.add('bad', async () => {
      throw new Error('decode failed');
    });
    queue.add('sync-throw', () => {
      throw new Error('thrown before any await');
    });
    queue.add('good', async () => void done.push('good'));
    await queue.onIdle();
    expect(done).toEqual(['good']);
    expect(records.filter((r) => r.level === 'error' && r.module === 'ingest.work-queue').map((r) => r.fields?.key)).toEqual(['bad', 'sync-throw']);
  });

  it('clear() drops waiting tasks but lets running ones finish', async () => {
    const queue = new WorkQueue({ concurrency: 1 });
    const running = gate();
    const runs: string[] = [];
    queue.add('a', async () => (runs.push('a'), running.promise));
    queue.add('b', async () => void runs.push('b'));
    queue.add('c', async () => void runs.push('c'));
    queue.clear();
    expect([queue.size, queue.pending]).toEqual([0, 1]);
    running.open();
    await queue.onIdle();
    expect(runs).toEqual(['a']);
  });

  it('rejects a concurrency below 1', () => {
    expect(() => new WorkQueue({ concurrency: 0 })).toThrow(RangeError);
  });

  it('runs a delayed task after its delay without holding a slot meanwhile, and counts it until it has run', async () => {
    const queue = new WorkQueue({ concurrency: 1 });
    const order: string[] = [];
    const later = gate();
    queue.add('retry', async () => {
      order.push('retry#1');
      // The running task schedules its own retry, as the station does for a file that looked truncated.
      expect(queue.addLater('retry', 200, async () => void order.push('retry#2'))).toBe(true);
    });
    queue.add('next', async () => {
      order.push('next');
      await later.promise;
    });
    await tick();
    expect(order).toEqual(['retry#1', 'next']);
    let idle = false;
    void queue.onIdle().then(() => (idle = true));
    later.open();
    await tick();
    expect(queue.pending).toBe(0);
    expect(idle).toBe(false);
    expect(queue.size).toBe(1);
    await queue.onIdle();
    expect(order).toEqual(['retry#1', 'next', 'retry#2']);
    expect(queue.addLater('retry', 1, async () => undefined)).toBe(true);
    expect(queue.addLater('retry', 1, async () => undefined)).toBe(false);
    expect(queue.add('retry', async () => undefined)).toBe(false);
  });

  it('hurry() queues a delayed task now, once', async () => {
    const queue = new WorkQueue({ concurrency: 1 });
    const ran: string[] = [];
    queue.addLater('k', 600_000, async () => void ran.push('k'));
    expect(queue.hurry('other')).toBe(false);
    expect(queue.hurry('k')).toBe(true);
    expect(queue.hurry('k')).toBe(false);
    await queue.onIdle();
    expect(ran).toEqual(['k']);
    expect(queue.size).toBe(0);
  });

  it('clear drops delayed tasks too', async () => {
    const queue = new WorkQueue({ concurrency: 1 });
    let ran = false;
    queue.addLater('k', 20, async () => void (ran = true));
    queue.clear();
    await queue.onIdle();
    await new Promise((resolve) => setTimeout(resolve, 40));
    expect(ran).toBe(false);
    expect(queue.size).toBe(0);
  });
});
