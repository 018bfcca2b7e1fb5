import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { freeName, moveVerified, nodeMoveFs, type CheckedVersion, type MoveFs } from '../../src/filing/move.js';

let dir: string;
let from: string;
let to: string;
let version: CheckedVersion;
const bytes = Buffer.from(Array.from({ length: 200_000 }, (_, i) => (i * 31) % 251));
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cs-move-'));
  fs.mkdirSync(path.join(dir, 'Inbox'));
  from = path.join(dir, 'Inbox', 'IMG_0001.tif');
  to = path.join(dir, 'Library', 'P', 'B123', 'B123_001.tif');
  fs.writeFileSync(from, bytes);
  const st = fs.statSync(from);
  version = { sha256: sha(bytes), size: st.size, mtimeMs: st.mtimeMs };
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

const code = (c: string) => Object.assign(new Error(c), { code: c });
/** A destination on "another device": linking the source across fails as it would there. */
const otherDevice: MoveFs = { ...nodeMoveFs, link: (a, b) => (a === from ? Promise.reject(code('EXDEV')) : nodeMoveFs.link(a, b)) };
/** A destination file system without hard links (FAT, some SMB shares). */
const noLinks: MoveFs = { ...nodeMoveFs, link: () => Promise.reject(code('EPERM')) };

function leftovers(): string[] {
  return fs.readdirSync(path.dirname(to)).filter((f) => f.startsWith('.'));
}

