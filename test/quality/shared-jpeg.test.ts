/**
 * The capture's one shared JPEG decode (src/quality/shared-jpeg.ts): QC's measurements and verdict
 * facts and the barcode search's result must be what they are without it, on files made here and on
 * a real herbarium sheet; files outside its scope are decoded as before.
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import sharp, { type Sharp } from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeImageBarcodes, drawBarcode, ZxingPool } from '../../src/barcode/image/index.js';
import { barcodeRulesSchema } from '../../src/barcode/rules.js';
import { analyzeFile, hammingDistance, type AnalyzeOptions } from '../../src/quality/index.js';
import { halved } from '../../src/quality/halve.js';
import { jpegShrinkOnLoad, SharedJpegDecode } from '../../src/quality/shared-jpeg.js';
import type { Measurements } from '../../src/quality/types.js';
import { goodImage, seededImage } from '../helpers/images.js';
import { corpus } from '../helpers/station-home.js';

const opts: AnalyzeOptions = { maxInputPixels: 1_000_000_000, decodeTimeoutSec: 20, workingSize: 100 };
const sheet = path.join(corpus, 'museum/dissco/meise/BR0000019933597.jpg');

let dir: string;
const pool = new ZxingPool();
beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'qc-shared-jpeg-'));
});
afterAll(async () => {
  await pool.close();
  await fs.rm(dir, { recursive: true, force: true });
});

async function jpeg(name: string, width: number, height: number, seed = 1, image: (seed: number, width: number, height: number) => Sharp = goodImage): Promise<string> {
  const file = path.join(dir, name);
  await image(seed, width, height).jpeg({ quality: 90 }).toFile(file);
  return file;
}

/** QC on `file` alone, and with a shared decode started first at `scale`, as the barcode search starts it. */
async function bothWays(file: string, scale: number | null, options = opts) {
  const alone = await analyzeFile(file, options);
  const shared = new SharedJpegDecode(file, options);
  const meta = await sharp(file).metadata();
  const started = scale === null ? null : shared.start(meta, scale);
  const withShared = await analyzeFile(file, options, undefined, shared);
  return { alone, withShared, started };
}

/** QC's scale for a `long` px JPEG and a `size` px working copy. */
const qcScale = (long: number, size = opts.workingSize) => jpegShrinkOnLoad(long / size);

/**
 * Measurements made from the decode halved in 2 × 2 means against those from libjpeg's own decode at
 * that scale: the same working copy up to rounding steps of a level or two. The perceptual hash
 * compares each low-frequency coefficient with their median, so it is compared on frames with
 * structure (a real sheet, seededImage): on pure noise many coefficients sit near the median, a
 * level's rounding flips up to 14 of 64 bits, and libvips' noise differs on every run.
 */
function expectAlmostEqual(got: Measurements | null, want: Measurements | null, within: { focus: number; hashBits: number }): void {
  expect(got).not.toBeNull();
  expect(want).not.toBeNull();
  const [g, w] = [got!, want!];
  expect([g.workingWidth, g.workingHeight]).toEqual([w.workingWidth, w.workingHeight]);
  expect(Math.abs(g.focus / w.focus - 1)).toBeLessThan(within.focus);
  expect(Math.abs(g.lumaStdDev - w.lumaStdDev)).toBeLessThan(0.1);
  for (const k of ['clippedBlackPct', 'clippedWhitePct'] as const) g[k].forEach((v, i) => expect(Math.abs(v - w[k][i]!)).toBeLessThan(0.05));
  expect(hammingDistance(g.phash, w.phash)).toBeLessThanOrEqual(within.hashBits);
}

describe('jpegShrinkOnLoad', () => {
  it("follows sharp's rule: the largest of 8, 4, 2 not above the reduction, halved when the reduction's integer part is that factor", () => {
    expect([1.9, 2, 2.5, 3.99, 4, 4.5, 5, 7.99, 8, 8.78, 9, 9.8, 17].map(jpegShrinkOnLoad)).toEqual([1, 1, 1, 2, 2, 2, 4, 4, 4, 4, 8, 8, 8]);
  });
});

