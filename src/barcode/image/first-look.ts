/**
 * The first pass's quick look at a large image: where its likeliest barcode is (a quick texture map,
 * every fourth row) and whether that barcode's bars are too fine for zxing at the first pass's scale
 * (texture.ts, barsTooFine), which puts the tiled pass first. A large JPEG's is taken from its decode
 * at libjpeg's scale (QC's shared decode, quality/shared-jpeg.ts, or the search's own) before the
 * first pass's copy is made: the ⅘ copy costs 0.03 s on a herbarium sheet, and a sheet whose label is
 * too fine does not need it before its tiles. Other images' look is taken from their copy.
 */
import sharp from 'sharp';
import type { Region } from './protocol.js';
import { barsTooFine, textureMap, textureRegion, type TextureMap } from './texture.js';

export interface FirstLook {
  /** Of the image looked at: the grey copy, or the decode (coordinates in its pixels). */
  map: TextureMap;
  tooFine: boolean;
}

export function lookAtCopy(grey: Uint8Array, width: number, height: number): FirstLook {
  const map = textureMap(grey, width, height, 1, 4);
  const label = textureRegion(map);
  return { map, tooFine: !!label && barsTooFine(grey, width, label) };
}

/** A JPEG decoded at the first pass's libjpeg scale: QC's shared RGB decode, or the search's own green channel. */
export interface Decoded {
  data: Buffer;
  width: number;
  height: number;
  channels: 1 | 3;
}

/**
 * The same look from the decode the first pass's copy is made from, `copyEdge` px on the long
 * edge; with or without QC's shared decode the search looks from a decode (decode-image.ts), so its
 * result never depends on QC's settings. The map is of the decode's green channel (the channel the
 * copy keeps). The bars are judged at the copy's scale, where barsTooFine was measured: the label
 * with a margin is resampled by the copy's factor. Not on the copy's own pixel grid, so near one pixel
 * per module the weak share differs somewhat from the copy's (3 % and 38 % on BR0000005182879's and
 * BR0000019933597's labels, against 2 % and 36 % in the copy); a label near the threshold can be
 * judged otherwise than the copy would, which changes only the order of the reads.
 */
export async function lookAtDecode(decoded: Decoded, copyEdge: number): Promise<FirstLook> {
  const { width, height } = decoded;
  const green = decoded.channels === 1 ? decoded.data : await sharp(decoded.data, { raw: { width, height, channels: 3 } }).extractChannel(1).raw().toBuffer();
  const map = textureMap(new Uint8Array(green.buffer, green.byteOffset, green.byteLength), width, height, 1, 4);
  const label = textureRegion(map);
  if (!label) return { map, tooFine: false };
  const k = Math.min(1, copyEdge / Math.max(width, height));
  // Two blocks each side keep the resize's edge effects (lanczos3 reaches 3 px) off the label.
  const crop = widened(label, 2 * map.block, width, height);
  const out = { width: Math.max(1, Math.round(crop.width * k)), height: Math.max(1, Math.round(crop.height * k)) };
  // One band in, one band out: without b-w, libvips would hand back sRGB.
  const { data } = await sharp(green, { raw: { width, height, channels: 1 } }).extract(crop).resize(out.width, out.height, { fit: 'fill' }).toColourspace('b-w').raw().toBuffer({ resolveWithObject: true });
  const left = Math.min(out.width - 1, Math.round((label.left - crop.left) * k));
  const top = Math.min(out.height - 1, Math.round((label.top - crop.top) * k));
  const inCopy = { left, top, width: Math.max(1, Math.min(out.width - left, Math.round(label.width * k))), height: Math.max(1, Math.min(out.height - top, Math.round(label.height * k))) };
  return { map, tooFine: barsTooFine(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), out.width, inCopy) };
}

function widened(r: Region, by: number, width: number, height: number): Region {
  const left = Math.max(0, r.left - by);
  const top = Math.max(0, r.top - by);
  return { left, top, width: Math.min(width, r.left + r.width + by) - left, height: Math.min(height, r.top + r.height + by) - top };
}
