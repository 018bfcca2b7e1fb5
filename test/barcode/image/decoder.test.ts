/**
 * The decoder's own behaviour on images made here: stop at the first code the project accepts,
 * tiles when the downscaled pass finds nothing valid, the per-image time limit and the restart of a
 * worker stopped by it.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, describe, expect, it } from 'vitest';
import { DecodeTimeout, decodeImageBarcodes, drawBarcode, firstCode, firstPassEdge, jpegAt, shrinkFor, tilesOf, ZxingPool, type ImageSymbology } from '../../../src/barcode/image/index.js';
import { barcodeRulesSchema } from '../../../src/barcode/rules.js';

const pool = new ZxingPool();
afterAll(() => pool.close());

/** A large light-grey page with one code pasted at (left, top). */
async function page(width: number, height: number, codes: { text: string; format: 'Code128' | 'DataMatrix' | 'QRCode' | 'Code39'; scale: number; left: number; top: number }[]): Promise<Buffer> {
  const layers = await Promise.all(codes.map(async (c) => ({ input: await drawBarcode(c.text, { format: c.format, scale: c.scale }), left: c.left, top: c.top })));
  return sharp({ create: { width, height, channels: 3, background: { r: 235, g: 230, b: 220 } } }).composite(layers).jpeg({ quality: 92 }).toBuffer();
}