describe('QC with the shared decode', () => {
  // Long edges for a 100 px working copy: reductions 2.5, 3.5, 4.0, 4.5, 5, 8.0, 8.78, 9.8, 17.
  for (const long of [250, 350, 400, 450, 500, 800, 878, 980, 1700]) {
    const qc = qcScale(long);
    it(`measures a ${long} px JPEG exactly as without it, from one decode at sharp's own scale (reduction ${long / 100})`, async () => {
      const { alone, withShared, started } = await bothWays(await jpeg(`w${long}.jpg`, long, Math.round(long * 0.7), long), qc);
      expect(alone.decodeError).toBeNull();
      expect(withShared.measurements).toEqual(alone.measurements);
      expect(withShared.facts).toEqual(alone.facts);
      expect(withShared.sha256).toBe(alone.sha256);
      expect(started === null).toBe(qc === 1);
    });
  }

  // QC at ⅛, the search at ¼: QC halves the ¼ decode. Over 90 seeded frames of these sizes the
  // worst was 0.31 % in focus and 2 bits of hash.
  for (const [long, short] of [[980, 686], [1700, 1191], [1703, 1197]] as const) {
    it(`measures a ${long} × ${short} JPEG from a decode at half QC's scale within rounding of its own (reduction ${long / 100})`, async () => {
      expect(qcScale(long)).toBe(8);
      const { alone, withShared, started } = await bothWays(await jpeg(`h${long}.jpg`, long, short, long + 1, seededImage), 4);
      expect(started).not.toBeNull();
      expect(alone.decodeError).toBeNull();
      expectAlmostEqual(withShared.measurements, alone.measurements, { focus: 0.01, hashBits: 4 });
      expect(withShared.facts).toEqual(alone.facts);
    });
  }

  it('starts no decode at a scale that spares QC nothing, nor at a second scale', async () => {
    const file = await jpeg('scales.jpg', 980, 686);
    const meta = await sharp(file).metadata();
    const shared = new SharedJpegDecode(file, opts);
    expect(shared.start(meta, 2)).toBeNull();
    expect(shared.start(meta, 4)).not.toBeNull();
    expect(shared.start(meta, 8)).toBeNull();
    // QC at ¼ (reduction 5–8) is never served from a ⅛ decode.
    const quarter = await jpeg('quarter.jpg', 600, 420);
    expect(new SharedJpegDecode(quarter, opts).start(await sharp(quarter).metadata(), 8)).toBeNull();
  });

  it('halves in 2 × 2 means rounded half up, leaving out an odd last row and column', () => {
    const px = (v: number[]) => Buffer.from(v.flatMap((x) => [x, x + 1, x + 2]));
    const got = halved({ data: new Uint8Array(px([0, 1, 10, 20, 30, 2, 2, 20, 21, 30, 100, 103, 255, 0, 0])), width: 5, height: 3 });
    expect([got.width, got.height]).toEqual([2, 1]);
    const means = [(0 + 1 + 2 + 2 + 2) >> 2, (10 + 20 + 20 + 21 + 2) >> 2];
    expect([...got.data]).toEqual(means.flatMap((m) => [m, m + 1, m + 2]));
  });

  it("halves a ¼ decode into libjpeg's own ⅛ decode, up to rounding", async () => {
    const file = await jpeg('eighth.jpg', 1703, 1197, 7);
    const decode = async (s: number) => {
      const { data, info } = await sharp(`${file}[shrink=${s}]`, { ignoreIcc: true }).raw().toBuffer({ resolveWithObject: true });
      return { data, width: info.width, height: info.height, channels: 3 as const };
    };
    const [quarter, eighth] = [await decode(4), await decode(8)];
    const got = halved({ ...quarter, data: new Uint8Array(quarter.data) });
    expect([got.width, got.height]).toEqual([eighth.width, eighth.height]);
    let worst = 0;
    for (let i = 0; i < got.data.length; i++) worst = Math.max(worst, Math.abs(got.data[i]! - eighth.data[i]!));
    expect(worst).toBeLessThanOrEqual(3);
  });

  it('measures a real herbarium sheet (35 MP) exactly as without it, at the working size the station uses', async () => {
    const options = { ...opts, workingSize: 1024 };
    const { alone, withShared, started } = await bothWays(sheet, 4, options);
    expect(started).not.toBeNull();
    expect(withShared.measurements).toEqual(alone.measurements);
  });

  it('measures a real 64 MP herbarium sheet, whose QC decodes at ⅛, from the search\'s ¼ decode within rounding', async () => {
    const options = { ...opts, workingSize: 1024 };
    const { alone, withShared, started } = await bothWays(path.join(corpus, 'museum/dissco/meise/BR0000013087944.jpg'), 4, options);
    expect(started).not.toBeNull();
    expectAlmostEqual(withShared.measurements, alone.measurements, { focus: 0.003, hashBits: 0 });
  });

  it('leaves grey, CMYK and PNG files and files over the pixel limit to their own decode', async () => {
    const grey = path.join(dir, 'grey.jpg');
    await goodImage(2, 800, 600).toColourspace('b-w').jpeg().toFile(grey);
    const cmyk = path.join(dir, 'cmyk.jpg');
    await goodImage(3, 800, 600).toColourspace('cmyk').jpeg().toFile(cmyk);
    const png = path.join(dir, 'big.png');
    await goodImage(4, 800, 600).png().toFile(png);
    for (const file of [grey, cmyk, png]) {
      const { alone, withShared, started } = await bothWays(file, qcScale(800));
      expect(alone.decodeError, file).toBeNull();
      expect(withShared.measurements, file).toEqual(alone.measurements);
      expect(started, file).toBeNull();
    }
    const { alone, withShared, started } = await bothWays(await jpeg('limit.jpg', 800, 600), qcScale(800), { ...opts, maxInputPixels: 800 * 600 - 1 });
    expect(alone.decodeError?.kind).toBe('too-large');
    expect(withShared.decodeError).toEqual(alone.decodeError);
    expect(started).toBeNull();
  });

  it('lets QC decode on its own when it asks before the barcode search, which then decodes on its own too', async () => {
    const file = await jpeg('qc-first.jpg', 878, 600);
    const meta = await sharp(file).metadata();
    const shared = new SharedJpegDecode(file, opts);
    expect(shared.join(meta, 4)).toBeNull();
    expect(shared.start(meta, 4)).toBeNull();
    const other = new SharedJpegDecode(file, opts);
    const started = other.start(meta, 4);
    expect(started).not.toBeNull();
    expect(other.join(meta, 4)).toBe(started);
    expect(other.join(meta, 8)).toBeNull();
  });

  it('fails a truncated JPEG as truncated, as without it', async () => {
    const whole = await goodImage(5, 900, 700).jpeg({ quality: 90 }).toBuffer();
    const file = path.join(dir, 'half.jpg');
    await fs.writeFile(file, whole.subarray(0, Math.floor(whole.length / 2)));
    const { alone, withShared } = await bothWays(file, qcScale(900));
    expect(alone.decodeError?.kind).toBe('truncated');
    expect(withShared.decodeError).toEqual(alone.decodeError);
    expect(withShared.measurements).toBeNull();
  });
});

