/**
 * The display copy of a capture: upright (EXIF/TIFF orientation applied), at most `longEdge` pixels
 * on its long side, 8-bit sRGB (an embedded ICC profile is applied; CMYK, Lab, 16-bit and float
 * files are rendered to sRGB by libvips), encoded as JPEG. The histogram is counted on the same
 * pixels the JPEG is made from.
 */
import sharp from 'sharp';
import { histogramOf, type Histogram } from './histogram.js';

export interface RenderOptions {
  longEdge: number;
  /** Largest image (width × height) to decode; 0 = no limit (qc.maxInputPixels). */
  maxInputPixels: number;
  /** A decode taking longer is stopped (qc.decodeTimeoutSec). */
  timeoutSec: number;
  quality?: number;
}

export interface RenderedPreview {
  jpeg: Buffer;
  width: number;
  height: number;
  histogram: Histogram;
}

export async function renderPreview(file: string, opts: RenderOptions): Promise<RenderedPreview> {
  // failOn 'error' as in QC (src/quality/decode.ts): a damaged file fails here instead of showing invented pixels.
  const { data, info } = await sharp(file, { failOn: 'error', limitInputPixels: opts.maxInputPixels || false })
    .autoOrient()
    .resize(opts.longEdge, opts.longEdge, { fit: 'inside', withoutEnlargement: true })
    .toColourspace('srgb')
    .removeAlpha()
    .raw({ depth: 'uchar' })
    .timeout({ seconds: Math.max(1, Math.ceil(opts.timeoutSec)) })
    .toBuffer({ resolveWithObject: true });
  const histogram = histogramOf(data, info.channels);
  const jpeg = await sharp(data, { raw: { width: info.width, height: info.height, channels: info.channels } })
    .jpeg({ quality: opts.quality ?? 82, mozjpeg: false })
    .toBuffer();
  return { jpeg, width: info.width, height: info.height, histogram };
}
