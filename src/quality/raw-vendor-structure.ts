/**
 * The same guard as raw-structure.ts, for the RAW containers that are not TIFF inside: a RAW is
 * identified, not decoded, so only its own structure can tell a half-copied master. Each states its
 * extent its own way:
 * - CR3 (ISO base media): every top-level box carries its size; the raw data box (mdat) comes last.
 * - RAF: its header gives offset and length of the preview JPEG, the CFA header and the CFA data.
 * - MRW: its header blocks give their length, and the raw data after them is sensor width × height
 *   at 12 bits packed or 16 bits, as PRD says.
 * - X3F and CRW: the last 4 bytes point to a directory of every section. A file cut short ends in
 *   the middle of a section, so what its last bytes point to is no directory.
 * A Kyocera RAW states no length anywhere: it is not checked.
 */
import type { ByteSource } from './byte-source.js';
import { structureDamaged, structureTruncated, type DecodeFailure } from './failure.js';
import type { RawKind } from './raw-identify.js';

/** Null when the container's structure is whole (or, for Kyocera, cannot be judged). */
export async function vendorRawStructureFailure(kind: Exclude<RawKind, 'tiff-based'>, source: ByteSource): Promise<DecodeFailure | null> {
  switch (kind) {
    case 'cr3':
      return cr3(source);
    case 'raf':
      return raf(source);
    case 'mrw':
      return mrw(source);
    case 'x3f':
      return x3f(source);
    case 'crw':
      return crw(source);
    case 'kyocera':
      return null;
  }
}

function beyondEnd(size: number, what: string, end: number): DecodeFailure {
  return structureTruncated(`the file is ${size} bytes long, but ${what} reaches byte ${end}`);
}

/** Cameras write half a dozen top-level boxes; past this the chain is garbage. */
const maxBoxes = 64;

async function cr3(source: ByteSource): Promise<DecodeFailure | null> {
  const size = source.size;
  let mdat = false;
  for (let at = 0, boxes = 0; at < size; boxes++) {
    if (boxes === maxBoxes) return structureDamaged(`it has more than ${maxBoxes} top-level boxes`);
    const head = await source.read(at, 16);
    if (head.length < 8) return structureTruncated(`the file is ${size} bytes long, and a box starting at byte ${at} has no complete header`);
    const type = head.toString('latin1', 4, 8);
    let length = head.readUInt32BE(0);
    let headerBytes = 8;
    if (length === 1) {
      if (head.length < 16) return structureTruncated(`the file is ${size} bytes long, and the ${type} box starting at byte ${at} has no complete header`);
      length = Number(head.readBigUInt64BE(8));
      headerBytes = 16;
    } else if (length === 0) {
      // "Extends to the end of the file": nothing to compare with.
      length = size - at;
    }
    if (length < headerBytes) return structureDamaged(`its ${type} box at byte ${at} gives an impossible size (${length})`);
    if (at + length > size) return beyondEnd(size, `its ${type} box`, at + length);
    if (type === 'mdat') mdat = true;
    at += length;
  }
  return mdat ? null : structureDamaged('it has no raw data box (mdat)');
}

/** Big-endian (offset, length) pairs in the RAF header: preview JPEG, CFA header, CFA data. */
const rafBlocks: [offsetAt: number, what: string][] = [
  [84, 'its preview JPEG'],
  [92, 'its CFA header'],
  [100, 'its raw (CFA) data'],
];

async function raf(source: ByteSource): Promise<DecodeFailure | null> {
  const head = await source.read(0, 108);
  if (head.length < 108) return structureTruncated(`the file is ${source.size} bytes long, shorter than the 108-byte RAF header`);
  for (const [at, what] of rafBlocks) {
    const offset = head.readUInt32BE(at);
    const length = head.readUInt32BE(at + 4);
    if (length !== 0 && offset + length > source.size) return beyondEnd(source.size, what, offset + length);
  }
  return head.readUInt32BE(104) === 0 ? structureDamaged('its header points to no raw data') : null;
}

/** PRD "storage method": 0x59 packs two 12-bit samples into 3 bytes, 0x52 stores each in 2. */
const mrwPacked = 0x59;

