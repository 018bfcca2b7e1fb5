/**
 * Camera metadata of RAW containers, in exif-reader's shape. Most RAWs keep a TIFF somewhere (the
 * whole file, an MRW block, CR3 boxes) or an embedded EXIF (RAF, X3F v3); the rest store make and
 * model their own way (Canon CIFF, Sigma X3F v2 properties, Kyocera's fixed byte-reversed header).
 * Everything is bounded and best-effort: unreadable metadata gives null, never an error.
 */
import { subSource, type ByteSource } from './byte-source.js';
import { exifFromTiffTags, exifIfd0Tags, exifIfdTags, exifOfTiff, parseExifBlob, type Exif } from './exif.js';
import type { RawContainer } from './raw-identify.js';
import { parseTiffHeader, readIfd, type Tags } from './tiff-ifd.js';

const ifd0Tags = new Set(exifIfd0Tags);
/** Embedded metadata sits near the start of every container handled here. */
const searchBytes = 256 * 1024;

export async function readRawExif(container: RawContainer, source: ByteSource): Promise<Exif | null> {
  switch (container.kind) {
    case 'tiff-based':
      return tiffExif(source);
    case 'mrw':
      return mrw(source);
    case 'cr3':
      return cr3(source);
    case 'raf':
      return embeddedExif(source);
    case 'x3f':
      return (await embeddedExif(source)) ?? x3fProperties(source);
    case 'crw':
      return crw(source);
    case 'kyocera':
      return kyocera(source);
  }
}

function makeModel(make: string | null, model: string | null): Exif | null {
  return make || model ? { bigEndian: false, Image: { Make: make ?? undefined, Model: model ?? undefined } } : null;
}

async function tiffExif(source: ByteSource): Promise<Exif | null> {
  const header = parseTiffHeader(await source.read(0, 16));
  const ifd0 = header && (await readIfd(source, header, header.firstIfd, ifd0Tags));
  return header && ifd0 ? exifOfTiff(source, header, ifd0.tags) : null;
}

async function tiffIfd0(source: ByteSource, wanted: ReadonlySet<number>): Promise<Tags | null> {
  const header = parseTiffHeader(await source.read(0, 16));
  return header ? ((await readIfd(source, header, header.firstIfd, wanted))?.tags ?? null) : null;
}

/** Minolta MRW: "\0MRM", then blocks of (name, big-endian length); the "\0TTW" block is a TIFF. */
async function mrw(source: ByteSource): Promise<Exif | null> {
  for (let at = 8, blocks = 0; blocks < 64; blocks++) {
    const head = await source.read(at, 8);
    if (head.length < 8) return null;
    const length = head.readUInt32BE(4);
    if (head.toString('latin1', 0, 4) === '\0TTW') return tiffExif(subSource(source, at + 8, length));
    at += 8 + length;
  }
  return null;
}

/**
 * Canon CR3 (ISO base media): moov › uuid 85c0b687-820f-11e0-8111-f4ce462b6a48 holds CMT1 (a TIFF
 * whose IFD0 is the camera's IFD0) and CMT2 (a TIFF whose IFD0 is the Exif IFD).
 */
async function cr3(source: ByteSource): Promise<Exif | null> {
  const moov = await findBox(source, 0, source.size, 'moov');
  const uuid = moov && (await findBox(source, moov.start, moov.end, 'uuid', '85c0b687820f11e08111f4ce462b6a48'));
  if (!uuid) return null;
  const cmt1 = await findBox(source, uuid.start + 16, uuid.end, 'CMT1');
  const cmt2 = await findBox(source, uuid.start + 16, uuid.end, 'CMT2');
  const ifd0 = cmt1 && (await tiffIfd0(subSource(source, cmt1.start, cmt1.end - cmt1.start), ifd0Tags));
  const exif = cmt2 && (await tiffIfd0(subSource(source, cmt2.start, cmt2.end - cmt2.start), exifIfdTags));
  return ifd0 ? exifFromTiffTags(ifd0, exif ?? null) : null;
}

async function findBox(source: ByteSource, from: number, to: number, type: string, uuid?: string): Promise<{ start: number; end: number } | null> {
  for (let at = from, boxes = 0; at + 8 <= to && boxes < 256; boxes++) {
    const head = await source.read(at, 24);
    if (head.length < 8) return null;
    let size = head.readUInt32BE(0);
    let headerBytes = 8;
    if (size === 1 && head.length >= 16) {
      size = Number(head.readBigUInt64BE(8));
      headerBytes = 16;
    } else if (size === 0) {
      size = to - at;
    }
    if (size < headerBytes || at + size > to) return null;
    if (head.toString('latin1', 4, 8) === type && (!uuid || head.toString('hex', 8, 24) === uuid)) return { start: at + headerBytes, end: at + size };
    at += size;
  }
  return null;
}

