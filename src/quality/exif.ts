/**
 * EXIF basics (camera, lens, exposure, capture time, orientation). Two sources give the same shape:
 * an EXIF blob as sharp returns it for JPEG/PNG/WebP (parsed by exif-reader), and the tags of a
 * TIFF's own IFD0 and Exif IFD (a TIFF carries its EXIF in its structure; sharp gives no blob).
 * Camera firmware writes every kind of malformed EXIF, so nothing here trusts a field's type.
 */
import exifReader from 'exif-reader';
import type { ByteSource } from './byte-source.js';
import type { ExifBasics } from './types.js';
import { firstNumber, readIfd, tag, type Tags, type TiffHeader } from './tiff-ifd.js';

export type Exif = exifReader.Exif;

export function parseExifBlob(blob: Buffer | undefined): Exif | null {
  if (!blob) return null;
  try {
    return exifReader(blob);
  } catch {
    return null;
  }
}

/** IFD0 tags that EXIF basics (and the pointer to the Exif IFD) come from. */
export const exifIfd0Tags: readonly number[] = [tag.make, tag.model, tag.orientation, tag.dateTime, tag.xResolution, tag.yResolution, tag.resolutionUnit, tag.exifIfd];
export const exifIfdTags = new Set<number>([tag.exposureTime, tag.fNumber, tag.iso, tag.dateTimeOriginal, tag.offsetTimeOriginal, tag.bodySerialNumber, tag.lensModel]);

/** EXIF of a TIFF-structured file whose IFD0 is already read: follows IFD0's pointer to the Exif IFD. */
export async function exifOfTiff(source: ByteSource, header: TiffHeader, ifd0: Tags): Promise<Exif> {
  const pointer = firstNumber(ifd0, tag.exifIfd);
  const exif = pointer === null ? null : await readIfd(source, header, pointer, exifIfdTags);
  return exifFromTiffTags(ifd0, exif?.tags ?? null);
}

/** The tags of a TIFF (or TIFF-based RAW) in exif-reader's shape, so one reading serves both sources. */
export function exifFromTiffTags(ifd0: Tags, exifIfd: Tags | null): Exif {
  const one = (tags: Tags | null, id: number): unknown => {
    const value = tags?.get(id);
    return Array.isArray(value) ? value[0] : value;
  };
  return {
    bigEndian: false,
    Image: {
      Make: one(ifd0, tag.make),
      Model: one(ifd0, tag.model),
      Orientation: one(ifd0, tag.orientation),
      DateTime: one(ifd0, tag.dateTime),
      XResolution: one(ifd0, tag.xResolution),
      YResolution: one(ifd0, tag.yResolution),
      ResolutionUnit: one(ifd0, tag.resolutionUnit),
    } as Exif['Image'],
    Photo: {
      ExposureTime: one(exifIfd, tag.exposureTime),
      FNumber: one(exifIfd, tag.fNumber),
      ISOSpeedRatings: one(exifIfd, tag.iso),
      DateTimeOriginal: one(exifIfd, tag.dateTimeOriginal),
      OffsetTimeOriginal: one(exifIfd, tag.offsetTimeOriginal),
      BodySerialNumber: one(exifIfd, tag.bodySerialNumber),
      LensModel: one(exifIfd, tag.lensModel),
    } as Exif['Photo'],
  };
}

const noExif: ExifBasics = { make: null, model: null, serial: null, lens: null, iso: null, exposureTime: null, fNumber: null, captureTime: null, orientation: null };

export function exifBasics(exif: Exif | null): ExifBasics {
  if (!exif) return noExif;
  const image: Record<string, unknown> = exif.Image ?? {};
  const photo: Record<string, unknown> = exif.Photo ?? {};
  const orientation = positive(image['Orientation']);
  const time = timestamp(photo['DateTimeOriginal']) ?? timestamp(image['DateTime']);
  const offset = text(photo['OffsetTimeOriginal']);
  return {
    make: text(image['Make']),
    model: text(image['Model']),
    serial: text(photo['BodySerialNumber']),
    lens: text(photo['LensModel']),
    iso: positive(photo['ISOSpeedRatings']),
    exposureTime: positive(photo['ExposureTime']),
    fNumber: positive(photo['FNumber']),
    captureTime: time && offset && /^[+-]\d\d:\d\d$/.test(offset) ? time + offset : time,
    orientation: orientation !== null && Number.isInteger(orientation) && orientation <= 8 ? orientation : null,
  };
}

export function text(value: unknown): string | null {
  const raw = Buffer.isBuffer(value) ? value.toString('utf8') : typeof value === 'string' ? value : null;
  const trimmed = raw?.replace(/\0[\s\S]*$/, '').trim();
  return trimmed ? trimmed : null;
}

function positive(value: unknown): number | null {
  const n = Array.isArray(value) ? value[0] : value;
  return typeof n === 'number' && Number.isFinite(n) && n > 0 ? n : null;
}

/**
 * "2017-03-13T23:03:09" from exif-reader's Date (built as if UTC) or from the raw EXIF string. The
 * placeholder "0000:00:00 00:00:00" of cameras without a clock is no time (exif-reader turns it into
 * a Date in 1899).
 */
function timestamp(value: unknown): string | null {
  const iso = value instanceof Date ? (Number.isNaN(value.getTime()) ? null : value.toISOString().slice(0, 19)) : exifDateString(value);
  return iso && iso >= '1900' ? iso : null;
}

function exifDateString(value: unknown): string | null {
  const match = typeof value === 'string' ? /^(\d{4}):(\d\d):(\d\d) (\d\d):(\d\d):(\d\d)/.exec(value) : null;
  return match ? `${match[1]}-${match[2]}-${match[3]}T${match[4]}:${match[5]}:${match[6]}` : null;
}
