/**
 * RAWs are identified, not decoded, so their structure is what catches a half-copied master: the
 * corpus RAWs cut short, a DNG header over garbage, and a JPEG renamed .nef all fail, while every
 * whole corpus RAW still passes (corpus.test.ts checks their metadata).
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { analyzeFile, type AnalyzeOptions } from '../../src/quality/index.js';
import { goodJpegBuffer } from '../helpers/images.js';
import { corpus } from '../helpers/station-home.js';

const opts: AnalyzeOptions = { maxInputPixels: 1_000_000_000, decodeTimeoutSec: 20, workingSize: 256 };
const raws = path.join(corpus, 'raw', 'exiftool');
/** The corpus RAWs that are TIFF inside. */
const tiffBased = ['CanonRaw.cr2', 'Nikon.nef', 'DNG.dng', 'Panasonic.rw2', 'PhaseOne.iiq'];

let dir: string;
beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'qc-raw-'));
});
afterAll(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

async function analyze(name: string, bytes: Buffer) {
  const file = path.join(dir, name);
  await fs.writeFile(file, bytes);
  return analyzeFile(file, opts);
}

/** Deterministic bytes that look random (a test that cannot change between runs). */
function garbage(length: number): Buffer {
  const blocks: Buffer[] = [];
  for (let i = 0; blocks.length * 32 < length; i++) blocks.push(createHash('sha256').update(`garbage ${i}`).digest());
  return Buffer.concat(blocks).subarray(0, length);
}

describe('TIFF-based RAW structure', () => {
  it('passes every whole corpus RAW', async () => {
    for (const name of tiffBased) {
      const a = await analyze(name, await fs.readFile(path.join(raws, name)));
      expect(a.decodeError, name).toBeNull();
      expect(a.facts?.format, name).toBe('raw');
    }
  });

  it('fails each corpus RAW cut to a third and to two thirds, saying where its data ends', async () => {
    for (const name of tiffBased) {
      const whole = await fs.readFile(path.join(raws, name));
      for (const length of [Math.floor(whole.length / 3), Math.floor((2 * whole.length) / 3)]) {
        const a = await analyze(name, whole.subarray(0, length));
        expect(a.facts?.format, `${name} at ${length}`).toBe('raw');
        expect(a.decodeError?.kind, `${name} at ${length}`).toBe('truncated');
        expect(a.decodeError?.message, `${name} at ${length}`).toMatch(new RegExp(`^The file ends before all of its image data \\(the file is ${length} bytes long, but (its image data reaches|its raw data starts at|one of its image directories \\(IFDs\\) starts at) byte \\d+\\)`));
      }
    }
  });

  it('the reviewer\'s files: trunc.nef, trunc2.cr2 and header-only.dng fail', async () => {
    const nef = await fs.readFile(path.join(raws, 'Nikon.nef'));
    expect((await analyze('trunc.nef', nef.subarray(0, Math.floor(nef.length / 3)))).decodeError?.kind).toBe('truncated');
    const cr2 = await fs.readFile(path.join(raws, 'CanonRaw.cr2'));
    expect((await analyze('trunc2.cr2', cr2.subarray(0, 2000))).decodeError?.kind).toBe('truncated');
    const dng = await fs.readFile(path.join(raws, 'DNG.dng'));
    const headerOnly = await analyze('header-only.dng', Buffer.concat([dng.subarray(0, 16), garbage(20_000)]));
    expect(headerOnly.facts?.formatDetail).toBe('dng');
    expect(headerOnly.decodeError).not.toBeNull();
  });

  it('fails a RAW whose directories point to no image data at all', async () => {
    // A little-endian TIFF header and one IFD holding only an ImageWidth entry.
    const ifd = Buffer.alloc(2 + 12 + 4);
    ifd.writeUInt16LE(1, 0);
    ifd.writeUInt16LE(256, 2);
    ifd.writeUInt16LE(3, 4);
    ifd.writeUInt32LE(1, 6);
    ifd.writeUInt16LE(100, 10);
    const a = await analyze('empty.nef', Buffer.concat([Buffer.from('II*\0\x08\0\0\0', 'latin1'), ifd]));
    expect(a.decodeError).toEqual({ kind: 'corrupt', message: 'The file is damaged: none of its image directories (IFDs) points to image data. Re-shoot or re-export the file.' });
  });
});

describe('content and extension', () => {
  it('fails a JPEG named as a RAW, naming both, and still decodes the same JPEG named .jpg', async () => {
    const jpeg = await goodJpegBuffer(3);
    for (const ext of ['nef', 'CR2', 'dng', 'raf', 'cr3']) {
      const a = await analyze(`renamed.${ext}`, jpeg);
      expect(a.decodeError, ext).toEqual({ kind: 'corrupt', message: expect.stringMatching(new RegExp(`^The file is named \\.${ext.toLowerCase()}, a camera RAW, but holds JPEG data: it was renamed or exported with the wrong extension`)) });
    }
    expect((await analyze('renamed.jpg', jpeg)).decodeError).toBeNull();
  });
});

describe('RAW containers that are not TIFF inside', () => {
  /** The corpus RAWs with a structure of their own; the MRW is checked whole below (its raw data was stripped). */
  const vendor = ['CanonRaw.cr3', 'FujiFilm.raf', 'Sigma.x3f', 'SigmaDP2.x3f', 'CanonRaw.crw'];

  it('passes every whole corpus file', async () => {
    for (const name of vendor) expect((await analyze(name, await fs.readFile(path.join(raws, name)))).decodeError, name).toBeNull();
  });

  it('fails each cut to a third, to two thirds and by its last byte, saying where it ends', async () => {
    for (const name of vendor) {
      const whole = await fs.readFile(path.join(raws, name));
      // A RAF's last bytes lie after its CFA data, in no block its header names: cutting them loses nothing.
      const lengths = [Math.floor(whole.length / 3), Math.floor((2 * whole.length) / 3), ...(name.endsWith('.raf') ? [] : [whole.length - 1])];
      for (const length of lengths) {
        const a = await analyze(name, whole.subarray(0, length));
        expect(a.facts?.format, `${name} at ${length}`).toBe('raw');
        expect(a.decodeError?.kind, `${name} at ${length}`).toBe('truncated');
        expect(a.decodeError?.message, `${name} at ${length}`).toMatch(new RegExp(`^The file ends before all of its image data \\(the file is ${length} bytes long`));
      }
    }
  });

  it('passes an MRW holding all the raw data its PRD block promises, and fails it one byte short', async () => {
    const stripped = await fs.readFile(path.join(raws, 'Minolta.mrw'));
    // 8 + header length (2572), then 2456 rows of 3272 packed 12-bit samples.
    const dataStart = 2580;
    const whole = Buffer.concat([stripped.subarray(0, dataStart), Buffer.alloc(2456 * 4908)]);
    expect((await analyze('whole.mrw', whole)).decodeError).toBeNull();
    expect((await analyze('short.mrw', whole.subarray(0, whole.length - 1))).decodeError?.message).toContain(`(the file is ${whole.length - 1} bytes long, but its raw data reaches byte ${whole.length})`);
  });

  it('calls a CR3 box of impossible size and an X3F over garbage what they are', async () => {
    const cr3 = Buffer.from(await fs.readFile(path.join(raws, 'CanonRaw.cr3')));
    cr3.writeUInt32BE(4, 24);
    expect((await analyze('bad-box.cr3', cr3)).decodeError).toEqual({ kind: 'corrupt', message: 'The file is damaged: its moov box at byte 24 gives an impossible size (4). Re-shoot or re-export the file.' });
    const x3f = await fs.readFile(path.join(raws, 'Sigma.x3f'));
    expect((await analyze('garbage.x3f', Buffer.concat([x3f.subarray(0, 64), garbage(20_000)]))).decodeError?.kind).toBe('truncated');
  });
});
