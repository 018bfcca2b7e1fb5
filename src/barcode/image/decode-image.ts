/**
 * Barcodes visible in a capture. zxing is fed a downscaled grey copy first (a whole herbarium sheet
 * at full resolution costs seconds; at 1800–2400 px on the long edge a sheet's label barcode is
 * usually still readable, see firstPassEdge). Only when that finds no code passing the project's rules is the image
 * looked at again at higher resolution, in overlapping tiles, stopping once it has what the station
 * decides from (`goal`, protocol.ts); the tiles are tried likeliest first, by the barcode texture of the first pass's copy
 * (texture.ts). When that copy shows the likeliest barcode's bars too fine to read at its scale, the
 * likeliest tiles are read first (from a JPEG file, only their part of it decoded) and the whole copy
 * only if they give no valid code.
 * libvips makes the grey copies on its own threads; zxing runs in the pool's worker.
 */
import sharp from 'sharp';
import type { SharedJpegDecode } from '../../quality/shared-jpeg.js';
import { defaultImageFormats, type ImageSymbology } from '../../shared/image-symbologies.js';
import type { BarcodeRules } from '../rules.js';
import { firstCode, goalReached, type CodeTemplates, type FoundCode, type Region, type SearchGoal } from './protocol.js';
import { lookAtCopy, lookAtDecode, type Decoded } from './first-look.js';
import { hotspot, rankRegions, regionIn, textureRegion, textureRegions, type TextureMap } from './texture.js';
import { DecodeTimeout, type PoolResult, type ZxingPool } from './zxing-pool.js';

export interface ImageDecodeOptions {
  rules: BarcodeRules;
  pool: ZxingPool;
  /** The symbologies looked for (linking.imageFormats); a code in any other is not seen. Default: defaultImageFormats. */
  formats?: readonly ImageSymbology[];
  /** linking.imageCodeTemplates: the barcode a code read in a symbology stands for (its `text` in the result). Default: none. */
  templates?: CodeTemplates;
  /** Long edge of the first, whole-image pass. */
  longEdge?: number;
  /** Long edge of the tiled pass; capped at the image's own size. */
  tileLongEdge?: number;
  /** Edge of one tile in the tiled pass (tiles overlap by a quarter, so a code on a seam is whole in a neighbour). */
  tileSize?: number;
  /** For the whole image, all passes together. */
  timeLimitMs?: number;
  /** The capture's one JPEG decode, shared with QC (quality/shared-jpeg.ts); the first pass's copy is made from it when it is at that pass's scale. */
  shared?: SharedJpegDecode;
  /** When the search may stop before it has read every region (protocol.ts). Default: at the first code the project accepts. */
  goal?: SearchGoal;
}

export type ImageBarcode = FoundCode;

export interface ImageDecodeResult {
  codes: ImageBarcode[];
  /** Passes run: 1 (downscaled whole image) or 2 (tiles too). */
  passes: number;
  tilesTried: number;
  /**
   * The tiles were read before the whole downscaled image, its likeliest barcode's bars being too
   * fine to read at that scale (texture.ts, barsTooFine); the whole image is then read only when
   * the likeliest tiles give no valid code.
   */
  tilesFirst: boolean;
  /**
   * Regions around the likeliest barcodes of the first pass's copy read before the whole copy: only
   * when the search looks for a known code (goal.code), whose label may be all it needs. 0 when none
   * were; the whole copy was read after them unless the search stopped there.
   */
  labelsRead: number;
  width: number | null;
  height: number | null;
  /** Wall time for this image: grey copies + zxing + waiting for a worker. */
  ms: number;
  /** Of which zxing itself, in the worker. */
  zxingMs: number;
  /** Set when decoding did not finish (unreadable image, time limit, decoder crash); `codes` holds what was found before. */
  error: string | null;
  /**
   * Every region the search would read was read: `codes` is all it can see. False when it stopped
   * at its goal or on an error, so a code not in `codes` may still be on the image (read it again
   * with that code as the goal before deciding it is not).
   */
  complete: boolean;
}

export const imageDecodeDefaults = { longEdge: 2400, tileLongEdge: 4800, tileSize: 1600, timeLimitMs: 10_000 } as const;

