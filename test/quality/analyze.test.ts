/** analyzeFile on real files written by sharp (or byte by byte) into a temp folder. */
import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import sharp, { type Sharp } from 'sharp';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { analyzeFile, NotThatVersion, type Analysis, type AnalyzeOptions } from '../../src/quality/index.js';
import { goodImage, pagedImage } from '../helpers/images.js';
import { blackPng } from '../helpers/png-bomb.js';
import { nextIfdPointerAt, tiffIfdFirst, type TiffEntry } from '../helpers/tiff-bytes.js';

const opts: AnalyzeOptions = { maxInputPixels: 1_000_000_000, decodeTimeoutSec: 20, workingSize: 256 };

let dir: string;
beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'qc-analyze-'));
});
afterAll(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});
afterEach(() => {
  vi.restoreAllMocks();
});

async function write(name: string, bytes: Buffer | Promise<Buffer>): Promise<string> {
  const file = path.join(dir, name);
  await fs.writeFile(file, await bytes);
  return file;
}

async function analyze(name: string, bytes: Buffer | Promise<Buffer>, options: AnalyzeOptions = opts): Promise<Analysis> {
  return analyzeFile(await write(name, bytes), options);
}

/** 16-bit RGB whose top rows are at 65535 and the rest at 65280 (which an 8-bit reading would call 255). */
function sixteenBit(width: number, height: number): Sharp {
  const pixels = new Uint16Array(width * height * 3).fill(65280);
  pixels.fill(65535, 0, width * 3 * (height / 4));
  return sharp(pixels, { raw: { width, height, channels: 3 } }).toColourspace('rgb16');
}