describe('the barcode search with the shared decode', () => {
  // BR0000019933597's label is judged too fine from the shared decode itself (first-look.ts), and
  // read from the tiles first; BR0000005182879's EAN-13 in the first pass.
  for (const [name, pattern, code, order] of [
    ['BR0000019933597', 'BR\\d{13}', 'BR0000019933597', [2, 1, true]],
    ['BR0000005182879', '\\d{13}', '0000005182879', [1, 0, false]],
  ] as const) {
    it(`reads the real sheet ${name} as without it, making its first pass from the shared decode`, async () => {
      const file = path.join(corpus, `museum/dissco/meise/${name}.jpg`);
      const rules = barcodeRulesSchema.parse({ pattern });
      const alone = await decodeImageBarcodes(file, { rules, pool });
      const shared = new SharedJpegDecode(file, { ...opts, workingSize: 1024 });
      const withShared = await decodeImageBarcodes(file, { rules, pool, shared });
      expect(withShared.error).toBeNull();
      expect(withShared.codes).toEqual(alone.codes);
      expect(withShared.codes.map((c) => c.text)).toContain(code);
      expect([withShared.passes, withShared.tilesTried, withShared.tilesFirst]).toEqual([alone.passes, alone.tilesTried, alone.tilesFirst]);
      expect([withShared.passes, withShared.tilesTried, withShared.tilesFirst]).toEqual(order);
      // The search started the decode QC joins (a second start gives the same decode).
      expect(await shared.start(await sharp(file).metadata(), 4)).not.toBeNull();
    });
  }

  it('reads a sheet whose fine label is near the too-fine threshold the same with and without it', async () => {
    // A coarse code at the top, and a fine one at the bottom whose bars, blurred as a camera blurs
    // them, sit near barsTooFine's threshold at the first pass's scale: the look that orders the
    // reads must come out the same whether QC's decode is at hand or not.
    const fine = await drawBarcode('BR0000019933597', { format: 'Code128', scale: 4 });
    const coarse = await drawBarcode('BR0000013087937', { format: 'Code128', scale: 12 });
    const page = await sharp({ create: { width: 4804, height: 7196, channels: 3, background: { r: 236, g: 230, b: 214 } } })
      .composite([{ input: fine, left: 1700, top: 6400 }, { input: coarse, left: 300, top: 300 }])
      .png()
      .toBuffer();
    const file = path.join(dir, 'two-codes.jpg');
    await sharp(page).removeAlpha().blur(2.4).jpeg({ quality: 92 }).toFile(file);
    const rules = barcodeRulesSchema.parse({ pattern: 'BR\\d{13}' });
    const alone = await decodeImageBarcodes(file, { rules, pool });
    const shared = new SharedJpegDecode(file, { ...opts, workingSize: 1024 });
    const withShared = await decodeImageBarcodes(file, { rules, pool, shared });
    expect(alone.error).toBeNull();
    expect(alone.codes.some((c) => c.valid)).toBe(true);
    expect(withShared).toMatchObject({ codes: alone.codes, passes: alone.passes, tilesTried: alone.tilesTried, tilesFirst: alone.tilesFirst, error: null });
  });

  it('still searches a truncated JPEG, whose shared decode fails, as without it', async () => {
    const rules = barcodeRulesSchema.parse({});
    const whole = await fs.readFile(sheet);
    const file = path.join(dir, 'sheet-cut.jpg');
    await fs.writeFile(file, whole.subarray(0, Math.floor(whole.length * 0.6)));
    const shared = new SharedJpegDecode(file, { ...opts, workingSize: 1024 });
    const withShared = await decodeImageBarcodes(file, { rules, pool, shared });
    const alone = await decodeImageBarcodes(file, { rules, pool });
    expect(withShared.error).toBe(alone.error);
    expect(withShared.codes).toEqual(alone.codes);
  });
});
