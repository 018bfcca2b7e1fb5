/**
 * Where in an image a linear barcode probably is, from its pixels alone, so the tiled pass tries the
 * likeliest tile first. A 1-D barcode is a patch whose edges all run one way: summed over a block,
 * its horizontal and vertical gradient energies differ by far more than in handwriting, print,
 * plant material or paper, whose edges run every way. The imbalance survives at scales too small
 * for zxing to read the bars (a Meise sheet's label at 0.7 px per module in the first pass), which
 * is why the first pass's copy can point the second pass to it. Only the order of the tiles depends
 * on this: every tile is still tried until one gives a valid code, so a wrong guess costs time only.
 */
import type { Region } from './protocol.js';

/** Block scores over an image `width × height`; a block covers `block × block` of its pixels. */
export interface TextureMap {
  width: number;
  height: number;
  block: number;
  cols: number;
  rows: number;
  /** Row-major, `cols × rows`: |Σ|∂x| − Σ|∂y|| over the block, in grey levels. */
  scores: number[];
}

/** Small enough that a label barcode in a first-pass copy (≈ 100 × 20 px on a herbarium sheet) fills whole blocks. */
export const textureBlock = 16;

/** `step` > 1 maps the image as reduced by that factor (every step-th pixel and row), in the image's own pixels. */
export function textureMap(grey: Uint8Array, width: number, height: number, step = 1): TextureMap {
  const block = textureBlock * step;
  const cols = Math.ceil(width / block);
  const rows = Math.ceil(height / block);
  const sums = new Float64Array(cols * rows);
  const up = step * width;
  for (let y = step; y < height - step; y += step) {
    const rowBlocks = Math.floor(y / block) * cols;
    const row = y * width;
    for (let bx = 0; bx < cols; bx++) {
      let d = 0;
      for (let i = row + Math.max(step, bx * block), last = row + Math.min(width - step, (bx + 1) * block); i < last; i += step) {
        d += Math.abs(grey[i + step]! - grey[i - step]!) - Math.abs(grey[i + up]! - grey[i - up]!);
      }
      sums[rowBlocks + bx]! += d;
    }
  }
  return { width, height, block, cols, rows, scores: Array.from(sums, Math.abs) };
}

/**
 * `regions` of an image `width × height` (the map may be of a smaller copy of the same image),
 * best first: by the highest-scoring block each overlaps. A small label scores high however much
 * blank sheet shares its tile. Ties keep their given order (the sort is stable).
 */
export function rankRegions(regions: Region[], width: number, height: number, map: TextureMap): Region[] {
  const kx = map.width / width;
  const ky = map.height / height;
  const best = (r: Region): number => {
    const bx0 = Math.floor((r.left * kx) / map.block);
    const bx1 = Math.min(map.cols, Math.ceil(((r.left + r.width) * kx) / map.block));
    const by0 = Math.floor((r.top * ky) / map.block);
    const by1 = Math.min(map.rows, Math.ceil(((r.top + r.height) * ky) / map.block));
    let top = 0;
    for (let by = by0; by < by1; by++) for (let bx = bx0; bx < bx1; bx++) top = Math.max(top, map.scores[by * map.cols + bx]!);
    return top;
  };
  return regions
    .map((r) => ({ r, score: best(r) }))
    .sort((a, b) => b.score - a.score)
    .map((s) => s.r);
}

/**
 * A `size` square of an image `width × height` (the map may be of a smaller copy) centred on the
 * map's highest-scoring block and kept inside the image; null when the image is not larger than
 * that. Tried before the tiles: a label is small, and zxing reads a quarter of a tile in about a
 * third of the time.
 */
export function hotspot(width: number, height: number, map: TextureMap, size: number): Region | null {
  if (width <= size || height <= size || map.scores.length === 0) return null;
  let best = 0;
  for (let i = 1; i < map.scores.length; i++) if (map.scores[i]! > map.scores[best]!) best = i;
  const cx = (((best % map.cols) + 0.5) * map.block * width) / map.width;
  const cy = ((Math.floor(best / map.cols) + 0.5) * map.block * height) / map.height;
  const clamp = (c: number, total: number) => Math.max(0, Math.min(total - size, Math.round(c - size / 2)));
  return { left: clamp(cx, width), top: clamp(cy, height), width: size, height: size };
}
