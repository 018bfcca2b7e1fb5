/** Images made in the test with sharp, so every expected verdict is known by construction. */
import fs from 'node:fs';
import path from 'node:path';
import sharp, { type Sharp } from 'sharp';
import { drawBarcode, type DrawOptions } from '../../src/barcode/image/index.js';

/** A textured, well-exposed frame: passes the default profile. `seed` varies the content; the pixels differ on every call. */
export function goodImage(seed = 0, width = 640, height = 480): Sharp {
  return gaussianNoise(width, height, 3, 110 + (seed % 30), 35);
}

/**
 * What sharp's `create: {noise: {type: 'gaussian'}}` makes (independent Gaussian noise in each band,
 * truncated and clipped to 0–255, as libvips casts it), a dozen times faster: libvips draws it on one thread, 0.4 s for a 1600 × 1200
 * frame, and the linking tests make hundreds. Each byte is looked up from 16 random bits in a table
 * of the clipped distribution's quantiles.
 */
export function gaussianNoise(width: number, height: number, channels: 1 | 3, mean: number, sigma: number): Sharp {
  const levels = new Uint8Array(65_536);
  for (let k = 0; k < levels.length; k++) levels[k] = Math.max(0, Math.min(255, Math.floor(mean + sigma * inverseNormal((k + 0.5) / levels.length))));
  const draws = new Uint16Array(width * height * channels);
  // getRandomValues fills at most 65,536 bytes per call.
  for (let i = 0; i < draws.length; i += 32_768) crypto.getRandomValues(draws.subarray(i, i + 32_768));
  const pixels = Buffer.alloc(draws.length);
  for (let i = 0; i < draws.length; i++) pixels[i] = levels[draws[i]!]!;
  return sharp(pixels, { raw: { width, height, channels } });
}

/** The standard normal quantile of `p` (Acklam's rational approximation, relative error < 1.2e-9). */
function inverseNormal(p: number): number {
  const a = [-39.69683028665376, 220.9460984245205, -275.9285104469687, 138.357751867269, -30.66479806614716, 2.506628277459239];
  const b = [-54.47609879822406, 161.5858368580409, -155.6989798598866, 66.80131188771972, -13.28068155288572];
  const c = [-0.007784894002430293, -0.3223964580411365, -2.400758277161838, -2.549732539343734, 4.374664141464968, 2.938163982698783];
  const d = [0.007784695709041462, 0.3224671290700398, 2.445134137142996, 3.754408661907416];
  const tail = (q: number) => (((((c[0]! * q + c[1]!) * q + c[2]!) * q + c[3]!) * q + c[4]!) * q + c[5]!) / ((((d[0]! * q + d[1]!) * q + d[2]!) * q + d[3]!) * q + 1);
  if (p < 0.02425) return tail(Math.sqrt(-2 * Math.log(p)));
  if (p > 1 - 0.02425) return -tail(Math.sqrt(-2 * Math.log(1 - p)));
  const q = p - 0.5;
  const r = q * q;
  return ((((((a[0]! * r + a[1]!) * r + a[2]!) * r + a[3]!) * r + a[4]!) * r + a[5]!) * q) / (((((b[0]! * r + b[1]!) * r + b[2]!) * r + b[3]!) * r + b[4]!) * r + 1);
}

/**
 * A frame whose pixels follow from `seed` alone (goodImage's libvips noise differs on every call):
 * broad waves, which a perceptual hash sees, under a seeded texture, which the focus measure sees.
 * For tests that compare two ways of measuring one file and need the same file on every machine.
 */
export function seededImage(seed: number, width: number, height: number): Sharp {
  const random = mulberry32(seed);
  const waves = Array.from({ length: 4 }, () => ({ fx: 1 + 3 * random(), fy: 1 + 3 * random(), phase: 2 * Math.PI * random(), amplitude: 15 + 15 * random() }));
  // The texture is drawn in 12-pixel cells so that it survives the ⅛ and smaller decodes QC measures.
  const cell = 12;
  const columns = Math.ceil(width / cell);
  const texture = Float64Array.from({ length: columns * Math.ceil(height / cell) }, () => 60 * (random() - 0.5));
  const data = Buffer.alloc(width * height * 3);
  for (let y = 0, i = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      let level = 125 + texture[Math.floor(y / cell) * columns + Math.floor(x / cell)]!;
      for (const w of waves) level += w.amplitude * Math.sin(2 * Math.PI * ((w.fx * x) / width + (w.fy * y) / height) + w.phase);
      for (let c = 0; c < 3; c++) data[i++] = Math.max(0, Math.min(255, Math.round(level + 8 * c - 4)));
    }
  }
  return sharp(data, { raw: { width, height, channels: 3 } });
}

/** Mulberry32: a small seeded generator of uniform numbers in [0, 1). */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Written under a dot name and renamed into place, as tethering programs do: libtiff writes in
 * several steps, and under load a half-written file could sit still for a hot folder's stability window.
 */
export async function writeGoodTiff(file: string, seed = 0): Promise<void> {
  const writing = path.join(path.dirname(file), `.${path.basename(file)}.writing`);
  await goodImage(seed).tiff({ compression: 'lzw' }).toFile(writing);
  fs.renameSync(writing, file);
}

export async function goodJpegBuffer(seed = 0, width = 640, height = 480): Promise<Buffer> {
  return goodImage(seed, width, height).jpeg({ quality: 90 }).toBuffer();
}

/**
 * A multi-page image, one flat page per grey level. The pages are made as PNG buffers first: sharp
 * accepts `{create}` objects in a join array at run time, but its typings take only buffers and paths.
 */
export async function pagedImage(greys: readonly number[], width: number, height: number): Promise<Sharp> {
  const pages = await Promise.all(greys.map((g) => sharp({ create: { width, height, channels: 3, background: { r: g, g, b: g } } }).png().toBuffer()));
  return sharp(pages, { join: { animated: true } });
}

/** A well-exposed textured frame (passes the default profile) with a label carrying `code` in `format` (several codes: one under the other). */
export async function labelled(file: string, code: string | readonly string[], seed: number, format: DrawOptions['format'] = 'Code128'): Promise<void> {
  const codes = typeof code === 'string' ? [code] : code;
  const symbols = await Promise.all(codes.map((c) => drawBarcode(c, { format, scale: 3 })));
  const label = await sharp({ create: { width: 600, height: 260 * codes.length, channels: 3, background: '#ffffff' } })
    .composite(symbols.map((input, i) => ({ input, left: 20, top: 20 + 260 * i })))
    .png()
    .toBuffer();
  // Uncompressed: LZW gains nothing on noise and took 0.2 s of the 0.3 s a sheet costs to make.
  await goodImage(seed, 1600, 1200)
    .composite([{ input: label, left: 900, top: 1110 - 260 * codes.length }])
    .tiff({ compression: 'none' })
    .toFile(file);
}
