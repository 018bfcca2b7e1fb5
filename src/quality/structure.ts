/**
 * What the container structure says, independently of the decoder: whether a file is cut short
 * (a writer still busy, an interrupted copy) and whether a TIFF is damaged in ways libtiff
 * tolerates. Decoder messages do not tell truncation apart reliably — libvips reports a PNG cut in
 * half as "libpng read error" and a libtiff-written TIFF cut in half (its IFD is at the end) as
 * "unsupported image format" — so the ends of the containers are looked at instead.
 */
import type { ByteSource } from './byte-source.js';
import { tag, type TiffStructure } from './tiff-ifd.js';

export const structureTags: readonly number[] = [tag.stripOffsets, tag.stripByteCounts, tag.tileOffsets, tag.tileByteCounts];

export type Container = 'TIFF' | 'JPEG' | 'PNG' | 'WebP' | 'GIF';

/** The container a file's first bytes announce, whatever the decoder later makes of the rest. */
export function containerOf(head: Buffer): Container | null {
  const ascii = (at: number, length: number): string => head.toString('latin1', at, at + length);
  if (['II*\0', 'MM\0*', 'II+\0', 'MM\0+'].includes(ascii(0, 4))) return 'TIFF';
  if (head[0] === 0xff && head[1] === 0xd8) return 'JPEG';
  if (ascii(0, 4) === '\x89PNG') return 'PNG';
  if (ascii(0, 4) === 'RIFF' && ascii(8, 4) === 'WEBP') return 'WebP';
  if (ascii(0, 3) === 'GIF') return 'GIF';
  return null;
}

/** Evidence that the file ends before its container says it does. Only asked after a decode failed. */
export async function looksTruncated(source: ByteSource, head: Buffer, tiff: TiffStructure | null): Promise<boolean> {
  if (tiff) return tiff.ifd0 === null ? tiff.header.firstIfd >= source.size : dataExtents(tiff).some(([, end]) => end > source.size);
  const tail = await source.read(Math.max(0, source.size - 12), 12);
  switch (containerOf(head)) {
    case 'PNG':
      return tail.toString('latin1', 4, 8) !== 'IEND';
    case 'JPEG':
      return !(tail[tail.length - 2] === 0xff && tail[tail.length - 1] === 0xd9);
    case 'WebP':
      return head.readUInt32LE(4) + 8 > source.size;
    case 'GIF':
      return tail[tail.length - 1] !== 0x3b;
    default:
      return false;
  }
}

/** Structural damage in a TIFF that the decoder may not notice, as a phrase for the technician; null if none. */
export function tiffDamage(tiff: TiffStructure): string | null {
  if (tiff.loops) return 'its chain of image directories (IFDs) loops back on itself';
  const extents = dataExtents(tiff).sort((a, b) => a[0] - b[0]);
  for (let i = 1; i < extents.length; i++) {
    const [start, end] = extents[i]!;
    const [previousStart, previousEnd] = extents[i - 1]!;
    // Identical extents are legitimate (writers share one block between identical tiles); partial overlaps are not.
    if (start < previousEnd && !(start === previousStart && end === previousEnd)) return 'two of its blocks of image data (strips or tiles) overlap';
  }
  return null;
}

/** [start, end) of every non-empty strip or tile of the first image. */
function dataExtents(tiff: TiffStructure): [number, number][] {
  const tags = tiff.ifd0;
  const offsets = tags?.get(tag.stripOffsets) ?? tags?.get(tag.tileOffsets);
  const counts = tags?.get(tag.stripByteCounts) ?? tags?.get(tag.tileByteCounts);
  if (!Array.isArray(offsets) || !Array.isArray(counts)) return [];
  const extents: [number, number][] = [];
  offsets.forEach((offset, i) => {
    const count = counts[i] ?? 0;
    if (count > 0) extents.push([offset, offset + count]);
  });
  return extents;
}
