/**
 * Whether a TIFF-based RAW holds all the data its directories point to. A RAW is identified, not
 * decoded (raw-identify.ts), so nothing else would notice a half-copied NEF — and the RAW is often
 * the master that retention later deletes locally. Every IFD of the main chain and its SubIFDs (where
 * NEF and DNG keep the full-size raw image) is read; an IFD, strip, tile or embedded JPEG that
 * starts or ends beyond the file's end means the file is cut short.
 */
import type { ByteSource } from './byte-source.js';
import { structureDamaged, structureTruncated, type DecodeFailure } from './failure.js';
import { readIfd, tag, type TiffHeader } from './tiff-ifd.js';

const subIfds = 330;
const jpegOffset = 513;
const jpegLength = 514;
const dataPairs: [offsets: number, counts: number][] = [
  [tag.stripOffsets, tag.stripByteCounts],
  [tag.tileOffsets, tag.tileByteCounts],
  [jpegOffset, jpegLength],
];
/** Panasonic RW2 (TIFF version 0x55) only: where its raw data starts (in TIFF proper, 280 is MinSampleValue). */
const rw2RawDataOffset = 280;
const wanted = new Set<number>([subIfds, rw2RawDataOffset, ...dataPairs.flat()]);
/** Cameras write a handful of IFDs; beyond this the chain is garbage and the rest is not followed. */
const maxIfds = 64;
/** An all-ones offset marks data left out (ExifTool's stripped samples), not a position in the file. */
const absent = 0xffffffff;

/** Null when every IFD and data block lies inside the file and there is image data at all. */
export async function rawStructureFailure(source: ByteSource, header: TiffHeader): Promise<DecodeFailure | null> {
  const size = source.size;
  const pending = [header.firstIfd];
  const visited = new Set<number>();
  let blocks = 0;
  while (pending.length > 0 && visited.size < maxIfds) {
    const offset = pending.shift()!;
    if (offset === 0 || visited.has(offset)) continue;
    if (offset >= size) return structureTruncated(`the file is ${size} bytes long, but one of its image directories (IFDs) starts at byte ${offset}`);
    visited.add(offset);
    const ifd = await readIfd(source, header, offset, wanted);
    if (!ifd) return structureDamaged(`its image directory (IFD) at byte ${offset} cannot be read`);
    for (const [offsetsTag, countsTag] of dataPairs) {
      const offsets = ifd.tags.get(offsetsTag);
      const counts = ifd.tags.get(countsTag);
      if (!Array.isArray(offsets)) continue;
      for (const [i, start] of offsets.entries()) {
        blocks++;
        const count = Array.isArray(counts) ? (counts[i] ?? 0) : 0;
        if (start === absent || count === 0) continue;
        if (start + count > size) return structureTruncated(`the file is ${size} bytes long, but its image data reaches byte ${start + count}`);
      }
    }
    const rw2Data = header.version === 0x55 ? ifd.tags.get(rw2RawDataOffset) : undefined;
    if (Array.isArray(rw2Data) && rw2Data[0] !== undefined && rw2Data[0] >= size) {
      return structureTruncated(`the file is ${size} bytes long, but its raw data starts at byte ${rw2Data[0]}`);
    }
    const children = ifd.tags.get(subIfds);
    if (Array.isArray(children)) pending.push(...children);
    pending.push(ifd.next);
  }
  return blocks === 0 ? structureDamaged('none of its image directories (IFDs) points to image data') : null;
}
