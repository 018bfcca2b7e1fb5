/**
 * A small reader of TIFF structure: the header, selected tags of one IFD, and the chain of IFDs
 * (to count pages and find loops). Classic TIFF and BigTIFF, both byte orders, plus the TIFF-shaped
 * headers of RAW formats that only change the version number (Panasonic RW2, Olympus ORF).
 *
 * Input may be hostile (fuzzer output, half-written files), so every offset and count is checked
 * against the file size and fixed bounds before anything is read, and nothing here throws: garbage
 * gives null or an absent tag.
 */
import type { ByteSource } from './byte-source.js';

export type TagValue = number[] | string;
export type Tags = ReadonlyMap<number, TagValue>;

export interface TiffHeader {
  littleEndian: boolean;
  bigTiff: boolean;
  /** 42 TIFF, 43 BigTIFF, or a RAW vendor's variant of 42 (0x55 RW2, 0x4f52 / 0x5352 ORF). */
  version: number;
  firstIfd: number;
}

export interface TiffStructure {
  header: TiffHeader;
  /** The wanted tags of the first IFD; null when it lies outside the file or cannot be read. */
  ifd0: Tags | null;
  /** IFDs in the main chain (pages), counted up to `maxIfds`. */
  ifdCount: number;
  /** The chain leads back to an IFD already visited. */
  loops: boolean;
}

export const tag = {
  imageWidth: 256,
  imageLength: 257,
  bitsPerSample: 258,
  compression: 259,
  make: 271,
  model: 272,
  stripOffsets: 273,
  orientation: 274,
  stripByteCounts: 279,
  xResolution: 282,
  yResolution: 283,
  resolutionUnit: 296,
  dateTime: 306,
  tileOffsets: 324,
  tileByteCounts: 325,
  exifIfd: 34665,
  exposureTime: 33434,
  fNumber: 33437,
  iso: 34855,
  dateTimeOriginal: 36867,
  offsetTimeOriginal: 36881,
  bodySerialNumber: 42033,
  lensModel: 42036,
} as const;

/** Real files have a few dozen tags and at most thousands of pages; beyond that it is garbage. */
const maxEntries = 4096;
const maxIfds = 10_000;
/** Large enough for the strip offsets of a 1-row-per-strip 200-megapixel scan. */
const maxValueBytes = 4 * 1024 * 1024;

const typeSizes: Record<number, number> = { 1: 1, 2: 1, 3: 2, 4: 4, 5: 8, 6: 1, 7: 1, 8: 2, 9: 4, 10: 8, 11: 4, 12: 8, 13: 4, 16: 8, 17: 8, 18: 8 };

export function parseTiffHeader(head: Buffer): TiffHeader | null {
  if (head.length < 8) return null;
  const order = head.toString('latin1', 0, 2);
  if (order !== 'II' && order !== 'MM') return null;
  const littleEndian = order === 'II';
  const version = littleEndian ? head.readUInt16LE(2) : head.readUInt16BE(2);
  if (version === 43) {
    if (head.length < 16 || readUint(head, 4, 2, littleEndian) !== 8) return null;
    return { littleEndian, bigTiff: true, version, firstIfd: readUint(head, 8, 8, littleEndian) };
  }
  if (![42, 0x55, 0x4f52, 0x5352].includes(version)) return null;
  return { littleEndian, bigTiff: false, version, firstIfd: readUint(head, 4, 4, littleEndian) };
}

export async function readTiffStructure(source: ByteSource, wanted: ReadonlySet<number>): Promise<TiffStructure | null> {
  const header = parseTiffHeader(await source.read(0, 16));
  if (!header) return null;
  const ifd0 = await readIfd(source, header, header.firstIfd, wanted);
  const { count, loops } = await walkChain(source, header);
  return { header, ifd0: ifd0?.tags ?? null, ifdCount: count, loops };
}

/** The wanted tags of the IFD at `offset` and the offset of the next IFD (0 at the end of the chain). */
export async function readIfd(
  source: ByteSource,
  header: TiffHeader,
  offset: number,
  wanted: ReadonlySet<number>,
): Promise<{ tags: Map<number, TagValue>; next: number } | null> {
  const layout = ifdLayout(header);
  const count = await readEntryCount(source, header, offset);
  if (count === null) return null;
  const body = await source.read(offset + layout.countBytes, count * layout.entryBytes + layout.offsetBytes);
  if (body.length < count * layout.entryBytes + layout.offsetBytes) return null;
  const tags = new Map<number, TagValue>();
  for (let i = 0; i < count; i++) {
    const entry = body.subarray(i * layout.entryBytes, (i + 1) * layout.entryBytes);
    const id = readUint(entry, 0, 2, header.littleEndian);
    if (!wanted.has(id) || tags.has(id)) continue;
    const value = await readValue(source, header, entry);
    if (value !== null) tags.set(id, value);
  }
  return { tags, next: readUint(body, count * layout.entryBytes, layout.offsetBytes, header.littleEndian) };
}