describe('analyzeFile: one read, hash and facts', () => {
  it('hashes the whole file (SHA-256 of its bytes) and describes an 8-bit JPEG', async () => {
    const bytes = await goodImage(1, 640, 480).jpeg({ quality: 90 }).toBuffer();
    const a = await analyze('good.jpg', bytes);
    expect(a.sha256).toBe(createHash('sha256').update(bytes).digest('hex'));
    expect(a.size).toBe(bytes.length);
    expect(a.decodeError).toBeNull();
    expect(a.elapsedMs).toBeGreaterThanOrEqual(0);
    expect(a.facts).toMatchObject({ format: 'jpeg', formatDetail: 'jpeg', width: 640, height: 480, bitDepth: 8, channels: 3, space: 'srgb', hasAlpha: false, pages: 1, tiffCompression: null, iccDescription: null });
    expect(a.measurements).toMatchObject({ workingWidth: 256, workingHeight: 192, clippedBlackPct: [expect.any(Number), expect.any(Number), expect.any(Number)] });
    expect(a.measurements!.phash).toMatch(/^[0-9a-f]{16}$/);
  });

  it('hashes a file larger than one read chunk exactly', async () => {
    const bytes = await goodImage(2, 1600, 1000).png({ compressionLevel: 0 }).toBuffer();
    expect(bytes.length).toBeGreaterThan(4 * 1024 * 1024);
    const a = await analyze('big.png', bytes);
    expect(a.sha256).toBe(createHash('sha256').update(bytes).digest('hex'));
    expect(a.measurements).toMatchObject({ workingWidth: 256, workingHeight: 160 });
  });

  it('keeps 16-bit samples 16-bit, so white clipping is judged at 65535, not at 65280', async () => {
    const a = await analyze('sixteen.tif', sixteenBit(64, 48).tiff({ compression: 'lzw' }).toBuffer(), { ...opts, workingSize: 64 });
    expect(a.facts).toMatchObject({ bitDepth: 16, space: 'rgb16', tiffCompression: 'lzw' });
    expect(a.measurements!.clippedWhitePct).toEqual([25, 25, 25]);
    const eight = await analyze('eight.tif', sixteenBit(64, 48).toColourspace('srgb').tiff({ compression: 'lzw' }).toBuffer(), { ...opts, workingSize: 64 });
    expect(eight.facts).toMatchObject({ bitDepth: 8, space: 'srgb' });
    expect(eight.measurements!.clippedWhitePct).toEqual([100, 100, 100]);
  });

  it('reads the ICC profile description, and its absence', async () => {
    const withIcc = await analyze('icc.jpg', goodImage().withIccProfile('srgb').jpeg().toBuffer());
    expect(withIcc.facts?.iccDescription).toBe('sRGB');
    const kept = await analyze('kept.tif', sharp(await goodImage().withIccProfile('p3').png().toBuffer()).keepIccProfile().tiff({ compression: 'lzw' }).toBuffer());
    expect(kept.facts?.iccDescription).toBe('sP3C');
    const without = await analyze('no-icc.png', goodImage().png().toBuffer());
    expect(without.facts?.iccDescription).toBeNull();
  });

  it('names the TIFF compression from the Compression tag', async () => {
    for (const compression of ['none', 'lzw', 'deflate', 'jpeg', 'packbits'] as const) {
      const a = await analyze(`c-${compression}.tif`, goodImage().tiff({ compression }).toBuffer());
      expect(a.facts?.tiffCompression, compression).toBe(compression);
      expect(a.decodeError).toBeNull();
    }
    const ccitt = await analyze('g4.tif', goodImage().threshold(128).toColourspace('b-w').tiff({ compression: 'ccittfax4', bitdepth: 1 }).toBuffer());
    expect(ccitt.facts).toMatchObject({ tiffCompression: 'ccitt', bitDepth: 1 });
  });

  it('reports ppi only where the file states a resolution', async () => {
    const tiff = await analyze('ppi.tif', goodImage().withMetadata({ density: 400 }).tiff({ compression: 'lzw' }).toBuffer());
    expect(tiff.facts?.ppi).toEqual({ x: 400, y: 400 });
    const cm = await analyze('ppcm.tif', goodImage().tiff({ compression: 'lzw', xres: 40, yres: 20, resolutionUnit: 'cm' }).toBuffer());
    expect(cm.facts?.ppi).toEqual({ x: 1016, y: 508 });

    const jpeg300 = await analyze('300.jpg', goodImage().withMetadata({ density: 300 }).jpeg().toBuffer());
    expect(jpeg300.facts?.ppi).toEqual({ x: 300, y: 300 });
    const png300 = await analyze('300.png', goodImage().withMetadata({ density: 300 }).png().toBuffer());
    expect(png300.facts?.ppi).toEqual({ x: 300, y: 300 });

    // Measured: for a JPEG with neither JFIF density nor EXIF, and a PNG without pHYs, sharp
    // reports density 72 (libvips' default) — indistinguishable from a file that states 72.
    const bareJpeg = await goodImage().jpeg().toBuffer();
    expect(bareJpeg.subarray(2, 4)).not.toEqual(Buffer.from([0xff, 0xe0]));
    expect((await sharp(bareJpeg).metadata()).density).toBe(72);
    expect((await analyze('bare.jpg', bareJpeg)).facts?.ppi).toBeNull();
    const barePng = withoutChunk(await goodImage().png().toBuffer(), 'pHYs');
    expect((await sharp(barePng).metadata()).density).toBe(72);
    expect((await analyze('bare.png', barePng)).facts?.ppi).toBeNull();
  });

  it('counts pages and measures page 0 only', async () => {
    const a = await analyze('pages.tif', (await pagedImage([40, 120, 200], 32, 24)).tiff({ compression: 'lzw' }).toBuffer());
    expect(a.facts).toMatchObject({ pages: 3, width: 32, height: 24 });
    expect(a.measurements).toMatchObject({ workingWidth: 32, workingHeight: 24, lumaStdDev: 0 });
  });

  it('reads EXIF basics and orientation from a JPEG and from a TIFF (whose EXIF is in its own tags)', async () => {
    const exif = { IFD0: { Make: 'Hasselblad', Model: 'H6D-400c' }, IFD2: { ExposureTime: '1/125', FNumber: '8', ISOSpeedRatings: '100', DateTimeOriginal: '2024:05:06 07:08:09', OffsetTimeOriginal: '+02:00' } };
    const jpeg = await analyze('exif.jpg', goodImage().withExif(exif).withMetadata({ orientation: 6 }).jpeg().toBuffer());
    expect(jpeg.facts?.exif).toEqual({ make: 'Hasselblad', model: 'H6D-400c', serial: null, lens: null, iso: 100, exposureTime: 0.008, fNumber: 8, captureTime: '2024-05-06T07:08:09+02:00', orientation: 6 });
    // libvips writes no EXIF into TIFFs, so this one is built by hand; the Exif IFD behind IFD0 is
    // followed in the RAW corpus test (NEF, CR2, DNG exposure values).
    const ifd0: TiffEntry[] = [
      { tag: 271, type: 2, values: 'Phase One' },
      { tag: 272, type: 2, values: 'IQ4 150MP' },
      { tag: 274, type: 3, values: [8] },
      { tag: 306, type: 2, values: '2024:05:06 07:08:09' },
    ];
    const tiff = await analyze('exif.tif', tiffIfdFirst({ width: 8, height: 8, samples: 1, pixels: Buffer.alloc(64, 90), extra: ifd0 }));
    expect(tiff.facts?.exif).toMatchObject({ make: 'Phase One', model: 'IQ4 150MP', orientation: 8, captureTime: '2024-05-06T07:08:09' });
  });

  it('says an empty file is empty, not an unsupported kind of file', async () => {
    const a = await analyze('empty.jpg', Buffer.alloc(0));
    expect(a.decodeError?.message).toMatch(/^The file is empty \(0 bytes\)/);
    expect(a.decodeError?.message).not.toMatch(/cannot decode this kind of file/);
  });

  it('does not analyse a file that is no longer the version the caller means', async () => {
    const file = await write('moved-on.jpg', goodImage(2, 64, 48).jpeg().toBuffer());
    const st = await fs.stat(file, { bigint: true });
    const version = { size: Number(st.size), mtimeUs: Number(st.mtimeNs / 1000n) };
    await expect(analyzeFile(file, opts, version)).resolves.toMatchObject({ decodeError: null });
    await fs.appendFile(file, Buffer.alloc(10));
    await expect(analyzeFile(file, opts, version)).rejects.toBeInstanceOf(NotThatVersion);
  });

  it('throws only when the file cannot be read at all', async () => {
    await expect(analyzeFile(path.join(dir, 'does-not-exist.tif'), opts)).rejects.toThrow(/ENOENT/);
    await expect(analyzeFile(dir, opts)).rejects.toThrow(/not a regular file/);
  });
});

