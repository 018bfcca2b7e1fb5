/** readAhead: chunks in order and unchanged, pulled ahead while the consumer is busy, bounded, failures and early stops passed on. */
import { describe, expect, it } from 'vitest';
import { readAhead } from '../../src/upload/read-ahead.js';

/** A source of `count` chunks of `size` bytes (chunk i filled with i) that records how many were pulled and whether it was closed. */
function source(count: number, size: number, failAt?: number): { chunks: AsyncGenerator<Buffer>; pulled: () => number; closed: () => boolean } {
  let pulled = 0;
  let closed = false;
  async function* gen(): AsyncGenerator<Buffer> {
    try {
      for (let i = 0; i < count; i++) {
        await new Promise((r) => setImmediate(r));
        if (i === failAt) throw new Error(`read failed at chunk ${i}`);
        pulled++;
        yield Buffer.alloc(size, i);
      }
    } finally {
      closed = true;
    }
  }
  return { chunks: gen(), pulled: () => pulled, closed: () => closed };
}

/** Lets pending pulls run (each chunk of the source takes one setImmediate). */
async function settle(rounds = 20): Promise<void> {
  for (let i = 0; i < rounds; i++) await new Promise((r) => setImmediate(r));
}

describe('readAhead', () => {
  it('yields every chunk in order and unchanged', async () => {
    const src = source(7, 10);
    const got: number[] = [];
    for await (const c of readAhead(src.chunks, 25)) {
      expect(c.length).toBe(10);
      got.push(c[0]!);
    }
    expect(got).toEqual([0, 1, 2, 3, 4, 5, 6]);
    expect(src.closed()).toBe(true);
  });

  it('pulls up to aheadBytes more while the consumer holds a chunk, and no further', async () => {
    const src = source(10, 10);
    const it = readAhead(src.chunks, 30)[Symbol.asyncIterator]();
    const first = await it.next();
    expect(first.value![0]).toBe(0);
    await settle();
    // The chunk held plus three ahead (30 bytes); the source waits for the consumer then.
    expect(src.pulled()).toBe(4);
    await it.next();
    await settle();
    expect(src.pulled()).toBe(5);
    await it.return?.(undefined);
  });

  it('hands over the chunks read before a failure, then the failure', async () => {
    const src = source(5, 10, 3);
    const got: number[] = [];
    await expect(
      (async () => {
        for await (const c of readAhead(src.chunks, 100)) got.push(c[0]!);
      })(),
    ).rejects.toThrow('read failed at chunk 3');
    expect(got).toEqual([0, 1, 2]);
  });

  it('closes the source when the consumer stops early', async () => {
    const src = source(10, 10);
    for await (const c of readAhead(src.chunks, 20)) if (c[0] === 1) break;
    expect(src.closed()).toBe(true);
    expect(src.pulled()).toBeLessThan(10);
  });
});
