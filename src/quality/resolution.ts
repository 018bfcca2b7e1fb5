/**
 * Pixels per inch as a file states them. sharp's `density` cannot tell "states 72 ppi" from "states
 * nothing": measured with sharp 0.35.5 / libvips 8.18, a JPEG without JFIF density or EXIF
 * resolution and a PNG without pHYs both report density 72 (libvips' default), and densities at or
 * below 25.4 ppi are not reported at all. So the statement is read from the file itself: TIFF tags,
 * EXIF, the JFIF APP0 header, the PNG pHYs chunk.
 */
import type { ByteSource } from './byte-source.js';
import type { Exif } from './exif.js';
import type { ImageFacts } from './types.js';

export type Ppi = ImageFacts['ppi'];

/** TIFF/EXIF ResolutionUnit: 2 inch (the default when absent), 3 centimetre; 1 means "no absolute unit". */
export function ppiFrom(x: unknown, y: unknown, unit: unknown): Ppi {
  const u = unit === undefined || unit === null ? 2 : unit;
  if ((u !== 2 && u !== 3) || !isPositive(x) || !isPositive(y)) return null;
  const perInch = u === 3 ? 2.54 : 1;
  return { x: round(x * perInch), y: round(y * perInch) };
}

export function ppiFromExif(exif: Exif | null): Ppi {
  const image: Record<string, unknown> = exif?.Image ?? {};
  return ppiFrom(image['XResolution'], image['YResolution'], image['ResolutionUnit']);
}

/** JFIF APP0 right after SOI: units 1 dots per inch, 2 dots per cm, 0 only an aspect ratio. */
export function ppiFromJfif(head: Buffer): Ppi {
  if (head.length < 18 || head.readUInt16BE(0) !== 0xffd8 || head.readUInt16BE(2) !== 0xffe0 || head.toString('latin1', 6, 11) !== 'JFIF\0') return null;
  const units = head[13];
  return ppiFrom(head.readUInt16BE(14), head.readUInt16BE(16), units === 1 ? 2 : units === 2 ? 3 : 1);
}

/** The pHYs chunk (before IDAT): pixels per metre when its unit byte is 1, else only an aspect ratio. */
export async function ppiFromPng(source: ByteSource): Promise<Ppi> {
  let at = 8;
  for (let chunks = 0; chunks < 1000; chunks++) {
    const head = await source.read(at, 8);
    if (head.length < 8) return null;
    const length = head.readUInt32BE(0);
    const type = head.toString('latin1', 4, 8);
    if (type === 'IDAT' || type === 'IEND') return null;
    if (type === 'pHYs') {
      const data = await source.read(at + 8, 9);
      if (data.length < 9 || data[8] !== 1) return null;
      return ppiFrom(data.readUInt32BE(0) * 0.0254, data.readUInt32BE(4) * 0.0254, 2);
    }
    at += 12 + length;
  }
  return null;
}

function isPositive(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value) && value > 0;
}

/**
 * To 0.01 ppi: metric statements are whole pixels per metre or centimetre, so "300 ppi" in a PNG
 * is 11811 px/m = 299.9994 ppi, and must still meet a 300 ppi minimum.
 */
function round(value: number): number {
  return Math.round(value * 100) / 100;
}
