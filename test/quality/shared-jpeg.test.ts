/**
 * The capture's one shared JPEG decode (src/quality/shared-jpeg.ts): QC's measurements and verdict
 * facts and the barcode search's result must be what they are without it, on files made here and on
 * a real herbarium sheet; files outside its scope are decoded as before.
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeImageBarcodes, drawBarcode, ZxingPool } from '../../src/barcode/image/index.js';
import { barcodeRulesSchema } from '../../src/barcode/rules.js';
import { analyzeFile, type AnalyzeOptions } from '../../src/quality/index.js';
import { jpegShrinkOnLoad, SharedJpegDecode } from '../../src/quality/shared-jpeg.js';
import { goodImage } from '../helpers/images.js';
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

async function jpeg(name: string, width: number, height: number, seed = 1): Promise<string> {
  const file = path.join(dir, name);
  await goodImage(seed, width, height).jpeg({ quality: 90 }).toFile(file);
  return file;
}

/**
 * QC on `file` alone, and with a shared decode started first as the barcode search starts it (at
 * whichever scale it takes); `claimed`: the scale a decode was started at, if any.
 */
async function bothWays(file: string, options = opts) {
  const alone = await analyzeFile(file, options);
  const shared = new SharedJpegDecode(file, options);
  const meta = await sharp(file).metadata();
  const claimed = [2, 4, 8].filter((s) => shared.start(meta, s) !== null);
  const withShared = await analyzeFile(file, options, undefined, shared);
  return { alone, withShared, claimed };
}

describe('jpegShrinkOnLoad', () => {
  it("follows sharp's rule: the largest of 8, 4, 2 not above the reduction, halved when the reduction's integer part is that factor", () => {
    expect([1.9, 2, 2.5, 3.99, 4, 4.5, 5, 7.99, 8, 8.78, 9, 9.8, 17].map(jpegShrinkOnLoad)).toEqual([1, 1, 1, 2, 2, 2, 4, 4, 4, 4, 8, 8, 8]);
  });
});

describe('QC with the shared decode', () => {
  // Long edges for a 100 px working copy: reductions 2.5, 3.5, 4.0, 4.5, 5, 8.0, 8.78, 9.8, 17.
  for (const long of [250, 350, 400, 450, 500, 800, 878, 980, 1700]) {
    it(`measures a ${long} px JPEG exactly as without it, from one decode at sharp's own scale (reduction ${long / 100})`, async () => {
      const { alone, withShared, claimed } = await bothWays(await jpeg(`w${long}.jpg`, long, Math.round(long * 0.7), long));
      expect(alone.decodeError).toBeNull();
      expect(withShared.measurements).toEqual(alone.measurements);
      expect(withShared.facts).toEqual(alone.facts);
      expect(withShared.sha256).toBe(alone.sha256);
      expect(claimed).toEqual([jpegShrinkOnLoad(long / 100)].filter((s) => s > 1));
    });
  }

  it('measures a real herbarium sheet (35 MP) exactly as without it, at the working size the station uses', async () => {
    const options = { ...opts, workingSize: 1024 };
    const { alone, withShared, claimed } = await bothWays(sheet, options);
    expect(withShared.measurements).toEqual(alone.measurements);
    expect(claimed).toEqual([4]);
  });

  it('leaves grey, CMYK and PNG files and files over the pixel limit to their own decode', async () => {
    const grey = path.join(dir, 'grey.jpg');
    await goodImage(2, 800, 600).toColourspace('b-w').jpeg().toFile(grey);
    const cmyk = path.join(dir, 'cmyk.jpg');
    await goodImage(3, 800, 600).toColourspace('cmyk').jpeg().toFile(cmyk);
    const png = path.join(dir, 'big.png');
    await goodImage(4, 800, 600).png().toFile(png);
    for (const file of [grey, cmyk, png]) {
      const { alone, withShared, claimed } = await bothWays(file);
      expect(alone.decodeError, file).toBeNull();
      expect(withShared.measurements, file).toEqual(alone.measurements);
      expect(claimed, file).toEqual([]);
    }
    const { alone, withShared, claimed } = await bothWays(await jpeg('limit.jpg', 800, 600), { ...opts, maxInputPixels: 800 * 600 - 1 });
    expect(alone.decodeError?.kind).toBe('too-large');
    expect(withShared.decodeError).toEqual(alone.decodeError);
    expect(claimed).toEqual([]);
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
    const { alone, withShared } = await bothWays(file);
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
