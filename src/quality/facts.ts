/**
 * ImageFacts: what a file states about itself, from sharp's header read plus what sharp does not
 * expose truthfully (TIFF compression and resolution, stated ppi of JPEG/PNG, ICC description).
 */
import type { Metadata } from 'sharp';
import type { ByteSource } from './byte-source.js';
import { exifBasics, type Exif } from './exif.js';
import { iccDescription } from './icc.js';
import { imageFormats, type ImageFormat, type TiffCompression } from './profile.js';
import { ppiFromExif, ppiFromJfif, ppiFromPng, type Ppi } from './resolution.js';
import { firstNumber, tag, type TiffStructure } from './tiff-ifd.js';
import type { ImageFacts } from './types.js';

const compressionNames: Record<number, TiffCompression> = {
  1: 'none',
  2: 'ccitt',
  3: 'ccitt',
  4: 'ccitt',
  32771: 'ccitt',
  5: 'lzw',
  6: 'jpeg',
  7: 'jpeg',
  34892: 'jpeg',
  8: 'deflate',
  32946: 'deflate',
  32773: 'packbits',
  50000: 'zstd',
  50001: 'webp',
  34712: 'jp2k',
  34887: 'lerc',
  34925: 'lzma',
};

const depthBits: Record<string, number> = { uchar: 8, char: 8, ushort: 16, short: 16, uint: 32, int: 32, float: 32, double: 64, complex: 64, dpcomplex: 128 };

/** Facts of a file sharp could read the header of. `exif` comes from the TIFF tags or from sharp's EXIF blob. */
export async function imageFacts(meta: Metadata, tiff: TiffStructure | null, exif: Exif | null, head: Buffer, source: ByteSource): Promise<ImageFacts> {
  const basics = exifBasics(exif);
  return {
    format: (imageFormats as readonly string[]).includes(meta.format) && meta.format !== 'raw' ? (meta.format as ImageFormat) : 'other',
    formatDetail: meta.format,
    width: meta.width ?? null,
    height: meta.height ?? null,
    bitDepth: meta.bitsPerSample ?? depthBits[meta.depth] ?? null,
    channels: meta.channels ?? null,
    space: meta.space ?? null,
    hasAlpha: meta.hasAlpha ?? null,
    iccDescription: iccDescription(meta.icc),
    ppi: await statedPpi(meta.format, tiff, exif, head, source),
    pages: meta.pages ?? 1,
    tiffCompression: tiff?.ifd0 ? compressionOf(firstNumber(tiff.ifd0, tag.compression)) : null,
    exif: { ...basics, orientation: meta.orientation ?? basics.orientation },
  };
}

/** Absent means 1 (none), as the TIFF specification defines. */
function compressionOf(code: number | null): TiffCompression {
  return code === null ? 'none' : (compressionNames[code] ?? 'other');
}

/**
 * EXIF resolution wins over the JFIF header, as in libvips; a TIFF's EXIF shape carries its own
 * resolution tags (see exifFromTiffTags).
 */
async function statedPpi(format: string, tiff: TiffStructure | null, exif: Exif | null, head: Buffer, source: ByteSource): Promise<Ppi> {
  if (tiff) return ppiFromExif(exif);
  if (format === 'jpeg') return ppiFromExif(exif) ?? ppiFromJfif(head);
  if (format === 'png') return (await ppiFromPng(source)) ?? ppiFromExif(exif);
  return ppiFromExif(exif);
}
