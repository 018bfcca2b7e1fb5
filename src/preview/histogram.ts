/**
 * The histogram of a preview: 256 bins for R, G, B and luminance, counted on the 8-bit sRGB
 * preview itself (what the technician sees), with luminance weighted as QC weights it.
 */
import { lumaWeights } from '../quality/measure.js';

export interface Histogram {
  /** Pixels counted (the preview's width × height). */
  pixels: number;
  r: number[];
  g: number[];
  b: number[];
  luma: number[];
}

/** `rgb`: interleaved 8-bit samples, `channels` per pixel, the first three R, G, B. */
export function histogramOf(rgb: Uint8Array, channels: number): Histogram {
  if (channels < 3) throw new RangeError(`histogramOf needs RGB samples, got ${channels} channel(s)`);
  const r = new Array<number>(256).fill(0);
  const g = new Array<number>(256).fill(0);
  const b = new Array<number>(256).fill(0);
  const luma = new Array<number>(256).fill(0);
  const [wr, wg, wb] = lumaWeights;
  let pixels = 0;
  for (let i = 0; i + 2 < rgb.length; i += channels, pixels++) {
    const vr = rgb[i]!;
    const vg = rgb[i + 1]!;
    const vb = rgb[i + 2]!;
    r[vr]!++;
    g[vg]!++;
    b[vb]!++;
    luma[Math.min(255, Math.round(wr * vr + wg * vg + wb * vb))]!++;
  }
  return { pixels, r, g, b, luma };
}