async function walkChain(source: ByteSource, header: TiffHeader): Promise<{ count: number; loops: boolean }> {
  const layout = ifdLayout(header);
  const visited = new Set<number>();
  let offset = header.firstIfd;
  while (offset !== 0 && visited.size < maxIfds) {
    if (visited.has(offset)) return { count: visited.size, loops: true };
    const count = await readEntryCount(source, header, offset);
    if (count === null) break;
    visited.add(offset);
    const next = await source.read(offset + layout.countBytes + count * layout.entryBytes, layout.offsetBytes);
    if (next.length < layout.offsetBytes) break;
    offset = readUint(next, 0, layout.offsetBytes, header.littleEndian);
  }
  return { count: visited.size, loops: false };
}

function ifdLayout(header: TiffHeader): { countBytes: number; entryBytes: number; offsetBytes: number; inlineBytes: number } {
  return header.bigTiff ? { countBytes: 8, entryBytes: 20, offsetBytes: 8, inlineBytes: 8 } : { countBytes: 2, entryBytes: 12, offsetBytes: 4, inlineBytes: 4 };
}

async function readEntryCount(source: ByteSource, header: TiffHeader, offset: number): Promise<number | null> {
  const layout = ifdLayout(header);
  if (!Number.isSafeInteger(offset) || offset < 8 || offset >= source.size) return null;
  const raw = await source.read(offset, layout.countBytes);
  if (raw.length < layout.countBytes) return null;
  const count = readUint(raw, 0, layout.countBytes, header.littleEndian);
  return count > 0 && count <= maxEntries ? count : null;
}

async function readValue(source: ByteSource, header: TiffHeader, entry: Buffer): Promise<TagValue | null> {
  const le = header.littleEndian;
  const type = readUint(entry, 2, 2, le);
  const size = typeSizes[type];
  const countBytes = header.bigTiff ? 8 : 4;
  const count = readUint(entry, 4, countBytes, le);
  if (size === undefined || !Number.isSafeInteger(count) || count === 0 || count * size > maxValueBytes) return null;
  const valueField = entry.subarray(4 + countBytes);
  const bytes = count * size;
  let data: Buffer;
  if (bytes <= valueField.length) {
    data = valueField.subarray(0, bytes);
  } else {
    const at = readUint(valueField, 0, valueField.length, le);
    data = await source.read(at, bytes);
    if (data.length < bytes) return null;
  }
  if (type === 2) return data.toString('latin1').replace(/\0[\s\S]*$/, '').trim();
  const values: number[] = [];
  for (let i = 0; i < count; i++) values.push(decodeNumber(data, i * size, type, le));
  return values;
}

function decodeNumber(data: Buffer, at: number, type: number, le: boolean): number {
  switch (type) {
    case 5:
      return readUint(data, at, 4, le) / readUint(data, at + 4, 4, le);
    case 6:
      return data.readInt8(at);
    case 8:
      return le ? data.readInt16LE(at) : data.readInt16BE(at);
    case 9:
      return le ? data.readInt32LE(at) : data.readInt32BE(at);
    case 10:
      return (le ? data.readInt32LE(at) : data.readInt32BE(at)) / (le ? data.readInt32LE(at + 4) : data.readInt32BE(at + 4));
    case 11:
      return le ? data.readFloatLE(at) : data.readFloatBE(at);
    case 12:
      return le ? data.readDoubleLE(at) : data.readDoubleBE(at);
    case 17:
      return Number(le ? data.readBigInt64LE(at) : data.readBigInt64BE(at));
    default:
      return readUint(data, at, typeSizes[type] ?? 1, le);
  }
}

/** Unsigned integer of 1, 2, 4 or 8 bytes; 8-byte values beyond 2^53 come back as NaN (no file is that big). */
function readUint(buffer: Buffer, at: number, bytes: number, le: boolean): number {
  switch (bytes) {
    case 1:
      return buffer.readUInt8(at);
    case 2:
      return le ? buffer.readUInt16LE(at) : buffer.readUInt16BE(at);
    case 4:
      return le ? buffer.readUInt32LE(at) : buffer.readUInt32BE(at);
    default: {
      const big = le ? buffer.readBigUInt64LE(at) : buffer.readBigUInt64BE(at);
      return big <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(big) : Number.NaN;
    }
  }
}

/** The first number of a numeric tag, or null. */
export function firstNumber(tags: Tags, id: number): number | null {
  const value = tags.get(id);
  return Array.isArray(value) && value.length > 0 && Number.isFinite(value[0]) ? (value[0] as number) : null;
}

export function stringTag(tags: Tags, id: number): string | null {
  const value = tags.get(id);
  return typeof value === 'string' && value.length > 0 ? value : null;
}