describe('moveVerified', () => {
  it('never files a symbolic link: the link and its target stay where they are', async () => {
    const target = path.join(dir, 'elsewhere.tif');
    fs.renameSync(from, target);
    fs.symlinkSync(target, from);
    await expect(moveVerified(from, to, version)).rejects.toThrow(/is a symbolic link: the station files only real files/);
    expect(fs.lstatSync(from).isSymbolicLink()).toBe(true);
    expect(sha(fs.readFileSync(target))).toBe(version.sha256);
    expect(fs.existsSync(to)).toBe(false);
  });

  it.each([
    ['the same device', nodeMoveFs, 'linked'],
    ['another device', otherDevice, 'copied'],
    ['a file system without hard links', noLinks, 'copied'],
  ] as const)('moves to %s, verified, leaving nothing behind', async (_name, mfs, outcome) => {
    expect(await moveVerified(from, to, version, mfs)).toBe(outcome);
    expect(fs.existsSync(from)).toBe(false);
    expect(sha(fs.readFileSync(to))).toBe(version.sha256);
    expect(leftovers()).toEqual([]);
  });

  it.each([
    ['the same device', nodeMoveFs],
    ['another device', otherDevice],
    ['a file system without hard links', noLinks],
  ] as const)('keeps the mtime QC checked on %s, so the filed file can be moved again (an edit renaming it)', async (_name, mfs) => {
    // An mtime well in the past, as a camera's file has by the time it is filed.
    fs.utimesSync(from, 1_700_000_000, 1_700_000_000.123456);
    const st = fs.statSync(from);
    const checked = { ...version, mtimeMs: st.mtimeMs };
    await moveVerified(from, to, checked, mfs);
    expect(Math.abs(fs.statSync(to).mtimeMs - checked.mtimeMs)).toBeLessThanOrEqual(1);
    const renamed = path.join(dir, 'Library', 'P', 'B124', 'B124_001.tif');
    await moveVerified(to, renamed, checked, mfs);
    expect(sha(fs.readFileSync(renamed))).toBe(version.sha256);
    expect(fs.existsSync(to)).toBe(false);
  });

  it('never replaces a different file at the destination, and keeps the source', async () => {
    fs.mkdirSync(path.dirname(to), { recursive: true });
    fs.writeFileSync(to, 'another capture');
    await expect(moveVerified(from, to, version)).rejects.toThrow(/already exists with other content; the capture stays at/);
    expect(fs.readFileSync(to, 'utf8')).toBe('another capture');
    expect(fs.readFileSync(from)).toEqual(bytes);
    expect(await freeName(to)).toBe(to.replace('.tif', '_2.tif'));
  });

  it('makes no folders for a source that is missing (a library share that is not mounted)', async () => {
    fs.rmSync(from);
    await expect(moveVerified(from, to, version)).rejects.toThrow(/is gone and .* does not exist/);
    expect(fs.existsSync(path.join(dir, 'Library'))).toBe(false);
  });

  it('refuses a source that changed after QC', async () => {
    fs.appendFileSync(from, 'more');
    await expect(moveVerified(from, to, version)).rejects.toThrow(/changed after it was checked/);
    expect(fs.existsSync(to)).toBe(false);
  });

  describe('on a file system that rounds mtimes (FAT: 2 s, exFAT: 10 ms)', () => {
    // What QC saw: an mtime with milliseconds. What a FAT/exFAT library kept of it: the mtime rounded.
    const checkedSec = 1_700_000_001.234;
    const checked = () => ({ ...version, mtimeMs: checkedSec * 1000 });
    const rounded = (stepSec: number, up: boolean) => (up ? Math.ceil : Math.floor)(checkedSec / stepSec) * stepSec;

    it.each([
      ['FAT, rounded down', 2, false],
      ['FAT, rounded up', 2, true],
      ['exFAT', 0.01, false],
    ] as const)('moves the filed file again (an edit renaming it) when its mtime was rounded (%s)', async (_name, step, up) => {
      fs.utimesSync(from, checkedSec, rounded(step, up));
      expect(Math.abs(fs.statSync(from).mtimeMs - checkedSec * 1000)).toBeGreaterThan(1);
      expect(await moveVerified(from, to, checked())).toBe('linked');
      expect(sha(fs.readFileSync(to))).toBe(version.sha256);
    });

    it('still refuses a file whose bytes changed, though its size and rounded mtime look right', async () => {
      const other = Buffer.from(bytes);
      other[1234] = other[1234]! ^ 0xff;
      fs.writeFileSync(from, other);
      fs.utimesSync(from, checkedSec, rounded(2, false));
      await expect(moveVerified(from, to, checked())).rejects.toThrow(/changed after it was checked/);
      expect(fs.existsSync(to)).toBe(false);
    });

    it('refuses a different size, and an mtime further off than any rounding even with the same bytes', async () => {
      fs.utimesSync(from, checkedSec, checkedSec - 3);
      await expect(moveVerified(from, to, checked())).rejects.toThrow(/changed after it was checked/);
      fs.appendFileSync(from, 'x');
      fs.utimesSync(from, checkedSec, checkedSec);
      await expect(moveVerified(from, to, checked())).rejects.toThrow(/changed after it was checked/);
      expect(fs.existsSync(to)).toBe(false);
    });
  });

  it('catches a copy that does not match (a bad disk or share) and keeps the original', async () => {
    const flips: MoveFs = {
      ...otherDevice,
      copyFile: async (a, b, mode) => {
        await nodeMoveFs.copyFile(a, b, mode);
        const fd = fs.openSync(b, 'r+');
        fs.writeSync(fd, Buffer.from([0xff]), 0, 1, 1234);
        fs.closeSync(fd);
      },
    };
    await expect(moveVerified(from, to, version, flips)).rejects.toThrow(/did not match the original .* the original is kept/);
    expect(fs.readFileSync(from)).toEqual(bytes);
    expect(fs.existsSync(to)).toBe(false);
    expect(leftovers()).toEqual([]);
  });

  it('does not delete a new file that arrived under the source name after an interrupted move', async () => {
    await moveVerified(from, to, version);
    fs.writeFileSync(from, 're-shoot with the same name');
    expect(await moveVerified(from, to, version)).toBe('already-done');
    expect(fs.readFileSync(from, 'utf8')).toBe('re-shoot with the same name');
  });

  /** Power cut after the n-th file-system call: then the same move again, as recovery on start does. */
  describe.each([
    ['same device', nodeMoveFs],
    ['another device', otherDevice],
    ['no hard links', noLinks],
  ] as const)('a crash at any step (%s) loses nothing and is finished by running the move again', (_name, mfs) => {
    for (let n = 1; n <= 14; n++) {
      it(`crash after call ${n}`, async () => {
        let calls = 0;
        const crashing = Object.fromEntries(
          Object.entries(mfs).map(([k, f]) => [
            k,
            async (...args: unknown[]) => {
              if (++calls > n) {
                // A copy cut by the power leaves a torn file behind.
                if (k === 'copyFile') fs.writeFileSync(args[1] as string, fs.readFileSync(args[0] as string).subarray(0, 1000));
                throw new Error('power cut');
              }
              return (f as (...a: unknown[]) => Promise<void>)(...args);
            },
          ]),
        ) as unknown as MoveFs;
        await moveVerified(from, to, version, crashing).catch((err: Error) => expect(err.message).toBe('power cut'));
        // The invariant at the moment of the cut: the full bytes under one of the two names.
        const atSource = fs.existsSync(from) && sha(fs.readFileSync(from)) === version.sha256;
        const atDest = fs.existsSync(to) && sha(fs.readFileSync(to)) === version.sha256;
        expect(atSource || atDest).toBe(true);

        await moveVerified(from, to, version, mfs);
        expect(fs.existsSync(from)).toBe(false);
        expect(sha(fs.readFileSync(to))).toBe(version.sha256);
        expect(leftovers()).toEqual([]);
      });
    }
  });
});
