/**
 * The first pass's quick look at a large image: where its likeliest barcode is (a quick texture map,
 * every fourth row) and whether that barcode's bars are too fine for zxing at the first pass's scale
 * (texture.ts, barsTooFine), which puts the tiled pass first. Taken either from the first pass's grey
 * copy, or, when the capture's shared JPEG decode (quality/shared-jpeg.ts) is at hand, from that
 * decode itself before the copy is made: the ⅘ copy costs 0.03 s on a herbarium sheet, and a sheet
 * whose label is too fine does not need it before its tiles.
 */
import sharp from 'sharp';
import type { RawRgb } from '../../quality/shared-jpeg.js';
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

/**
 * The same look from the decode the first pass's copy will be made from, `copyEdge` px on the long
 * edge. The map is of the decode's green channel (the channel the copy keeps). The bars are judged
 * where barsTooFine was measured, at the copy's scale: the label with a margin is resampled as the
 * copy is (the same libvips resize), so the judgement is made on what zxing would see. On the Meise
 * sheets 3 % and 38 % of the swings came out weak, against 2 % and 36 % in the copy itself.
 */
export async function lookAtDecode(pixels: RawRgb, copyEdge: number): Promise<FirstLook> {
  const { width, height } = pixels;
  const raw = { raw: { width, height, channels: pixels.channels } };
  const green = await sharp(pixels.data, raw).extractChannel(1).raw().toBuffer();
  const map = textureMap(new Uint8Array(green.buffer, green.byteOffset, green.byteLength), width, height, 1, 4);
  const label = textureRegion(map);
  if (!label) return { map, tooFine: false };
  const k = Math.min(1, copyEdge / Math.max(width, height));
  // Two blocks each side keep the resize's edge effects (lanczos3 reaches 3 px) off the label.
  const crop = widened(label, 2 * map.block, width, height);
  const out = { width: Math.max(1, Math.round(crop.width * k)), height: Math.max(1, Math.round(crop.height * k)) };
  const { data } = await sharp(pixels.data, raw).extract(crop).resize(out.width, out.height, { fit: 'fill' }).extractChannel(1).raw().toBuffer({ resolveWithObject: true });
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
