/**
 * Where in an image a linear barcode probably is, from its pixels alone, so the tiled pass tries the
 * likeliest tile first. A 1-D barcode is a patch whose edges all run one way: summed over a block,
 * its horizontal and vertical gradient energies differ by far more than in handwriting, print,
 * plant material or paper, whose edges run every way. The imbalance survives at scales too small
 * for zxing to read the bars (a Meise sheet's label at 0.7 px per module in the first pass), which
 * is why the first pass's copy can point the second pass to it. Whether the bars there are too fine
 * to read at the first pass's scale (barsTooFine) decides whether the likeliest tiles are read
 * before the whole first-pass copy. Only the order of the reads depends on this: the whole copy and
 * every tile are still read until one gives a valid code, so a wrong guess costs time only.
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

/**
 * `step` > 1 maps the image as reduced by that factor (every step-th pixel and row), in the image's
 * own pixels. `rowStep` > `step` sums only every rowStep-th row into the blocks: a quicker map (a
 * quarter of the rows finds the same likeliest barcode on the Meise sheets' first-pass copies in a
 * quarter of the time), whose scores are a fraction of the full map's.
 */
export function textureMap(grey: Uint8Array, width: number, height: number, step = 1, rowStep = step): TextureMap {
  const block = textureBlock * step;
  const cols = Math.ceil(width / block);
  const rows = Math.ceil(height / block);
  const sums = new Float64Array(cols * rows);
  const up = step * width;
  for (let y = step; y < height - step; y += rowStep) {
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

/**
 * The likeliest barcode's extent in the map's image: the best block and the blocks scoring at least
 * half as much connected to it (8-neighbours), as one rectangle; null for an empty or flat map.
 */
export function textureRegion(map: TextureMap): Region | null {
  return textureRegions(map, 1)[0] ?? null;
}

/**
 * Up to `count` likeliest barcodes, best first, each found as textureRegion finds the first: the
 * best block not in one found already and its connected blocks scoring at least half as much. Only
 * blocks scoring at least half the best block's start one, so a sheet with one label gives that
 * label and no patch of leaf or print. A sheet can carry two labels of nearly equal texture
 * (BR0000013087944: its own barcode and an older one, 0.91 of its score), either of which may be the
 * one looked for.
 */
export function textureRegions(map: TextureMap, count: number): Region[] {
  if (map.scores.length === 0) return [];
  const floor = map.scores.reduce((a, b) => Math.max(a, b), 0) / 2;
  if (floor <= 0) return [];
  const order = map.scores.flatMap((score, i) => (score >= floor ? [i] : [])).sort((a, b) => map.scores[b]! - map.scores[a]!);
  const seen = new Uint8Array(map.scores.length);
  const regions: Region[] = [];
  for (const best of order) {
    if (regions.length === count) break;
    if (seen[best]) continue;
    regions.push(componentOf(map, best, seen));
  }
  return regions;
}

/** The rectangle around block `best` and the blocks connected to it scoring at least half as much; marks them in `seen`. */
function componentOf(map: TextureMap, best: number, seen: Uint8Array): Region {
  const least = map.scores[best]! / 2;
  seen[best] = 1;
  const todo = [best];
  let [x0, x1, y0, y1] = [map.cols, -1, map.rows, -1];
  while (todo.length > 0) {
    const i = todo.pop()!;
    const bx = i % map.cols;
    const by = Math.floor(i / map.cols);
    [x0, x1, y0, y1] = [Math.min(x0, bx), Math.max(x1, bx), Math.min(y0, by), Math.max(y1, by)];
    for (let ny = Math.max(0, by - 1); ny <= Math.min(map.rows - 1, by + 1); ny++) {
      for (let nx = Math.max(0, bx - 1); nx <= Math.min(map.cols - 1, bx + 1); nx++) {
        const j = ny * map.cols + nx;
        if (!seen[j] && map.scores[j]! >= least) {
          seen[j] = 1;
          todo.push(j);
        }
      }
    }
  }
  const left = x0 * map.block;
  const top = y0 * map.block;
  return { left, top, width: Math.min(map.width, (x1 + 1) * map.block) - left, height: Math.min(map.height, (y1 + 1) * map.block) - top };
}

/**
 * `region` of the map's image (textureRegion), in the pixels of a `width × height` copy of the same
 * image: widened on every side by one block of the map's image (a code's quiet zone, and an end of
 * it that scored under half), then to at least `least` px each way about its centre (a code the map
 * caught only part of), and moved inside the image. Tried before the hotspot square: zxing reads
 * BR0000019933597's label from a 400 px square of the ½ copy in a fifth of the time the 800 px
 * square takes.
 */
export function regionIn(width: number, height: number, map: TextureMap, region: Region, least: number): Region {
  const span = (from: number, to: number, k: number, total: number): [number, number] => {
    const grow = Math.max(0, least - (to - from) * k) / 2;
    // Shifted, not cut, at the image's edge, as far as the image allows.
    const length = Math.min(total, Math.ceil(to * k + grow) - Math.floor(from * k - grow));
    const start = Math.max(0, Math.min(total - length, Math.floor(from * k - grow)));
    return [start, length];
  };
  const [left, w] = span(region.left - map.block, region.left + region.width + map.block, width / map.width, width);
  const [top, h] = span(region.top - map.block, region.top + region.height + map.block, height / map.height, height);
  return { left, top, width: w, height: h };
}

/**
 * Whether the bars in `region` of a grey image are too fine for zxing at this scale, so the tiled
 * pass will be needed. Across the bars (along the stronger gradient), every swing between a light
 * and a dark extreme of a readable code spans most of the line's black-to-white range; bars and
 * spaces narrower than a pixel blur into each other and swing only part of the way. Measured on the
 * Meise sheets' first-pass copies (⅕ of full size): 2 % and 0 % of the swings are weak (under half
 * the range) on the two labels zxing reads there (1.4 and 1.6 px per module), 36 % on
 * BR0000019933597's (0.7 px per module), which zxing reads only from about 1/2.5 of full size, where
 * 1 % are weak. Reduced until zxing no longer reads them, the other two labels showed 8–12 % (at 1/5.5
 * and 1/6) and 1 % (at 1/6). So a weak share of at least `weakShare` (20 %) is well inside the
 * unreadable range: a code zxing reads is hardly ever taken for too fine, and one too fine that is
 * not recognised as such keeps the ordinary order of the passes.
 */
export function barsTooFine(grey: Uint8Array, width: number, region: Region): boolean {
  let dx = 0;
  let dy = 0;
  for (let y = region.top + 1; y < region.top + region.height; y++) {
    for (let x = region.left + 1, i = y * width + x; x < region.left + region.width; x++, i++) {
      dx += Math.abs(grey[i]! - grey[i - 1]!);
      dy += Math.abs(grey[i]! - grey[i - width]!);
    }
  }
  // Upright bars (edges across x) are read along rows; lying ones along columns.
  const upright = dx >= dy;
  const lines = upright ? region.height : region.width;
  const length = upright ? region.width : region.height;
  const at = (line: number, k: number) => (upright ? grey[(region.top + line) * width + region.left + k]! : grey[(region.top + k) * width + region.left + line]!);
  let swings = 0;
  let weak = 0;
  const values = new Uint8Array(length);
  for (let line = 0; line < lines; line++) {
    for (let k = 0; k < length; k++) values[k] = at(line, k);
    const sorted = values.slice().sort();
    const range = sorted[Math.floor(length * 0.95)]! - sorted[Math.floor(length * 0.05)]!;
    // A line along the label's margin or text, not across the bars.
    if (range < minRange) continue;
    const extremes = extremaOf(values, range * 0.1);
    for (let e = 2; e < extremes.length; e++) {
      swings++;
      if (Math.abs(extremes[e]! - extremes[e - 1]!) < range / 2) weak++;
    }
  }
  return swings >= minSwings && weak >= swings * weakShare;
}

const weakShare = 0.2;
/** Grey levels between a line's 5th and 95th percentile below which it does not cross the bars. */
const minRange = 40;
/** Fewer swings than a short code's bars: not enough to judge. */
const minSwings = 20;

/**
 * The alternating local maxima and minima of a line, ignoring wiggles smaller than `hysteresis`;
 * the first value is where the line starts, not a true extreme (callers skip the swing from it).
 */
function extremaOf(values: Uint8Array, hysteresis: number): number[] {
  const out: number[] = [];
  let dir = 0;
  let held = values[0]!;
  for (let k = 1; k < values.length; k++) {
    const v = values[k]!;
    if (dir === 0) {
      if (Math.abs(v - held) > hysteresis) {
        out.push(held);
        dir = v > held ? 1 : -1;
        held = v;
      }
    } else if (dir * (v - held) > 0) {
      held = v;
    } else if (dir * (held - v) > hysteresis) {
      out.push(held);
      dir = -dir;
      held = v;
    }
  }
  return out;
}