/** How many of the likeliest barcodes' surroundings a search for a known code reads before the whole first-pass copy. */
const labelsTried = 3;
/** Least edge of each of those regions (texture.ts, regionIn), in the copy's pixels. */
const labelLeast = 256;

/** Largest image whose tiled pass works from a full-size grey copy (one byte per pixel): the 54–64 MP herbarium sheets fit. */
const fullCopyMaxPixels = 70_000_000;

export async function decodeImageBarcodes(input: string | Buffer, opts: ImageDecodeOptions): Promise<ImageDecodeResult> {
  const started = performance.now();
  const formats = [...(opts.formats ?? defaultImageFormats)];
  const longEdge = opts.longEdge ?? imageDecodeDefaults.longEdge;
  const tileLongEdge = opts.tileLongEdge ?? imageDecodeDefaults.tileLongEdge;
  const tileSize = opts.tileSize ?? imageDecodeDefaults.tileSize;
  const deadline = started + (opts.timeLimitMs ?? imageDecodeDefaults.timeLimitMs);
  const found = new Map<string, ImageBarcode>();
  let zxingMs = 0;
  let tilesFirst = false;
  let labelsRead = 0;
  /** `whole`: the one region read was the whole image at full size, so nothing is left to read whatever the goal. */
  const result = (passes: number, tilesTried: number, size: { width: number; height: number } | null, error: string | null, whole = false): ImageDecodeResult => ({
    codes: [...found.values()],
    passes,
    tilesTried,
    tilesFirst,
    labelsRead,
    width: size?.width ?? null,
    height: size?.height ?? null,
    ms: Math.round(performance.now() - started),
    zxingMs,
    error,
    complete: error === null && (whole || !done()),
  });
  const run = async (grey: Grey, scale: 1 | 2, regions: Region[], mapTexture: boolean, returnGrey = false): Promise<PoolResult> => {
    const left = deadline - performance.now();
    if (left <= 0) throw new DecodeTimeout(opts.timeLimitMs ?? imageDecodeDefaults.timeLimitMs);
    const known = [...found.values()].filter((c) => c.valid).map((c) => c.text);
    const r = await opts.pool.decode({ grey: grey.data, width: grey.width, height: grey.height, scale, regions, mapTexture, returnGrey, formats, rules: opts.rules, goal, known, templates: opts.templates ?? {} }, left);
    zxingMs += r.ms;
    for (const c of r.codes) if (!found.has(`${c.format}\u0000${c.text}`)) found.set(`${c.format}\u0000${c.text}`, c);
    return r;
  };
  const goal = opts.goal ?? firstCode;
  const done = () => goalReached(found.values(), goal);

  let size: { width: number; height: number } | null = null;
  let passes = 0;
  let tiles = 0;
  try {
    const meta = await sharp(input, { limitInputPixels: false }).metadata();
    if (!meta.width || !meta.height) return result(0, 0, null, 'the image size could not be read');
    size = { width: meta.width, height: meta.height };
    const long = Math.max(size.width, size.height);
    const fast = meta.depth === 'uchar' && meta.space === 'srgb' && (meta.channels ?? 0) >= 3;

    passes = 1;
    const shrink = shrinkFor(long, longEdge);
    const finer = Math.min(shrink / 2, Math.max(1, shrinkFor(long, tileLongEdge)));
    // At ½ (a 24 MP camera JPEG, a 4000 px scan) sharp would decode the whole image at full size for
    // the first pass anyway and then resample three channels: one full-size grey copy, halved in
    // the worker, serves the first pass, and the tiles (at full size then) come from the same pixels.
    const shared = shrink === 2 ? await greyCopy(input, long, fast) : null;
    const jpegFile = typeof input === 'string' && meta.format === 'jpeg';
    // A JPEG file's tile copy is decoded at its scale by libjpeg itself (jpegAt): on
    // BR0000019933597 the ½ copy took 0.13 s, the whole search 0.39 s instead of 0.53 s.
    // Other formats at ½: the worker reduces each tile from a full-size copy, since sharp would
    // decode the whole image at full size for its ½ copy anyway and then resample all three colour
    // channels. Above fullCopyMaxPixels (large-format scans, where the full-size copy would be
    // 100+ MB next to QC's) sharp's ½ copy is taken after all.
    const inWorker = !jpegFile && finer === 2 && size.width * size.height <= fullCopyMaxPixels ? 2 : 1;
    const tileCopy = () => (jpegFile ? greyCopy(jpegAt(input, finer), null, fast) : greyCopy(input, Math.ceil((long * inWorker) / finer), fast));
    const firstAt = firstPassEdge(long, shrink, meta.format === 'jpeg');
    // QC's decode of the file, when it is at the first pass's scale: the file is decoded once for both.
    const pixels = !shared && jpegFile ? await (opts.shared?.start(meta, firstAt.jpegScale)?.catch(() => null) ?? null) : null;
    // The tiled pass's regions in a `width × height` copy, likeliest first by the first pass's
    // texture map: around the likeliest barcode, the square centred on its strongest block, then
    // every tile by its best block.
    const regionsOf = (width: number, height: number, map: TextureMap | null): { likely: Region[]; rest: Region[] } => {
      const grid = tilesOf(width, height, tileSize);
      if (!map) return { likely: [], rest: grid };
      const label = textureRegion(map);
      const hot = hotspot(width, height, map, tileSize / 2);
      return { likely: [...(label ? [regionIn(width, height, map, label, tileSize / 4)] : []), ...(hot ? [hot] : [])], rest: rankRegions(grid, width, height, map) };
    };
    let first: PoolResult;
    if (shared) first = await run(shared, 2, [], true, true);
    else {
      // A quick look (texture map of every fourth row: a few ms on a sheet) finds the likeliest
      // barcode. When its bars are too fine for zxing at this scale (BR0000019933597's label), the
      // tiled pass comes first, the tile copy decoded at once: it reads the label in a region around
      // the barcode, and the whole-image read (0.06 s of zxing that could not read it) is skipped,
      // when the label is all the search needs. With QC's decode at hand the look is
      // taken from it, so such a sheet's tile copy starts before the first pass's copy is made
      // (first-look.ts). The other sheets keep their order: starting the tile copy for every sheet
      // beside the first pass, with QC reading the same file on a 2-core station, made the two
      // sheets read in the first pass 0.08 s slower (0.25 → 0.34 s and 0.29 → 0.37 s, QC and
      // barcodes together), and with QC's decode shared, BR0000005182879 0.85–1.26× as long.
      // A large JPEG is looked at in its decode at libjpeg's scale: QC's when shared, else the
      // search's own (green only), from which the copy is then made, bit for bit as sharp makes it from
      // the file. So the search reads the same with or without QC's decode.
      const decoded: Decoded | null = jpegFile && fast && firstAt.jpegScale > 1 ? (pixels ?? (await greenAt(input, firstAt.jpegScale).catch(() => null))) : null;
      const firstCopy = () => greyCopy(decoded ?? input, firstAt.edge, fast);
      // A look that fails is taken from the copy instead.
      const early = decoded ? await lookAtDecode(decoded, firstAt.edge).catch(() => null) : null;
      const copy = early?.tooFine ? null : await firstCopy();
      const look = early ?? (copy && shrink > 1 ? lookAtCopy(new Uint8Array(copy.data), copy.width, copy.height) : null);
      if (look?.tooFine) {
        tilesFirst = true;
        passes = 2;
        // The quick map orders the tiles too (the full one would cost 10–15 ms more here).
        let grey: Grey | null = null;
        let rest: Region[];
        if (jpegFile) {
          // Only the likeliest tiles' part of the file is decoded at their scale, and the whole tile
          // copy only if they do not settle the search: libvips then stops decoding below that part
          // and makes no copy of the rest. On BR0000019933597, whose label is near the bottom, the
          // part took 0.43 of the whole ½ decode's time (less than the ¼ decode).
          const file = jpegAt(input, finer);
          const at = await sharp(file, { limitInputPixels: false }).metadata();
          if (!at.width || !at.height) throw new Error(`the image size at 1/${finer} could not be read`);
          const planned = regionsOf(at.width, at.height, look.map);
          rest = planned.rest;
          if (planned.likely.length > 0) {
            const box = enclosing(planned.likely);
            const part = await greyCopy(file, null, fast, box);
            tiles = (await run(part, 1, planned.likely.map((r) => ({ ...r, left: r.left - box.left, top: r.top - box.top })), false)).regionsTried;
          }
        } else {
          grey = await tileCopy();
          const planned = regionsOf(Math.floor(grey.width / inWorker), Math.floor(grey.height / inWorker), look.map);
          rest = planned.rest;
          const tried = planned.likely.length > 0 ? await run(grey, inWorker, planned.likely, false, true) : null;
          tiles = tried?.regionsTried ?? 0;
          if (tried?.grey) grey = { ...grey, data: tried.grey };
        }
        if (done()) return result(passes, tiles, size, null);
        // Then as for any other image: the whole copy, then every tile.
        await run(copy ?? (await firstCopy()), 1, [], false);
        if (done()) return result(passes, tiles, size, null);
        tiles += (await run(grey ?? (await tileCopy()), inWorker, rest, false)).regionsTried;
        return result(passes, tiles, size, null);
      }
      // A search for a known code (the object scanned for this shot) reads the surroundings of the
      // likeliest barcodes in the copy before the whole copy: where one of them is that code, zxing
      // reads a few small regions instead of the whole sheet. Not for other goals: the first label
      // there is the one with the strongest texture, where the whole copy reads every label it can
      // (BR0000013087944's own and its older barcode), and a shot waiting for its scan would be
      // taken for contradicting it more often.
      const whole = copy ?? (await firstCopy());
      const labels = look && goal.code !== null ? textureRegions(look.map, labelsTried) : [];
      if (look && labels.length > 0) {
        const near = await run(whole, 1, labels.map((r) => regionIn(whole.width, whole.height, look.map, r, labelLeast)), false, true);
        labelsRead = near.regionsTried;
        if (done()) return result(passes, 0, size, null);
        whole.data = near.grey!;
      }
      first = await run(whole, 1, [], shrink > 1);
    }
    // Seen at full size already: a code zxing cannot read there will not appear in tiles of it.
    if (done() || shrink === 1) return result(passes, 0, size, null, shrink === 1);

    passes = 2;
    const grey = shared && first.grey ? { ...shared, data: first.grey } : await tileCopy();
    const { likely, rest } = regionsOf(Math.floor(grey.width / inWorker), Math.floor(grey.height / inWorker), first.texture);
    tiles = (await run(grey, inWorker, [...likely, ...rest], false)).regionsTried;
    return result(passes, tiles, size, null);
  } catch (err) {
    return result(passes, tiles, size, err instanceof Error ? err.message : String(err));
  }
}

