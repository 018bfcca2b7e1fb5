/**
 * One libjpeg decode of a capture, shared by QC's working copy and the barcode search's first pass.
 * Both reduce a large JPEG through libjpeg's DCT scaling, which still entropy-decodes the whole file,
 * so a herbarium sheet used to be decoded twice at the same scale, side by side on a 2-core station.
 * Here the barcode search starts one decode at that scale into raw RGB, QC joins it, and each makes
 * its own copy from those pixels. The pixels are exactly what sharp's own pipeline would have made
 * from the file at that scale (the same libvips load, options and colour handling), so QC's working
 * copy and the barcode copy come out bit for bit as before (test/quality/shared-jpeg.test.ts).
 *
 * Only a plain 8-bit, 3-channel sRGB JPEG is shared, within QC's pixel limit, and only at the scale
 * QC's working copy is decoded at; anything else, a barcode pass that needs another scale, and QC
 * when it asks before the barcode search, decode the file on their own as before. The decode keeps
 * QC's rules: failOn 'error' and the decode time limit. A decode that fails here is not reported from
 * here: each consumer then decodes the file on its own, so a damaged file fails (or, for the barcode
 * search, is still searched) exactly as it did without sharing. Only a decode that ran past the time
 * limit is reported as such (the promise rejects with sharp's error), so QC does not wait twice.
 */
import sharp, { type Metadata } from 'sharp';
import type { AnalyzeOptions } from './types.js';

export interface RawRgb {
  data: Buffer;
  width: number;
  height: number;
  channels: 3;
}

/**
 * The scale (1, 2, 4, 8) at which sharp 0.35 has libjpeg decode a JPEG when asked to reduce it by
 * `reduction` (pipeline.cc, fastShrinkOnLoad on): the largest of 8, 4, 2 not above it, halved when
 * the reduction's integer part is that factor itself ("known libjpeg rounding errors").
 */
export function jpegShrinkOnLoad(reduction: number): number {
  const s = reduction >= 8 ? 8 : reduction >= 4 ? 4 : reduction >= 2 ? 2 : 1;
  return s > 1 && Math.floor(reduction) === s ? s / 2 : s;
}

export class SharedJpegDecode {
  private pixels: Promise<RawRgb | null> | null = null;
  /** QC asked first and decodes the file on its own: a decode started now would serve nobody else. */
  private qcAlone = false;

  constructor(
    private readonly file: string,
    private readonly opts: AnalyzeOptions,
  ) {}

  /**
   * For the barcode search: the file decoded by libjpeg at `scale`, as raw RGB, the decode started
   * by this call; null at once when the file is not shared (see above), `scale` is not the one QC's
   * working copy is made at (a decode at any other would not spare QC its own), or QC is decoding it
   * on its own already, and null once the decode failed other than by the time limit.
   */
  start(meta: SharedMeta, scale: number): Promise<RawRgb | null> | null {
    if (this.qcAlone || !this.atQcScale(meta, scale)) return null;
    this.pixels ??= this.decode(scale);
    return this.pixels;
  }

  /**
   * For QC: the decode the barcode search started, when it is at `scale`; null when there is none
   * (QC then decodes the file on its own, and no decode is started for the barcode search alone).
   */
  join(meta: SharedMeta, scale: number): Promise<RawRgb | null> | null {
    if (this.pixels && this.atQcScale(meta, scale)) return this.pixels;
    this.qcAlone = true;
    return null;
  }

  private atQcScale(meta: SharedMeta, scale: number): boolean {
    return shareable(meta, this.opts.maxInputPixels) && scale >= 2 && scale === jpegShrinkOnLoad(Math.max(meta.width, meta.height) / this.opts.workingSize);
  }

  private async decode(scale: number): Promise<RawRgb | null> {
    try {
      // The scale goes in as a load option in the file name (libvips parses the last `[…]` of any
      // name it opens); sharp asks libjpeg for the same when it shrinks on load.
      const { data, info } = await sharp(`${this.file}[shrink=${scale}]`, { failOn: 'error', limitInputPixels: false, sequentialRead: true, ignoreIcc: true })
        .raw({ depth: 'uchar' })
        .timeout({ seconds: Math.max(1, Math.ceil(this.opts.decodeTimeoutSec)) })
        .toBuffer({ resolveWithObject: true });
      return info.channels === 3 ? { data, width: info.width, height: info.height, channels: 3 } : null;
    } catch (err) {
      if (err instanceof Error && /^timeout\b/i.test(err.message)) throw err;
      return null;
    }
  }
}

type SharedMeta = Pick<Metadata, 'format' | 'depth' | 'space' | 'channels' | 'hasAlpha' | 'width' | 'height'>;

function shareable(meta: SharedMeta, maxInputPixels: number): meta is SharedMeta & { width: number; height: number } {
  if (meta.format !== 'jpeg' || meta.depth !== 'uchar' || meta.space !== 'srgb' || meta.channels !== 3 || meta.hasAlpha) return false;
  // QC's limit is on the file's own size; loaded reduced, sharp would check only the reduced one.
  return !!meta.width && !!meta.height && (maxInputPixels === 0 || meta.width * meta.height <= maxInputPixels);
}