describe('analyzeFile: RAW containers', () => {
  it('identifies a TIFF-based RAW by its extension and reads make and model without decoding', async () => {
    const nef = tiffIfdFirst({ width: 4, height: 4, samples: 1, pixels: Buffer.alloc(16), extra: [{ tag: 271, type: 2, values: 'NIKON CORPORATION' }, { tag: 272, type: 2, values: 'NIKON Z 7' }] });
    const a = await analyze('DSC_0001.NEF', nef);
    expect(a.decodeError).toBeNull();
    expect(a.measurements).toBeNull();
    expect(a.facts).toMatchObject({ format: 'raw', formatDetail: 'nef', width: null, exif: { make: 'NIKON CORPORATION', model: 'NIKON Z 7' } });
    // The same bytes named .tif are a TIFF.
    expect((await analyze('DSC_0001.tif', nef)).facts?.format).toBe('tiff');
  });

  it('identifies non-TIFF RAWs by magic bytes whatever the extension', async () => {
    const raf = Buffer.alloc(200);
    raf.write('FUJIFILMCCD-RAW 0201FF383501', 0, 'latin1');
    const a = await analyze('frame.bin', raf);
    expect(a.facts).toMatchObject({ format: 'raw', formatDetail: 'raf', exif: { make: null, model: null } });
    // Identified by its magic, but a header of zeros points to no raw data (raw-vendor-structure.ts).
    expect(a.decodeError).toEqual({ kind: 'corrupt', message: 'The file is damaged: its header points to no raw data. Re-shoot or re-export the file.' });
  });
});