/**
 * The power-of-two reduction (1, 2, 4, 8) whose result is nearest to `edge` on a log scale. A JPEG
 * decodes 2–4× faster at exactly 1/2, 1/4 or 1/8 of its size (DCT scaling), and libvips shrinks other
 * formats by whole factors with a plain box filter, so these sizes are much cheaper than any other.
 */
export function shrinkFor(long: number, edge: number): number {
  let best = 1;
  for (const s of [2, 4, 8]) {
    if (Math.abs(Math.log(long / s / edge)) < Math.abs(Math.log(long / best / edge))) best = s;
  }
  return best;
}

/**
 * The long edge of the first pass's grey copy, and the scale libjpeg decodes a JPEG at for it.
 * sharp (pipeline.cc) has libjpeg decode at 1/p only when the whole reduction is at least p and its
 * integer part is not p itself ("known libjpeg rounding errors"): asked for exactly 1/4, it decodes
 * at 1/2 and resizes by 2. So a JPEG whose first pass is 1/4 or 1/8 asks for long/(p + 1): 20 % or
 * 11 % fewer pixels on the long edge, decoded at 1/p. Measured on the two Meise sheets (54–64 MP)
 * read in the first pass, old and new interleaved in one process: the whole search takes 0.52–0.64
 * of its former time (the copy is cheaper, and zxing has fewer pixels), and reads the same codes. At 1/2 the same trick would cost a third of the
 * resolution: such an image is decoded whole and halved, as every other format is reduced by its
 * exact factor.
 */
