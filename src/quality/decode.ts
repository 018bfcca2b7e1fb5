/**
 * The full decode and the working copy in one libvips pipeline: resizing to fit the working size
 * reads every pixel of page 0 (JPEG shrink-on-load still entropy-decodes the whole file), so a
 * file that decodes here decodes completely, and what comes out is the small copy the measures run
 * on. Pixels keep the file's own code values (embedded ICC profiles are not applied, 16-bit stays
 * 16-bit) so clipping is judged where the sensor or scanner clipped.
 */
import sharp, { type Metadata } from 'sharp';
import type { SampleLayout } from './measure.js';
import { measureOffThread } from './measure-pool.js';
import { jpegShrinkOnLoad, type SharedJpegDecode } from './shared-jpeg.js';
import type { AnalyzeOptions, Measurements } from './types.js';

/**
 * The station runs for days and decodes each file once: libvips' operation cache would only hold
 * memory and open files. Set once, for the whole process.
 */
sharp.cache(false);

/**
 * failOn 'error', not 'truncated'. Measured with sharp 0.35.5 / libvips 8.18 on an 800×600
 * uncompressed TIFF whose IFD precedes the pixel data, cut in half: with 'truncated' (and 'none')
 * the decode succeeds and the missing lower half comes back black; with 'error' it fails with
 * "tiff2vips: Read error at scanline 272; got 28578 bytes, expected 38400". (libtiff reports a
 * short strip as an error, not as truncation.) A TIFF written by libtiff and cut in half fails
 * either way, because its IFD is at the end of the file. Half a JPEG fails with 'truncated' or
 * stricter ("VipsJpeg: premature end of JPEG image"); 'warning' would also fail files for benign
 * libjpeg/libtiff warnings. test/quality/fail-on.test.ts keeps these measurements honest.
 */
const failOn = 'error';

/** Colour models libvips converts to RGB for measuring; other interpretations are measured as stored. */
const convertedToRgb = new Set(['cmyk', 'lab', 'labs', 'lch', 'cmc', 'xyz', 'yxy', 'hsv']);
const rgbSpaces = new Set(['srgb', 'rgb16', 'scrgb', 'rgb']);
/** White for integer sample types other than uchar/ushort, read as float: their full range. */
const integerFullScale: Record<string, number> = { char: 255, short: 65535, int: 2 ** 32 - 1, uint: 2 ** 32 - 1 };

interface Plan {
  colourspace: string;
  layout: Omit<SampleLayout, 'width' | 'height' | 'channels'>;
}

/** How to bring the decoded pixels into a buffer the measures can read without inventing values. */
export function planWorkingCopy(meta: Pick<Metadata, 'space' | 'depth'>, bitDepth: number | null): Plan {
  const wide = meta.depth !== 'uchar' && meta.depth !== 'char';
  if (convertedToRgb.has(meta.space)) {
    // Rendered to RGB: 8 or 16 bit, whatever the source held; clipping of the rendering only.
    return { colourspace: wide ? 'rgb16' : 'srgb', layout: { colourChannels: 3, type: wide ? 'ushort' : 'uchar', fullScale: wide ? 65535 : 255, judgeClipping: !isFloat(meta.depth) } };
  }
  const colourChannels = rgbSpaces.has(meta.space) ? 3 : 1;
  // Bilevel images are all black and white by nature: clipping says nothing about exposure there.
  const bilevel = bitDepth === 1;
  if (meta.depth === 'uchar') return { colourspace: meta.space, layout: { colourChannels, type: 'uchar', fullScale: 255, judgeClipping: !bilevel } };
  if (meta.depth === 'ushort') return { colourspace: meta.space, layout: { colourChannels, type: 'ushort', fullScale: 65535, judgeClipping: true } };
  return { colourspace: meta.space, layout: { colourChannels, type: 'float', fullScale: integerFullScale[meta.depth] ?? null, judgeClipping: false } };
}

function isFloat(depth: string): boolean {
  return depth === 'float' || depth === 'double' || depth === 'complex' || depth === 'dpcomplex';
}

/**
 * `shared`: the capture's one JPEG decode (shared-jpeg.ts). When it holds this file at the scale
 * sharp would decode it at for the working copy, the copy is made from those pixels: the same
 * resize of the same pixels, so the same copy, and the file was decoded completely (failOn
 * 'error') to get them. Otherwise, and when that decode failed, the file is decoded here as always.
 */
export async function decodeAndMeasure(file: string, meta: Metadata, bitDepth: number | null, opts: AnalyzeOptions, shared?: SharedJpegDecode): Promise<Measurements> {
  const plan = planWorkingCopy(meta, bitDepth);
  const pixels = plan.colourspace === 'srgb' ? await shared?.join(meta, jpegShrinkOnLoad(Math.max(meta.width ?? 0, meta.height ?? 0) / opts.workingSize)) : null;
  const input = pixels
    ? sharp(pixels.data, { raw: { width: pixels.width, height: pixels.height, channels: pixels.channels } })
    : sharp(file, { failOn, limitInputPixels: opts.maxInputPixels || false, sequentialRead: true, ignoreIcc: true });
  const { data, info } = await input
    .resize(opts.workingSize, opts.workingSize, { fit: 'inside', withoutEnlargement: true })
    .toColourspace(plan.colourspace)
    .raw({ depth: plan.layout.type })
    .timeout({ seconds: Math.max(1, Math.ceil(opts.decodeTimeoutSec)) })
    .toBuffer({ resolveWithObject: true });
  return measureOffThread(data, { ...plan.layout, width: info.width, height: info.height, channels: info.channels, colourChannels: info.channels < 3 ? 1 : plan.layout.colourChannels });
}
