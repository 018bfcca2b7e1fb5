/**
 * The barcode texture map that orders the tiled pass: a linear barcode shrunk below readability
 * (as in a first pass) still outscores isotropic clutter, in either orientation, and regions are
 * ranked by their best block with ties kept in order; the hotspot square is centred on the best block.
 */
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { drawBarcode } from '../../../src/barcode/image/index.js';
import { hotspot, rankRegions, textureBlock, textureMap } from '../../../src/barcode/image/texture.js';

/**
 * A 3000 × 2000 page of grey noise and a large QR code (edges every way) with a Code 128 at
 * (left, top), then reduced 5× as a first pass is: 0.6 px per module.
 */
async function shrunkPage(left: number, top: number, rotate: number): Promise<{ grey: Uint8Array; width: number; height: number }> {
  const code = await sharp(await drawBarcode('BR0000019933597', { format: 'Code128', scale: 3 })).rotate(rotate).png().toBuffer();
  const clutter = await drawBarcode('https://example.org/herbarium/specimen/0000019933597', { format: 'QRCode', scale: 12 });
  const page = await sharp({ create: { width: 3000, height: 2000, channels: 3, background: '#d8d0c0', noise: { type: 'gaussian', mean: 200, sigma: 40 } } })
    .composite([{ input: clutter, left: 300, top: 300 }, { input: code, left, top }])
    .png()
    .toBuffer();
  // Composite and resize in one pipeline would resize first.
  const { data, info } = await sharp(page).resize(600, 400, { fit: 'fill' }).extractChannel(1).raw().toBuffer({ resolveWithObject: true });
  return { grey: new Uint8Array(data), width: info.width, height: info.height };
}

function bestBlock(map: ReturnType<typeof textureMap>): { x: number; y: number } {
  const i = map.scores.indexOf(Math.max(...map.scores));
  return { x: (i % map.cols) * map.block, y: Math.floor(i / map.cols) * map.block };
}

describe('textureMap', () => {
  for (const rotate of [0, 90]) {
    it(`finds a barcode at 0.6 px per module among noise, bars ${rotate === 0 ? 'upright' : 'lying'}`, async () => {
      const page = await shrunkPage(2000, 1300, rotate);
      const map = textureMap(page.grey, page.width, page.height);
      expect(map.cols * map.rows).toBe(map.scores.length);
      // The code sits at (400, 260) in the 5× smaller page; its best block is inside it.
      const best = bestBlock(map);
      const size = rotate === 0 ? { w: 100, h: 40 } : { w: 40, h: 100 };
      expect(best.x).toBeGreaterThanOrEqual(400 - textureBlock);
      expect(best.x).toBeLessThan(400 + size.w);
      expect(best.y).toBeGreaterThanOrEqual(260 - textureBlock);
      expect(best.y).toBeLessThan(260 + size.h);
    });
  }
});

describe('rankRegions', () => {
  it('orders regions of a larger image by the best block each overlaps, keeping ties in order', () => {
    // A 4 × 2 map of a 64 × 32 image; regions are given in a 2× larger image.
    const map = { width: 64, height: 32, block: 16, cols: 4, rows: 2, scores: [0, 0, 0, 0, 0, 5, 0, 9] };
    const regions = [0, 1, 2, 3].map((i) => ({ left: i * 32, top: 0, width: 32, height: 64 }));
    expect(rankRegions(regions, 128, 64, map).map((r) => r.left)).toEqual([96, 32, 0, 64]);
    expect(rankRegions(regions, 128, 64, { ...map, scores: new Array(8).fill(1) })).toEqual(regions);
  });
});

describe('hotspot', () => {
  // A 4 × 2 map of a 64 × 32 image, its best block the third of the second row (centre 40, 24).
  const map = { width: 64, height: 32, block: 16, cols: 4, rows: 2, scores: [0, 0, 0, 0, 0, 5, 9, 0] };

  it('centres a square on the best block, in the pixels of a larger image', () => {
    // 4× larger: centre (160, 96).
    expect(hotspot(256, 128, map, 40)).toEqual({ left: 140, top: 76, width: 40, height: 40 });
  });

  it('keeps the square inside the image, and gives none when the image is no larger than it', () => {
    expect(hotspot(256, 128, map, 100)).toEqual({ left: 110, top: 28, width: 100, height: 100 });
    expect(hotspot(256, 128, { ...map, scores: [0, 0, 0, 9, 0, 0, 0, 0] }, 100)).toEqual({ left: 156, top: 0, width: 100, height: 100 });
    expect(hotspot(256, 128, map, 128)).toBeNull();
  });

  it('holds the whole code of a first-pass copy, in the ½ copy the tiles are cut from', async () => {
    const page = await shrunkPage(2000, 1300, 0);
    const map = textureMap(page.grey, page.width, page.height);
    // At ½ the page is 1500 × 1000 and the code spans (1000, 650) to about (1250, 750).
    const r = hotspot(1500, 1000, map, 800)!;
    expect(r.left).toBeLessThanOrEqual(1000);
    expect(r.left + r.width).toBeGreaterThanOrEqual(1250);
    expect(r.top).toBeLessThanOrEqual(650);
    expect(r.top + r.height).toBeGreaterThanOrEqual(750);
  });
});