export function firstPassEdge(long: number, shrink: number, jpeg: boolean): { edge: number; jpegScale: number } {
  if (jpeg && shrink >= 4) return { edge: Math.floor(long / (shrink + 1)), jpegScale: shrink };
  return { edge: Math.ceil(long / shrink), jpegScale: 1 };
}

/**
 * A JPEG file named so that libvips loads it reduced by `scale` (1, 2, 4 or 8) in libjpeg itself
 * (DCT scaling): a load option in the file name, which libvips parses off the last `[…]` of any
 * name it opens (`vips_image_new_from_file`). sharp has no option for it and uses it on its own
 * only on the way to a copy of ⅓ or smaller (see firstPassEdge); a ½ copy of BR0000019933597
 * decoded this way took 0.13 s, against 0.24 s for the full-size decode sharp makes for it.
 */
export function jpegAt(file: string, scale: number): string {
  return scale === 1 ? file : `${file}[shrink=${scale}]`;
}

/** The green channel of a JPEG file decoded by libjpeg at 1/`scale` (jpegAt), as the first pass's copy would decode it. */
async function greenAt(file: string, scale: number): Promise<Decoded> {
  const { data, info } = await sharp(jpegAt(file, scale), { limitInputPixels: false, failOn: 'none' }).keepIccProfile().extractChannel(1).raw({ depth: 'uchar' }).toBuffer({ resolveWithObject: true });
  return { data, width: info.width, height: info.height, channels: 1 };
}