describe('decodeImageBarcodes', () => {
  it('reads Code 128, Code 39, Data Matrix and QR and says which pass the project rules', async () => {
    const img = await page(1600, 1200, [
      { text: 'BR0000013087944', format: 'Code128', scale: 3, left: 50, top: 50 },
      { text: 'ABC-123', format: 'Code39', scale: 3, left: 50, top: 500 },
      { text: 'BR0000019933597', format: 'DataMatrix', scale: 8, left: 900, top: 50 },
      { text: 'https://example.org/specimen/1', format: 'QRCode', scale: 8, left: 900, top: 600 },
    ]);
    const rules = barcodeRulesSchema.parse({ pattern: 'BR\\d{13}' });
    const r = await decodeImageBarcodes(img, { rules, pool });
    expect(r.error).toBeNull();
    const byText = Object.fromEntries(r.codes.map((c) => [c.text, c]));
    expect(byText['BR0000013087944']).toMatchObject({ format: 'Code128', valid: true });
    expect(byText['ABC-123']).toMatchObject({ format: expect.stringMatching(/^Code39/), valid: false });
    expect(byText['BR0000019933597']).toMatchObject({ format: 'DataMatrix', valid: true });
    expect(byText['https://example.org/specimen/1']).toMatchObject({ format: 'QRCode', valid: false });
  });

  it('looks in tiles at higher resolution when the downscaled sheet shows no valid code, and stops at the first', async () => {
    // 1.5 px modules at full size: unreadable once the 9000 px sheet is shrunk 4× for the first pass.
    const code = await drawBarcode('BR0000019933597', { format: 'Code128', scale: 2 });
    const sheet = await sharp({ create: { width: 6000, height: 9000, channels: 3, background: { r: 240, g: 236, b: 225 } } })
      .composite([{ input: code, left: 4700, top: 8200 }])
      .jpeg({ quality: 90 })
      .toBuffer();
    const r = await decodeImageBarcodes(sheet, { rules: barcodeRulesSchema.parse({ pattern: 'BR\\d{13}' }), pool });
    expect(r.error).toBeNull();
    expect(r.passes).toBe(2);
    expect(r.codes).toContainEqual({ format: 'Code128', text: 'BR0000019933597', valid: true });
    // The code is in the bottom-right tile, the last of the grid; the first pass's texture map puts it first.
    expect(tilesOf(6000 / 2, 9000 / 2, 1600).length).toBeGreaterThan(1);
    expect(r.tilesTried).toBe(1);
  });

  it('reads the likeliest tiles first when the first pass shows bars too fine, and the whole image when they give no valid code', async () => {
    // A Code 128 at 2 px modules (0.4 px in the first pass's ⅕ copy) that is not the object's barcode,
    // and the object's Data Matrix, large enough for the first pass, elsewhere on the sheet.
    const sheet = await sharp({ create: { width: 6000, height: 9000, channels: 3, background: { r: 240, g: 236, b: 225 } } })
      .composite([
        { input: await drawBarcode('NHM-777777', { format: 'Code128', scale: 2 }), left: 4700, top: 8200 },
        // Turned 45°, its edges run both ways, so the Code 128 is the likeliest barcode.
        { input: await sharp(await drawBarcode('BR0000019933597', { format: 'DataMatrix', scale: 40 })).rotate(45, { background: '#ffffff' }).png().toBuffer(), left: 600, top: 600 },
      ])
      .jpeg({ quality: 90 })
      .toBuffer();
    const rules = barcodeRulesSchema.parse({ pattern: 'BR\\d{13}' });
    const r = await decodeImageBarcodes(sheet, { rules, pool });
    expect(r).toMatchObject({ error: null, passes: 2, tilesFirst: true });
    expect(r.codes).toContainEqual({ format: 'DataMatrix', text: 'BR0000019933597', valid: true });
    expect(r.codes).toContainEqual({ format: 'Code128', text: 'NHM-777777', valid: false });
    // The region around the code and the square centred on it; then the whole image gave the valid code.
    expect(r.tilesTried).toBe(2);
    // Accepted, the fine code ends the search in the first of those tiles.
    const own = await decodeImageBarcodes(sheet, { rules: barcodeRulesSchema.parse({ pattern: 'NHM-\\d{6}' }), pool });
    expect(own).toMatchObject({ error: null, passes: 2, tilesFirst: true, tilesTried: 1, codes: [{ format: 'Code128', text: 'NHM-777777', valid: true }] });
    // Neither accepted: the likeliest tiles, the whole image, then every tile of the ½ copy.
    const none = await decodeImageBarcodes(sheet, { rules: barcodeRulesSchema.parse({ pattern: 'ZZ-\\d+' }), pool });
    expect(none).toMatchObject({ error: null, passes: 2, tilesFirst: true, tilesTried: 2 + tilesOf(3000, 4500, 1600).length });
    expect(none.codes.map((c) => c.text).sort()).toEqual(['BR0000019933597', 'NHM-777777']);

    // From a file, only the likeliest tiles' part of it is decoded at ½ first (the whole ½ copy only
    // when they do not settle the search): the same reads in the same order.
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cs-fine-'));
    try {
      const file = path.join(dir, 'sheet.jpg');
      fs.writeFileSync(file, sheet);
      const same = (x: typeof r) => ({ error: x.error, passes: x.passes, tilesFirst: x.tilesFirst, tilesTried: x.tilesTried, codes: [...x.codes].sort((a, b) => a.text.localeCompare(b.text)) });
      for (const [pattern, fromBuffer] of [['BR\\d{13}', r], ['NHM-\\d{6}', own], ['ZZ-\\d+', none]] as const) {
        expect(same(await decodeImageBarcodes(file, { rules: barcodeRulesSchema.parse({ pattern }), pool })), pattern).toEqual(same(fromBuffer));
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('reduces a full-size grey image by whole factors in the worker, with regions in the reduced pixels', async () => {
    // 4 px modules at full size: 2 px once halved.
    const code = await drawBarcode('REDUCED-42', { format: 'Code128', scale: 4 });
    const { data, info } = await sharp({ create: { width: 2400, height: 1600, channels: 3, background: '#f0ece0' } })
      .composite([{ input: code, left: 1500, top: 1000 }])
      .extractChannel(1)
      .raw()
      .toBuffer({ resolveWithObject: true });
    const job = { width: info.width, height: info.height, mapTexture: false, returnGrey: false, formats: ['Code128'] satisfies ImageSymbology[], rules: barcodeRulesSchema.parse({}), goal: firstCode, known: [], templates: {} };
    const grey = () => data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength) as ArrayBuffer;
    const halved = await pool.decode({ ...job, grey: grey(), scale: 2, regions: [{ left: 0, top: 0, width: 600, height: 400 }, { left: 700, top: 450, width: 500, height: 350 }] });
    expect(halved.codes.map((c) => c.text)).toEqual(['REDUCED-42']);
    expect(halved.regionsTried).toBe(2);
    // The whole image halved: 1200 × 800 px, nothing read outside it (a region past its edge would throw).
    const whole = await pool.decode({ ...job, grey: grey(), scale: 2, regions: [] });
    expect(whole.codes.map((c) => c.text)).toEqual(['REDUCED-42']);
    expect(whole.regionsTried).toBe(1);
    expect(whole.grey).toBeNull();
    // Asked for, the pixels come back unchanged for the next pass.
    const kept = await pool.decode({ ...job, grey: grey(), scale: 2, regions: [], returnGrey: true });
    expect(Buffer.from(kept.grey!).equals(data)).toBe(true);
    // A region past the halved image's edge is refused, not read as black pixels.
    await expect(pool.decode({ ...job, grey: grey(), scale: 2, regions: [{ left: 700, top: 450, width: 501, height: 350 }] })).rejects.toThrow(/outside the 1200×800 image/);
    // An odd size halves down: 2401 × 1601 → 1200 × 800, its last column and row left out.
    const odd = new Uint8Array(2401 * 1601);
    for (let y = 0; y < info.height; y++) odd.set(data.subarray(y * info.width, (y + 1) * info.width), y * 2401);
    const oddJob = { ...job, width: 2401, height: 1601, grey: odd.buffer, scale: 2 as const };
    expect((await pool.decode({ ...oddJob, regions: [] })).codes.map((c) => c.text)).toEqual(['REDUCED-42']);
    await expect(pool.decode({ ...oddJob, regions: [{ left: 0, top: 0, width: 1201, height: 800 }] })).rejects.toThrow(/outside the 1200×800 image/);
  });

  it('reads an image whose first pass is at ½ (one full-size copy for both passes): a large code at once, a small one in a tile', async () => {
    const rules = barcodeRulesSchema.parse({ pattern: 'NHM-\\d{6}' });
    const large = await decodeImageBarcodes(await page(5200, 3400, [{ text: 'NHM-123456', format: 'Code128', scale: 5, left: 300, top: 2800 }]), { rules, pool });
    expect(large).toMatchObject({ passes: 1, tilesTried: 0, codes: [{ format: 'Code128', text: 'NHM-123456', valid: true }], error: null });
    // 1 px modules at full size: nothing left of them once halved.
    const small = await decodeImageBarcodes(await page(5200, 3400, [{ text: 'NHM-654321', format: 'Code128', scale: 1, left: 4300, top: 3000 }]), { rules, pool });
    expect(small).toMatchObject({ passes: 2, tilesTried: 1, codes: [{ format: 'Code128', text: 'NHM-654321', valid: true }], error: null });
  });

  it('reads a sheet-sized JPEG file\'s small label from tiles of libjpeg\'s own ½ decode, in a path with brackets', async () => {
    // libvips takes a trailing [..] of a file name as load options (jpegAt): the folder's and the
    // file's own brackets must stay part of the name.
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cs-jpeg-at-'));
    fs.mkdirSync(path.join(dir, 'hot [2]'));
    const file = path.join(dir, 'hot [2]', 'sheet [1].jpg');
    try {
      // 3 px modules: 0.6 px in the first pass's ⅕ copy, 1.5 px in the ½ copy.
      fs.writeFileSync(file, await page(7200, 4800, [{ text: 'NHM-777777', format: 'Code128', scale: 3, left: 6000, top: 4300 }]));
      const half = await sharp(jpegAt(file, 2)).raw().toBuffer({ resolveWithObject: true });
      expect(half.info).toMatchObject({ width: 3600, height: 2400 });
      expect(jpegAt(file, 1)).toBe(file);
      const r = await decodeImageBarcodes(file, { rules: barcodeRulesSchema.parse({ pattern: 'NHM-\\d{6}' }), pool });
      expect(r).toMatchObject({ passes: 2, codes: [{ format: 'Code128', text: 'NHM-777777', valid: true }], error: null });
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('gives up on an image past its time limit and says why', async () => {
    const big = await page(3000, 3000, [{ text: 'X1', format: 'QRCode', scale: 4, left: 10, top: 10 }]);
    const slow = await decodeImageBarcodes(big, { rules: barcodeRulesSchema.parse({}), pool, timeLimitMs: 1 });
    expect(slow.error).toMatch(/longer than 1 ms/);
  });

  it('stops a worker that runs past the time limit, and a fresh one decodes the next image', async () => {
    const noise = await sharp({ create: { width: 3000, height: 3000, channels: 3, background: '#808080', noise: { type: 'gaussian', mean: 128, sigma: 60 } } }).extractChannel(0).raw().toBuffer();
    const grey = () => noise.buffer.slice(noise.byteOffset, noise.byteOffset + noise.byteLength) as ArrayBuffer;
    const job = { width: 3000, height: 3000, scale: 1 as const, regions: [], mapTexture: false, returnGrey: false, formats: ['Code128', 'QRCode', 'DataMatrix'] satisfies ImageSymbology[], rules: barcodeRulesSchema.parse({}), goal: firstCode, known: [], templates: {} };
    await pool.decode({ ...job, grey: new ArrayBuffer(16), width: 4, height: 4 }); // the worker is up: the limit below times zxing only
    await expect(pool.decode({ ...job, grey: grey() }, 20)).rejects.toBeInstanceOf(DecodeTimeout);
    const next = await decodeImageBarcodes(await page(800, 600, [{ text: 'AFTER-RESTART', format: 'Code128', scale: 3, left: 20, top: 20 }]), { rules: barcodeRulesSchema.parse({}), pool });
    expect(next.codes.map((c) => c.text)).toEqual(['AFTER-RESTART']);
  });

  it('reports an unreadable file as an error, not a throw', async () => {
    const r = await decodeImageBarcodes(Buffer.from('not an image'), { rules: barcodeRulesSchema.parse({}), pool });
    expect(r.codes).toEqual([]);
    expect(r.error).toBeTruthy();
  });
});

describe('planning', () => {
  it('picks the power-of-two reduction nearest the wanted long edge (cheap JPEG and box shrinks)', () => {
    expect(shrinkFor(8989, 2400)).toBe(4);
    expect(shrinkFor(6000, 2400)).toBe(2);
    expect(shrinkFor(3000, 2400)).toBe(1);
    expect(shrinkFor(800, 2400)).toBe(1);
  });

  it('asks sharp for a JPEG first-pass size it decodes at 1/4 or 1/8 (a reduction of at least p whose whole part is not p), other sizes exactly', () => {
    // The Meise sheets' long edges, and the largest JPEG long edges sharp allows around them.
    for (const long of [7161, 8989, 10041, 16000, 65535]) {
      const shrink = shrinkFor(long, 2400);
      expect(shrink).toBeGreaterThanOrEqual(4);
      const { edge, jpegScale } = firstPassEdge(long, shrink, true);
      expect(jpegScale).toBe(shrink);
      const reduction = long / edge;
      expect(reduction).toBeGreaterThanOrEqual(shrink);
      expect(Math.trunc(reduction)).not.toBe(shrink);
      expect(reduction).toBeLessThan(2 * shrink);
      // Not a smaller copy than needed: one pixel more on the long edge would fall back to 1/p's half.
      expect(Math.trunc(long / (edge + 1))).toBe(shrink);
    }
    expect(firstPassEdge(10041, 4, true)).toEqual({ edge: 2008, jpegScale: 4 });
    // At 1/2 the same trick would cost a third of the pixels: decoded whole and halved, as any TIFF or PNG.
    expect(firstPassEdge(6000, 2, true)).toEqual({ edge: 3000, jpegScale: 1 });
    expect(firstPassEdge(10041, 4, false)).toEqual({ edge: 2511, jpegScale: 1 });
  });

  it('covers the image with overlapping tiles flush with its edges', () => {
    const tiles = tilesOf(3000, 4500, 1600);
    expect(tiles.every((t) => t.left + t.width <= 3000 && t.top + t.height <= 4500)).toBe(true);
    expect(Math.max(...tiles.map((t) => t.left + t.width))).toBe(3000);
    expect(Math.max(...tiles.map((t) => t.top + t.height))).toBe(4500);
    expect(tilesOf(500, 400, 1600)).toEqual([{ left: 0, top: 0, width: 500, height: 400 }]);
  });
});
