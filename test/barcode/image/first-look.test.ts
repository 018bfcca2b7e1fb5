/**
 * The first pass's quick look (src/barcode/image/first-look.ts): taken from the decode the first
 * pass's copy is made from, it judges the likeliest barcode's bars as the look at that copy does,
 * at the copy's scale, with the map in the decode's own pixels.
 */
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { drawBarcode } from '../../../src/barcode/image/index.js';
import { lookAtCopy, lookAtDecode } from '../../../src/barcode/image/first-look.js';
import type { RawRgb } from '../../../src/quality/shared-jpeg.js';

/**
 * A decoded page, 1200 × 1800 RGB, with a Code 128 of `module` px modules near its bottom edge,
 * blurred as a camera's optics blur it (a sharp-edged code below a pixel per module aliases into
 * full-range swings that no photographed label shows).
 */
async function decoded(module: number): Promise<RawRgb> {
  const code = await drawBarcode('BR0000019933597', { format: 'Code128', scale: module });
  const page = await sharp({ create: { width: 1200, height: 1800, channels: 3, background: { r: 236, g: 230, b: 214 } } })
    .composite([{ input: code, left: 420, top: 1650 }])
    .png()
    .toBuffer();
  // Composite adds an alpha channel; a decoded JPEG has none.
  const { data, info } = await sharp(page).removeAlpha().blur(0.8).raw().toBuffer({ resolveWithObject: true });
  return { data, width: info.width, height: info.height, channels: 3 };
}

/** The first pass's grey copy of `pixels`, `edge` px on the long edge, made as decode-image.ts makes it. */
async function copyOf(pixels: RawRgb, edge: number) {
  const { data, info } = await sharp(pixels.data, { raw: { width: pixels.width, height: pixels.height, channels: 3 } })
    .resize(edge, edge, { fit: 'inside' })
    .extractChannel(1)
    .raw()
    .toBuffer({ resolveWithObject: true });
  return { grey: new Uint8Array(data), width: info.width, height: info.height };
}

describe('lookAtDecode', () => {
  // The copy at 0.7 of the decode, as a Meise sheet's first-pass copy is of its ¼ decode.
  const edge = 1260;
  for (const [module, tooFine] of [
    [1, true], // 0.7 px per module in the copy: 42 % of the swings weak from the decode, 28 % in the copy
    [3, false], // 2.1 px: none weak
  ] as const) {
    it(`judges ${module} px modules ${tooFine ? 'too fine' : 'readable'} at the copy's scale, as the look at the copy does`, async () => {
      const pixels = await decoded(module);
      const early = await lookAtDecode(pixels, edge);
      const copy = await copyOf(pixels, edge);
      const late = lookAtCopy(copy.grey, copy.width, copy.height);
      expect(early.tooFine).toBe(tooFine);
      expect(late.tooFine).toBe(tooFine);
      // The map is the decode's, its best block on the code (420.., 1650..).
      expect([early.map.width, early.map.height]).toEqual([1200, 1800]);
      const best = early.map.scores.indexOf(Math.max(...early.map.scores));
      const [bx, by] = [(best % early.map.cols) * early.map.block, Math.floor(best / early.map.cols) * early.map.block];
      expect(bx).toBeGreaterThanOrEqual(420 - early.map.block);
      expect(by).toBeGreaterThanOrEqual(1650 - early.map.block);
    });
  }

  it('judges nothing too fine on a page without bars', async () => {
    const { data, info } = await sharp({ create: { width: 800, height: 1000, channels: 3, background: '#e8e2d0' } }).raw().toBuffer({ resolveWithObject: true });
    expect((await lookAtDecode({ data, width: info.width, height: info.height, channels: 3 }, 700)).tooFine).toBe(false);
  });
});
