/** Hashing on worker threads (whole files, and streams of chunks being sent): right digests, errors as data, an event loop left free. */
import { createHash, randomBytes as cryptoRandomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { digestsOfFile } from '../../src/hashing/file.js';
import { HashPool, hashPoolSizes } from '../../src/hashing/pool.js';
import { randomBytes, sha256 } from '../upload/fixture.js';

const MiB = 1024 * 1024;

describe('whole-file hashing on worker threads', () => {
  let dir: string;
  let big: string;
  let bigSha: string;

  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cs-hash-'));
    big = path.join(dir, 'big.tif');
    // Over 64 MiB, not a multiple of the worker's 1 MiB read.
    const bytes = cryptoRandomBytes(80 * MiB + 4321);
    fs.writeFileSync(big, bytes);
    bigSha = sha256(bytes);
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('digests an empty file, a small one (with md5) and one over 64 MiB', async () => {
    const empty = path.join(dir, 'empty.tif');
    fs.writeFileSync(empty, '');
    expect(await digestsOfFile(empty)).toEqual({ sha256: sha256(''), md5: null, size: 0 });
    const small = path.join(dir, 'small.tif');
    const bytes = randomBytes(300_001, 7);
    fs.writeFileSync(small, bytes);
    expect(await digestsOfFile(small, undefined, { md5: true })).toEqual({ sha256: sha256(bytes), md5: createHash('md5').update(bytes).digest('hex'), size: bytes.length });
    expect(await digestsOfFile(big)).toEqual({ sha256: bigSha, md5: null, size: 80 * MiB + 4321 });
  });

  it('fails with the errno code and the path for a missing file or a folder, and goes on working', async () => {
    const missing = path.join(dir, 'nope.tif');
    await expect(digestsOfFile(missing)).rejects.toMatchObject({ code: 'ENOENT', message: expect.stringContaining(missing) as string });
    await expect(digestsOfFile(dir)).rejects.toMatchObject({ code: 'EISDIR' });
    expect((await digestsOfFile(big)).sha256).toBe(bigSha);
  });

  it('hashes several files at once on a pool of workers, each answer for its own file', async () => {
    const pool = new HashPool(2);
    try {
      const files = [0, 1, 2, 3].map((i) => {
        const f = path.join(dir, `f${i}.tif`);
        fs.writeFileSync(f, randomBytes(2 * MiB + i, i + 1));
        return f;
      });
      const got = await Promise.all([big, ...files].map((f) => pool.digests(f)));
      expect(got.map((d) => d.sha256)).toEqual([bigSha, ...files.map((f) => sha256(fs.readFileSync(f)))]);
    } finally {
      await pool.close();
    }
  });

  it('stops when its signal aborts, and the worker takes the next file', async () => {
    const pool = new HashPool(1);
    try {
      const controller = new AbortController();
      const pending = pool.digests(big, { signal: controller.signal });
      controller.abort(new Error('job cancelled'));
      await expect(pending).rejects.toThrow('job cancelled');
      expect((await pool.digests(big)).sha256).toBe(bigSha);
      await pool.close();
      await expect(pool.digests(big)).rejects.toThrow(/closed/);
    } finally {
      await pool.close();
    }
  });

  it('leaves the event loop free: timers keep firing, and the loop is far less busy than hashing inline', async () => {
    const pool = new HashPool(1);
    try {
      await pool.digests(path.join(dir, 'f0.tif')); // the worker is started (and its loader warmed) outside the measurement
      const busy = async (work: () => Promise<string>) => {
        let ticks = 0;
        const timer = setInterval(() => ticks++, 1);
        const before = performance.eventLoopUtilization();
        const digest = await work();
        const used = performance.eventLoopUtilization(before);
        clearInterval(timer);
        return { digest, ticks, utilization: used.utilization };
      };
      const inWorker = await busy(async () => (await pool.digests(big)).sha256);
      // The same file hashed the way it was before (streamed, but on this thread), as the reference.
      const inline = await busy(async () => {
        const h = createHash('sha256');
        for await (const chunk of createReadStream(big, { highWaterMark: MiB })) h.update(chunk as Buffer);
        return h.digest('hex');
      });
      console.info(`80 MiB: event-loop utilization ${inWorker.utilization.toFixed(3)} with the worker (${inWorker.ticks} timer ticks), ${inline.utilization.toFixed(3)} hashing inline (${inline.ticks} ticks)`);
      expect(inWorker.digest).toBe(bigSha);
      expect(inline.digest).toBe(bigSha);
      expect(inWorker.ticks).toBeGreaterThanOrEqual(10);
      expect(inWorker.utilization).toBeLessThan(inline.utilization / 2);
    } finally {
      await pool.close();
    }
  });

  it('digests a stream of chunks, copying only each view\'s bytes, with md5 when asked; an empty stream too', async () => {
    const pool = new HashPool(1);
    try {
      const whole = randomBytes(5 * MiB + 17, 21);
      const stream = pool.stream({ md5: true });
      // Views into one larger buffer, of uneven sizes (as S3 parts cut chunks).
      for (let at = 0; at < whole.length; ) {
        const n = Math.min(whole.length - at, 1 + ((at * 7919) % (3 * MiB)));
        await stream.update(whole.subarray(at, at + n));
        at += n;
      }
      expect(await stream.digest()).toEqual({ sha256: sha256(whole), md5: createHash('md5').update(whole).digest('hex'), size: whole.length });
      await expect(stream.digest()).rejects.toThrow(/ended/);
      expect(await pool.stream().digest()).toEqual({ sha256: sha256(''), md5: null, size: 0 });
      const dropped = pool.stream();
      await dropped.update(whole.subarray(0, 10));
      dropped.drop();
      await expect(dropped.update(whole.subarray(0, 10))).rejects.toThrow(/dropped/);
      // An update waiting for the worker to catch up (more than 8 MiB in flight) is released by a drop.
      const behind = pool.stream();
      const waiting = behind.update(new Uint8Array(9 * MiB));
      behind.drop();
      await expect(waiting).rejects.toThrow(/dropped/);
    } finally {
      await pool.close();
    }
  });

  it('gives the MD5 of bytes in shared memory or a plain buffer, and settles a stream once its chunks are hashed', async () => {
    const pool = new HashPool(1);
    try {
      const bytes = randomBytes(3 * MiB + 5, 22);
      const shared = Buffer.from(new SharedArrayBuffer(bytes.length));
      bytes.copy(shared);
      const md5 = createHash('md5').update(bytes).digest('hex');
      expect(await Promise.all([pool.md5Of(shared.subarray(0, MiB)), pool.md5Of(shared), pool.md5Of(bytes)])).toEqual([createHash('md5').update(bytes.subarray(0, MiB)).digest('hex'), md5, md5]);
      const stream = pool.stream();
      await stream.update(shared);
      await stream.settled();
      // Hashed already: bytes changed now are not in the digest.
      shared.fill(0);
      expect((await stream.digest()).sha256).toBe(sha256(bytes));
    } finally {
      await pool.close();
    }
  });

  it('digests chunks in shared memory (as the verified read makes them), and says what that saves the event loop', async () => {
    const pool = new HashPool(1);
    try {
      await pool.stream().digest(); // worker started outside the measurement
      const shared = (chunk: Buffer) => {
        const b = Buffer.from(new SharedArrayBuffer(chunk.length));
        chunk.copy(b);
        return b;
      };
      const chunks: Buffer[] = [];
      for await (const chunk of createReadStream(big, { highWaterMark: MiB })) chunks.push(shared(chunk as Buffer));
      // Busy time of the event loop while the same 80 MiB are hashed through the worker and inline (reported, not asserted).
      const busy = async (work: () => Promise<string>) => {
        const before = performance.eventLoopUtilization();
        const digest = await work();
        return { digest, activeMs: performance.eventLoopUtilization(before).active };
      };
      const streamed = await busy(async () => {
        const h = pool.stream();
        for (const c of chunks) await h.update(c.subarray(0, c.length)); // views, as S3 parts and tus slices cut them
        return (await h.digest()).sha256;
      });
      const inline = await busy(async () => {
        const h = createHash('sha256');
        for (const c of chunks) h.update(c);
        return h.digest('hex');
      });
      console.info(`80 MiB in shared memory: event loop busy ${streamed.activeMs.toFixed(0)} ms handing it to the worker, ${inline.activeMs.toFixed(0)} ms hashing it inline`);
      expect(streamed.digest).toBe(bigSha);
      expect(inline.digest).toBe(bigSha);
    } finally {
      await pool.close();
    }
  });
});

describe('hash pool sizes', () => {
  it('from 2 cores on never give hashing more threads than cores and keep a core for QC; at least one worker each, even on 1 core', () => {
    expect(hashPoolSizes(1)).toEqual({ qc: 1, background: 1 }); // hashing never runs on the event loop, so 2 threads on 1 core
    expect(hashPoolSizes(2)).toEqual({ qc: 1, background: 1 }); // the rig: 2 hashing threads, not 4
    expect(hashPoolSizes(3)).toEqual({ qc: 1, background: 2 });
    expect(hashPoolSizes(4)).toEqual({ qc: 2, background: 2 });
    for (let cores = 2; cores <= 64; cores++) {
      const { qc, background } = hashPoolSizes(cores);
      expect(qc + background).toBeLessThanOrEqual(cores);
      expect(background).toBeLessThan(cores);
      expect(Math.min(qc, background)).toBeGreaterThanOrEqual(1);
      expect(Math.max(qc, background)).toBeLessThanOrEqual(2);
    }
  });
});
