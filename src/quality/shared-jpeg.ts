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
 * QC's working copy is decoded at or at half of it; anything else, a barcode pass that needs another
 * scale, and QC when it asks before the barcode search, decode the file on their own as before.
 * At half QC's scale (a 60–120 MP sheet: QC at ⅛, the barcode search at ¼), QC halves the decode by
 * 2 × 2 means, which is what libjpeg's ⅛ scaling computes (each 8 × 8 block's mean) up to rounding:
 * on BR0000013087944 95 % of samples are equal and none is more than 2 levels off, and QC's focus
 * measure moves by 0.1 % (a lanczos resize from the ¼ decode would move it by 21 %). So there the
 * working copy is the same up to those rounding steps, not bit for bit; the ⅛ decode it spares costs
 * 75–85 % of the ¼ one. The halving (20–25 ms of JavaScript) runs in the measuring worker. The decode keeps
 * QC's rules: failOn 'error' and the decode time limit. A decode that fails here is not reported from
 * here: each consumer then decodes the file on its own, so a damaged file fails (or, for the barcode
 * search, is still searched) exactly as it did without sharing. Only a decode that ran past the time
 * limit is reported as such (the promise rejects with sharp's error), so QC does not wait twice.
 */
import sharp, { type Metadata } from 'sharp';
import { halveOffThread } from './measure-pool.js';
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
  /** The libjpeg scale `pixels` were decoded at. */
  private scale = 0;
  /** QC asked first and decodes the file on its own: a decode started now would serve nobody else. */
  private qcAlone = false;

  constructor(
    private readonly file: string,
    private readonly opts: AnalyzeOptions,
  ) {}

  /**
   * For the barcode search: the file decoded by libjpeg at `scale`, as raw RGB, the decode started
   * by this call; null at once when the file is not shared (see above), `scale` is neither QC's nor
   * half of it (a decode at any other would not spare QC its own), a decode at another scale was
   * started already, or QC is decoding it on its own already; null once the decode failed other
   * than by the time limit.
   */
  start(meta: SharedMeta, scale: number): Promise<RawRgb | null> | null {
    if (this.qcAlone || (this.pixels && scale !== this.scale)) return null;
    const qc = this.qcScale(meta);
    if (qc === null || scale < 2 || (scale !== qc && scale * 2 !== qc)) return null;
    this.scale = scale;
    this.pixels ??= this.decode(scale);
    return this.pixels;
  }

  /**
   * For QC: the decode the barcode search started, at `scale` (halved when it is at half that, see
   * above); null when there is none (QC then decodes the file on its own, and no decode is started
   * for the barcode search alone).
   */
  join(meta: SharedMeta, scale: number): Promise<RawRgb | null> | null {
    const pixels = this.pixels;
    if (pixels && this.qcScale(meta) === scale) {
      if (scale === this.scale) return pixels;
      // A halving that fails (its worker died) leaves QC to decode the file on its own.
      if (scale === this.scale * 2) return pixels.then((p) => p && halveOffThread(p).then((h) => ({ ...h, channels: 3 as const }), () => null));
    }
    this.qcAlone = true;
    return null;
  }

  /** The scale QC's working copy of this file is decoded at, when the file can be shared at all. */
  private qcScale(meta: SharedMeta): number | null {
    return shareable(meta, this.opts.maxInputPixels) ? jpegShrinkOnLoad(Math.max(meta.width, meta.height) / this.opts.workingSize) : null;
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