/** An EXIF block ("Exif\0\0" + TIFF header) embedded near the start, e.g. in the preview JPEG of a RAF. */
async function embeddedExif(source: ByteSource): Promise<Exif | null> {
  const head = await source.read(0, searchBytes);
  for (const order of ['MM\0*', 'II*\0']) {
    const at = head.indexOf(`Exif\0\0${order}`, 0, 'latin1');
    if (at >= 0) return parseExifBlob(head.subarray(at));
  }
  return null;
}

/**
 * Sigma X3F v2: the directory (offset in the last 4 bytes) lists a PROP section of UTF-16 name/value
 * pairs; CAMMANUF and CAMMODEL are the make and model.
 */
async function x3fProperties(source: ByteSource): Promise<Exif | null> {
  const tail = await source.read(source.size - 4, 4);
  if (tail.length < 4) return null;
  const directory = tail.readUInt32LE(0);
  const head = await source.read(directory, 12);
  if (head.length < 12 || head.toString('latin1', 0, 4) !== 'SECd') return null;
  const entries = await source.read(directory + 12, Math.min(head.readUInt32LE(8), 64) * 12);
  for (let at = 0; at + 12 <= entries.length; at += 12) {
    if (entries.toString('latin1', at + 8, at + 12) !== 'PROP') continue;
    const section = await source.read(entries.readUInt32LE(at), entries.readUInt32LE(at + 4));
    if (section.length < 24 || section.toString('latin1', 0, 4) !== 'SECp' || section.readUInt32LE(12) !== 0) return null;
    const count = Math.min(section.readUInt32LE(8), 1024);
    const chars = 24 + count * 8;
    const utf16 = (index: number): string => {
      const start = chars + index * 2;
      let end = start;
      while (end + 1 < section.length && section.readUInt16LE(end) !== 0) end += 2;
      return section.toString('utf16le', start, end);
    };
    const props = new Map<string, string>();
    for (let i = 0; i < count && 24 + i * 8 + 8 <= section.length; i++) props.set(utf16(section.readUInt32LE(24 + i * 8)), utf16(section.readUInt32LE(28 + i * 8)));
    return makeModel(props.get('CAMMANUF') ?? null, props.get('CAMMODEL') ?? null);
  }
  return null;
}

/**
 * Canon CRW (CIFF): a heap whose last 4 bytes point to its directory of 10-byte records; records
 * of type 0x2800/0x3000 are sub-heaps. Record 0x080a holds "make\0model\0".
 */
async function crw(source: ByteSource): Promise<Exif | null> {
  const head = await source.read(0, 6);
  if (head.length < 6) return null;
  const le = head.toString('latin1', 0, 2) === 'II';
  const u16 = (b: Buffer, at: number): number => (le ? b.readUInt16LE(at) : b.readUInt16BE(at));
  const u32 = (b: Buffer, at: number): number => (le ? b.readUInt32LE(at) : b.readUInt32BE(at));
  const search = async (start: number, length: number, depth: number): Promise<Exif | null> => {
    if (depth > 4 || length < 4) return null;
    const tail = await source.read(start + length - 4, 4);
    if (tail.length < 4) return null;
    const directory = start + u32(tail, 0);
    const countBytes = await source.read(directory, 2);
    if (countBytes.length < 2) return null;
    const records = await source.read(directory + 2, Math.min(u16(countBytes, 0), 256) * 10);
    for (let at = 0; at + 10 <= records.length; at += 10) {
      const id = u16(records, at);
      const size = u32(records, at + 2);
      const offset = start + u32(records, at + 6);
      if ((id & 0xc000) !== 0 || offset + size > start + length) continue;
      if ((id & 0x3fff) === 0x080a) {
        const [make, model] = (await source.read(offset, Math.min(size, 256))).toString('latin1').split('\0');
        return makeModel(make?.trim() || null, model?.trim() || null);
      }
      if ((id & 0x3800) === 0x2800 || (id & 0x3800) === 0x3000) {
        const found = await search(offset, size, depth + 1);
        if (found) return found;
      }
    }
    return null;
  };
  const headerLength = u32(head, 2);
  return search(headerLength, source.size - headerLength, 0);
}

/** Kyocera/Contax N Digital: ASCII fields at fixed offsets, each stored byte-reversed. */
async function kyocera(source: ByteSource): Promise<Exif | null> {
  const head = await source.read(0, 0x40);
  if (head.length < 0x40) return null;
  const reversed = (at: number, length: number): string | null => Buffer.from(head.subarray(at, at + length)).reverse().toString('latin1').replace(/\0/g, '').trim() || null;
  return makeModel(reversed(0x19, 7), reversed(0x0c, 12));
}