async function mrw(source: ByteSource): Promise<DecodeFailure | null> {
  const size = source.size;
  const head = await source.read(0, 8);
  if (head.length < 8) return structureTruncated(`the file is ${size} bytes long, shorter than the MRW header`);
  const dataStart = 8 + head.readUInt32BE(4);
  if (dataStart > size) return beyondEnd(size, 'its header', dataStart);
  let raw: { rows: number; rowBytes: number } | null = null;
  for (let at = 8; at + 8 <= dataStart; ) {
    const block = await source.read(at, 8);
    const length = block.readUInt32BE(4);
    if (at + 8 + length > dataStart) return structureDamaged(`its ${block.toString('latin1', 1, 4)} block at byte ${at} runs past the header`);
    if (block.toString('latin1', 0, 4) === '\0PRD' && length >= 19) {
      const prd = await source.read(at + 8, 19);
      const width = prd.readUInt16BE(10);
      raw = { rows: prd.readUInt16BE(8), rowBytes: prd.readUInt8(18) === mrwPacked ? Math.ceil((width * 12) / 8) : width * 2 };
    }
    at += 8 + length;
  }
  if (!raw) return structureDamaged('it has no PRD block giving the size of its raw data');
  const dataEnd = dataStart + raw.rows * raw.rowBytes;
  return dataEnd > size ? beyondEnd(size, 'its raw data', dataEnd) : null;
}

/** Sections in the X3F directory; cameras write five or so. */
const maxSections = 256;

async function x3f(source: ByteSource): Promise<DecodeFailure | null> {
  const size = source.size;
  const tail = await source.read(size - 4, 4);
  const directory = tail.length === 4 ? tail.readUInt32LE(0) : size;
  const head = await source.read(directory, 12);
  if (head.length < 12 || head.toString('latin1', 0, 4) !== 'SECd') return missingDirectory(size, 'X3F');
  const count = head.readUInt32LE(8);
  if (count === 0 || count > maxSections || directory + 12 + count * 12 > size) return missingDirectory(size, 'X3F');
  const entries = await source.read(directory + 12, count * 12);
  for (let at = 0; at + 12 <= entries.length; at += 12) {
    const end = entries.readUInt32LE(at) + entries.readUInt32LE(at + 4);
    if (end > directory) return beyondEnd(size, `its ${entries.toString('latin1', at + 8, at + 12)} section`, end);
  }
  return null;
}

/**
 * The directory is the last thing these files hold; a file cut anywhere before its end has no
 * directory where its last 4 bytes point.
 */
function missingDirectory(size: number, format: string): DecodeFailure {
  return structureTruncated(`the file is ${size} bytes long and does not end with the section directory every ${format} file ends with`);
}

/** CIFF record storage bits: 0 means the data lies in the heap at (offset, size). */
const inHeap = 0xc000;

async function crw(source: ByteSource): Promise<DecodeFailure | null> {
  const size = source.size;
  const head = await source.read(0, 6);
  const littleEndian = head.toString('latin1', 0, 2) === 'II';
  const u16 = (b: Buffer, at: number): number => (littleEndian ? b.readUInt16LE(at) : b.readUInt16BE(at));
  const u32 = (b: Buffer, at: number): number => (littleEndian ? b.readUInt32LE(at) : b.readUInt32BE(at));
  const heapStart = u32(head, 2);
  const tail = await source.read(size - 4, 4);
  if (heapStart >= size || tail.length < 4) return missingDirectory(size, 'CRW');
  const directory = heapStart + u32(tail, 0);
  const countBytes = await source.read(directory, 2);
  if (countBytes.length < 2) return missingDirectory(size, 'CRW');
  const count = u16(countBytes, 0);
  if (count === 0 || directory + 2 + count * 10 > size - 4) return missingDirectory(size, 'CRW');
  const records = await source.read(directory + 2, count * 10);
  for (let at = 0; at + 10 <= records.length; at += 10) {
    if ((u16(records, at) & inHeap) !== 0) continue;
    const end = heapStart + u32(records, at + 6) + u32(records, at + 2);
    if (end > directory) return beyondEnd(size, 'a block of its raw heap', end);
  }
  return null;
}