describe('analyzeFile: decode failures are results, never exceptions', () => {
  it('calls half a JPEG, half a PNG and half a libtiff TIFF truncated', async () => {
    const image = goodImage(3, 800, 600);
    for (const [name, bytes] of [
      ['half.jpg', await image.clone().jpeg().toBuffer()],
      ['half.png', await image.clone().png().toBuffer()],
      ['half.tif', await image.clone().tiff({ compression: 'lzw' }).toBuffer()],
    ] as const) {
      const a = await analyze(name, bytes.subarray(0, bytes.length >> 1));
      expect(a.decodeError?.kind, name).toBe('truncated');
      expect(a.decodeError?.message).toMatch(/ends before all of its image data.*re-shoot or re-export/);
      expect(a.measurements).toBeNull();
    }
  });

  it("fails a TIFF whose IFD comes first and whose strips are cut off (which failOn 'truncated' would pass)", async () => {
    const { data, info } = await goodImage(4, 400, 300).raw().toBuffer({ resolveWithObject: true });
    const whole = tiffIfdFirst({ width: info.width, height: info.height, samples: 3, pixels: data, rowsPerStrip: 8 });
    expect((await analyze('first-whole.tif', whole)).decodeError).toBeNull();
    const a = await analyze('first-half.tif', whole.subarray(0, whole.length >> 1));
    expect(a.facts).toMatchObject({ format: 'tiff', width: 400, height: 300 });
    expect(a.decodeError).toEqual({ kind: 'truncated', message: expect.stringMatching(/Read error at scanline/) });
  });

  it('fails a TIFF whose IFD chain loops, though libvips would decode its first page', async () => {
    const file = tiffIfdFirst({ width: 4, height: 4, samples: 1, pixels: Buffer.alloc(16, 100) });
    file.writeUInt32LE(8, nextIfdPointerAt(file));
    const a = await analyze('loop.tif', file);
    expect(a.decodeError).toEqual({ kind: 'corrupt', message: expect.stringMatching(/loops back on itself/) });
  });

  it('calls garbage unsupported and a damaged TIFF corrupt', async () => {
    expect((await analyze('notes.tif', Buffer.from('these are not pixels\n'))).decodeError?.kind).toBe('unsupported');
    expect((await analyze('empty.jpg', Buffer.alloc(0))).decodeError?.kind).toMatch(/unsupported|truncated|corrupt/);
    const tiff = Buffer.from(await goodImage().tiff({ compression: 'lzw' }).toBuffer());
    tiff.fill(0xff, tiff.readUInt32LE(4), tiff.readUInt32LE(4) + 40);
    expect((await analyze('scrambled.tif', tiff)).decodeError).toEqual({ kind: 'corrupt', message: expect.stringMatching(/starts like a TIFF file.*re-shoot or re-export/) });
  });

  it('refuses images over the pixel limit, naming the limit and the config field', async () => {
    const a = await analyze('large.png', goodImage(0, 200, 100).png().toBuffer(), { ...opts, maxInputPixels: 10_000 });
    expect(a.facts).toMatchObject({ width: 200, height: 100 });
    expect(a.decodeError).toEqual({ kind: 'too-large', message: expect.stringMatching(/200 × 100 pixels.*qc\.maxInputPixels = 10000/) });
  });

  it('stops a decode that outlasts qc.decodeTimeoutSec', async () => {
    const a = await analyze('slow.png', blackPng(50_000, 50_000), { maxInputPixels: 0, decodeTimeoutSec: 1, workingSize: 256 });
    expect(a.facts).toMatchObject({ width: 50_000, height: 50_000 });
    expect(a.decodeError).toEqual({ kind: 'timeout', message: expect.stringMatching(/longer than 1 s.*qc\.decodeTimeoutSec/) });
  });

  it('reports a file that changed while it was being checked as truncated, for the pipeline to retry', async () => {
    const file = await write('growing.jpg', goodImage().jpeg().toBuffer());
    const realStat = fs.stat;
    let calls = 0;
    vi.spyOn(fs, 'stat').mockImplementation((async (...args: Parameters<typeof fs.stat>) => {
      // The writer appends between the first look at the file and the last.
      if (++calls === 2) await fs.appendFile(file, Buffer.alloc(100));
      return realStat(...args);
    }) as typeof fs.stat);
    const a = await analyzeFile(file, opts);
    expect(calls).toBe(2);
    expect(a.decodeError).toEqual({ kind: 'truncated', message: expect.stringMatching(/changed while it was being checked/) });
    expect(a.measurements).toBeNull();
  });
});

function withoutChunk(png: Buffer, type: string): Buffer {
  const parts = [png.subarray(0, 8)];
  for (let at = 8; at < png.length; ) {
    const length = png.readUInt32BE(at);
    if (png.toString('latin1', at + 4, at + 8) !== type) parts.push(png.subarray(at, at + 12 + length));
    at += 12 + length;
  }
  return Buffer.concat(parts);
}
