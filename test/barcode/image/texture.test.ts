/**
 * The barcode texture map that orders the tiled pass: a linear barcode shrunk below readability
 * (as in a first pass) still outscores isotropic clutter, in either orientation, and regions are
 * ranked by their best block with ties kept in order; the hotspot square is centred on the best block.
 * The likeliest barcode's region, its bars judged too fine (or not) at the copy's scale, and that
 * region in a finer copy.
 */
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { drawBarcode } from '../../../src/barcode/image/index.js';
import { barsTooFine, hotspot, rankRegions, regionIn, textureBlock, textureMap, textureRegion, textureRegions } from '../../../src/barcode/image/texture.js';

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

/** A Code 128 with 3 px modules on a plain 1500 px page, the page reduced `reduce`× (3 / reduce px per module). */
async function reducedLabel(reduce: number, rotate: number): Promise<{ grey: Uint8Array; width: number; height: number }> {
  const code = await sharp(await drawBarcode('BR0000019933597', { format: 'Code128', scale: 3 })).rotate(rotate).png().toBuffer();
  const page = await sharp({ create: { width: 1500, height: 1500, channels: 3, background: '#ece6d8' } })
    .composite([{ input: code, left: 600, top: 700 }])
    .png()
    .toBuffer();
  const edge = Math.round(1500 / reduce);
  const { data, info } = await sharp(page).resize(edge, edge).extractChannel(1).raw().toBuffer({ resolveWithObject: true });
  return { grey: new Uint8Array(data), width: info.width, height: info.height };
}

describe('textureMap rows', () => {
  it('sums every rowStep-th row only: the same blocks, each from a part of its rows', async () => {
    const page = await shrunkPage(2000, 1300, 0);
    const full = textureMap(page.grey, page.width, page.height);
    const quick = textureMap(page.grey, page.width, page.height, 1, 4);
    expect([quick.cols, quick.rows, quick.block]).toEqual([full.cols, full.rows, full.block]);
    expect(bestBlock(quick)).toEqual(bestBlock(full));
    expect(Math.max(...quick.scores)).toBeLessThan(Math.max(...full.scores) / 2);
  });
});

describe('textureRegion', () => {
  it('joins the blocks scoring at least half the best one that touch it, corners too', () => {
    // 5 × 3 blocks of 16 px over a 72 × 40 image (the last column and row are partial).
    const map = { width: 72, height: 40, block: 16, cols: 5, rows: 3, scores: [0, 0, 0, 0, 6, 0, 5, 10, 4, 0, 0, 0, 0, 6, 0] };
    // 5 and 6 (diagonal) join the best 10; 4 is under half; the 6 in the corner touches nothing that joined.
    expect(textureRegion(map)).toEqual({ left: 16, top: 16, width: 48, height: 24 });
    expect(textureRegion({ ...map, scores: new Array(15).fill(0) })).toBeNull();
    expect(textureRegion({ ...map, cols: 0, rows: 0, scores: [] })).toBeNull();
  });

  it('finds several barcodes best first, each block in one of them, none scoring under half the best', () => {
    // 6 × 3 blocks of 16 px: a label at the left (10 and its 6), one at the right (9 and 5), a 4 alone.
    const map = { width: 96, height: 48, block: 16, cols: 6, rows: 3, scores: [10, 6, 0, 0, 0, 9, 0, 0, 0, 4, 0, 5, 0, 0, 0, 0, 0, 0] };
    expect(textureRegions(map, 3)).toEqual([
      { left: 0, top: 0, width: 32, height: 16 },
      { left: 80, top: 0, width: 16, height: 32 },
    ]);
    expect(textureRegions(map, 1)).toEqual([textureRegion(map)]);
    // The 6 beside the best block joined it: it starts no region of its own.
    expect(textureRegions({ ...map, scores: [10, 6, 0, 0, 0, 0, ...new Array(12).fill(0)] }, 3)).toEqual([{ left: 0, top: 0, width: 32, height: 16 }]);
    expect(textureRegions({ ...map, scores: new Array(18).fill(0) }, 3)).toEqual([]);
  });

  it('finds the barcode on a reduced page, upright or lying', async () => {
    for (const rotate of [0, 90]) {
      const page = await reducedLabel(5, rotate);
      // The code's 3 px modules and 100 px height, 5× smaller, at (120, 140).
      const r = textureRegion(textureMap(page.grey, page.width, page.height, 1, 4))!;
      expect(r.left + r.width, `${rotate}°`).toBeGreaterThan(120);
      expect(r.left, `${rotate}°`).toBeLessThan(120 + (rotate === 0 ? 66 : 20));
      expect(r.top + r.height, `${rotate}°`).toBeGreaterThan(140);
      expect(r.top, `${rotate}°`).toBeLessThan(140 + (rotate === 0 ? 20 : 66));
    }
  });
});

describe('barsTooFine', () => {
  for (const rotate of [0, 90]) {
    it(`tells bars blurred below a pixel from readable ones, ${rotate === 0 ? 'upright' : 'lying'}`, async () => {
      const judge = async (reduce: number) => {
        const page = await reducedLabel(reduce, rotate);
        return barsTooFine(page.grey, page.width, textureRegion(textureMap(page.grey, page.width, page.height))!);
      };
      expect(await judge(5)).toBe(true); // 0.6 px per module
      expect(await judge(2)).toBe(false); // 1.5 px
      expect(await judge(1)).toBe(false); // 3 px
    });
  }

  it('does not judge a region without bars', async () => {
    const page = await reducedLabel(5, 0);
    expect(barsTooFine(page.grey, page.width, { left: 0, top: 0, width: 96, height: 96 })).toBe(false);
  });
});

describe('regionIn', () => {
  // A 10 × 10 map of blocks of 16 px over a 160 × 160 image.
  const map = { width: 160, height: 160, block: 16, cols: 10, rows: 10, scores: new Array(100).fill(0) };

  it('scales the region to a finer copy, one block wider on every side, at least `least` px each way', () => {
    // 2.5× finer: (48..96, 64..80) ± 16 → (32..112, 48..96) → ×2.5 (80..280, 120..240); 200 × 120 grown to 200 × 160.
    expect(regionIn(400, 400, map, { left: 48, top: 64, width: 48, height: 16 }, 160)).toEqual({ left: 80, top: 100, width: 200, height: 160 });
  });

  it('moves the region inside the image at its edges, and never past the image', () => {
    expect(regionIn(400, 400, map, { left: 0, top: 144, width: 16, height: 16 }, 160)).toEqual({ left: 0, top: 240, width: 160, height: 160 });
    expect(regionIn(100, 100, map, { left: 0, top: 0, width: 160, height: 160 }, 400)).toEqual({ left: 0, top: 0, width: 100, height: 100 });
  });
});