interface Grey {
  data: ArrayBuffer;
  width: number;
  height: number;
}

/**
 * One byte per pixel, `edge` px on the long edge (null: as loaded), of `area` only when given. Colour accuracy does not matter for reading a
 * barcode, so the embedded ICC profile is not applied (that transform cost more than the decode
 * itself on a 54 MP sheet), and an 8-bit RGB image gives its green channel, the one closest to
 * luminance, instead of a full colour-space conversion. Other images (16-bit, CMYK, grey) are
 * converted properly. Transparency is flattened onto white, as a label would be printed.
 */
async function greyCopy(input: string | Buffer | Decoded, edge: number | null, fastGreen: boolean, area?: Region): Promise<Grey> {
  const opened =
    typeof input === 'string' || Buffer.isBuffer(input)
      ? sharp(input, { limitInputPixels: false, failOn: 'none' })
      : sharp(input.data, { raw: { width: input.width, height: input.height, channels: input.channels } });
  const loaded = area ? opened.extract(area) : opened;
  const base = (edge === null ? loaded : loaded.resize(edge, edge, { fit: 'inside', withoutEnlargement: true })).keepIccProfile();
  // A green channel decoded already is resized as it is (libvips resizes each band on its own).
  const oneBand = typeof input === 'object' && !Buffer.isBuffer(input) && input.channels === 1;
  const grey = oneBand ? base.toColourspace('b-w') : fastGreen ? base.extractChannel(1) : base.flatten({ background: '#ffffff' }).greyscale().toColourspace('b-w');
  const { data, info } = await grey.raw({ depth: 'uchar' }).toBuffer({ resolveWithObject: true });
  if (info.channels !== 1) throw new Error(`expected a one-channel grey copy, got ${info.channels} channels`);
  // A copy that owns its memory, so it can be transferred to the worker without detaching libvips' pool.
  const own = new ArrayBuffer(data.byteLength);
  new Uint8Array(own).set(data);
  return { data: own, width: info.width, height: info.height };
}

/** The smallest rectangle holding every one of `regions` (at least one). */
function enclosing(regions: Region[]): Region {
  const left = Math.min(...regions.map((r) => r.left));
  const top = Math.min(...regions.map((r) => r.top));
  return { left, top, width: Math.max(...regions.map((r) => r.left + r.width)) - left, height: Math.max(...regions.map((r) => r.top + r.height)) - top };
}

/** Tiles of `size` px overlapping by a quarter, covering the image; the last row and column are flush with its edges. */
export function tilesOf(width: number, height: number, size: number): Region[] {
  const starts = (total: number): number[] => {
    if (total <= size) return [0];
    const stride = Math.floor((size * 3) / 4);
    const out: number[] = [];
    for (let s = 0; s + size < total; s += stride) out.push(s);
    out.push(total - size);
    return out;
  };
  const regions: Region[] = [];
  for (const top of starts(height)) {
    for (const left of starts(width)) regions.push({ left, top, width: Math.min(size, width), height: Math.min(size, height) });
  }
  return regions;
}
