/**
 * Exposure, blank, focus and hash measures on the small working copy, in plain JS: a 1024-pixel
 * copy is a few million samples, tens of milliseconds of work — run in a worker thread
 * (measure-pool.ts) so they never hold the station's event loop.
 */
import { perceptualHash } from './phash.js';
import type { Measurements } from './types.js';

/** How the working copy's samples are to be read. */
export interface SampleLayout {
  width: number;
  height: number;
  /** Interleaved samples per pixel in the buffer, alpha and extra samples included. */
  channels: number;
  /** The first 1 (grey) or 3 (RGB) samples of a pixel are colour; the rest (alpha…) are ignored. */
  colourChannels: 1 | 3;
  type: 'uchar' | 'ushort' | 'float';
  /**
   * The sample value that is white, for luminance on a 0–255 scale; null for float data, whose
   * white is 1 if every sample lies in 0–1 (scRGB, half-float scans) and else 255 (libvips'
   * convention for float sRGB and grey).
   */
  fullScale: number | null;
  /** Whether black (0) and white (fullScale) are real code values at which a sensor clips. */
  judgeClipping: boolean;
}

/** Rec. 709 luma weights, applied to the encoded values as a camera's own luma would be. */
export const lumaWeights = [0.2126, 0.7152, 0.0722] as const;

export function measure(data: Buffer, layout: SampleLayout): Measurements {
  const samples = view(data, layout.type);
  const { width, height, channels, colourChannels } = layout;
  const pixels = width * height;
  const fullScale = layout.fullScale ?? (maxColourSample(samples, layout) <= 1 ? 1 : 255);

  const clippedBlack = new Array<number>(colourChannels).fill(0);
  const clippedWhite = new Array<number>(colourChannels).fill(0);
  const luma = new Float32Array(pixels);
  const toLuma = 255 / fullScale;
  for (let p = 0, i = 0; p < pixels; p++, i += channels) {
    let y = 0;
    for (let c = 0; c < colourChannels; c++) {
      const v = samples[i + c]!;
      if (v <= 0) clippedBlack[c]!++;
      else if (v >= fullScale) clippedWhite[c]!++;
      y += colourChannels === 3 ? v * lumaWeights[c as 0 | 1 | 2] : v;
    }
    luma[p] = y * toLuma;
  }

  const lumaVariance = variance(luma);
  const percent = (count: number): number => round((100 * count) / pixels, 3);
  return {
    workingWidth: width,
    workingHeight: height,
    clippedBlackPct: layout.judgeClipping ? clippedBlack.map(percent) : [],
    clippedWhitePct: layout.judgeClipping ? clippedWhite.map(percent) : [],
    lumaStdDev: round(Math.sqrt(lumaVariance), 3),
    focus: lumaVariance > 0 ? round(laplacianVariance(luma, width, height) / lumaVariance, 5) : 0,
    phash: perceptualHash(luma, width, height),
  };
}

function view(data: Buffer, type: SampleLayout['type']): ArrayLike<number> {
  if (type === 'uchar') return data;
  const bytes = type === 'ushort' ? 2 : 4;
  // Typed arrays need aligned offsets; sharp's output buffers are, but a copy costs little if not.
  const aligned = data.byteOffset % bytes === 0 ? data : Buffer.from(data);
  return type === 'ushort' ? new Uint16Array(aligned.buffer, aligned.byteOffset, aligned.length / 2) : new Float32Array(aligned.buffer, aligned.byteOffset, aligned.length / 4);
}

function maxColourSample(samples: ArrayLike<number>, layout: SampleLayout): number {
  let max = -Infinity;
  for (let i = 0; i < samples.length; i += layout.channels) for (let c = 0; c < layout.colourChannels; c++) max = Math.max(max, samples[i + c]!);
  return max;
}

function variance(values: Float32Array): number {
  if (values.length === 0) return 0;
  let sum = 0;
  let sumSq = 0;
  for (const v of values) {
    sum += v;
    sumSq += v * v;
  }
  const mean = sum / values.length;
  return Math.max(0, sumSq / values.length - mean * mean);
}

/** Variance of the 4-neighbour Laplacian over interior pixels (0 for images under 3×3). */
function laplacianVariance(luma: Float32Array, width: number, height: number): number {
  if (width < 3 || height < 3) return 0;
  const lap = new Float32Array((width - 2) * (height - 2));
  let k = 0;
  for (let y = 1; y < height - 1; y++) {
    for (let x = 1; x < width - 1; x++) {
      const i = y * width + x;
      lap[k++] = luma[i - 1]! + luma[i + 1]! + luma[i - width]! + luma[i + width]! - 4 * luma[i]!;
    }
  }
  return variance(lap);
}

function round(value: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}
