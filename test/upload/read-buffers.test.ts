/** A verified read into reused buffers (read-buffers.ts): chunks end to end in each buffer, buffers filled again, every byte still checked against QC's sha256. */
import crypto from 'node:crypto';
import fs from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { CaptureRecord } from '../../src/store/captures.js';
import { ReadBuffers } from '../../src/upload/read-buffers.js';
import { localFileOf, type LocalFile } from '../../src/upload/source-read.js';
import { makeFixture, type Fixture } from './fixture.js';

const MiB = 1024 * 1024;
let fx: Fixture;
beforeEach(() => (fx = makeFixture()));
afterEach(() => fx.close());

function fileOf(c: CaptureRecord): LocalFile {
  return localFileOf({ captureId: c.id, sourceId: c.sourceId, relPath: c.relPath, version: c.version, path: c.path, size: c.size, mtimeUs: c.mtimeUs, sha256: c.sha256 }, async () => undefined, new AbortController().signal);
}

describe('a verified read into reused buffers', () => {
  it('fills each buffer end to end, fills delivered buffers again, and yields the file unchanged', async () => {
    const bytes = crypto.randomBytes(24 * MiB + 12345);
    const buffers = new ReadBuffers(3 * MiB);
    const got: Buffer[] = [];
    const memories = new Set<ArrayBufferLike>();
    let offset = 0;
    for await (const chunk of fileOf(fx.addCapture('a.raw', bytes)).read({ into: buffers.into }).chunks) {
      // The chunk is the bytes at `offset` of the buffer that holds them, in place.
      const start = offset - (offset % (3 * MiB));
      expect(chunk.buffer).toBe(buffers.at(start, offset - start + chunk.length).buffer);
      expect(chunk.byteOffset).toBe(offset - start);
      memories.add(chunk.buffer);
      got.push(Buffer.from(chunk));
      offset += chunk.length;
      // Delivered at once: the next buffer the read needs is one it filled before, while its hashing may lag behind.
      buffers.deliveredBefore(offset - (offset % (3 * MiB)));
    }
    expect(Buffer.concat(got).equals(bytes)).toBe(true);
    expect(memories.size).toBeLessThan(4);
  });

  it('still refuses a file whose bytes changed after QC, with buffers filled again', async () => {
    const c = fx.addCapture('b.raw', crypto.randomBytes(20 * MiB), { mtimeSec: 1_700_000_000 });
    const changed = Buffer.from(fs.readFileSync(c.path));
    changed[changed.length - 1]! ^= 1;
    fs.writeFileSync(c.path, changed);
    fs.utimesSync(c.path, 1_700_000_000, 1_700_000_000);
    const buffers = new ReadBuffers(2 * MiB);
    let offset = 0;
    const read = async () => {
      for await (const chunk of fileOf(c).read({ into: buffers.into }).chunks) {
        offset += chunk.length;
        buffers.deliveredBefore(offset - (offset % (2 * MiB)));
      }
    };
    await expect(read()).rejects.toThrow(/not the 20971520 bytes with sha256 .* that QC checked/);
    // The last chunk, whose bytes changed, is never yielded.
    expect(offset).toBe(19 * MiB);
  });
});
