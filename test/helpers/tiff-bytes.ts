/**
 * TIFF files built byte by byte, for the layouts libtiff never writes: the IFD before the pixel data
 * (as many scanner and camera writers do, which is what makes a half-written file decodable
 * without an error), big-endian and BigTIFF variants, and deliberately broken structures.
 */

export interface TiffEntry {
  tag: number;
  /** 2 ASCII, 3 SHORT, 4 LONG, 5 RATIONAL (values as [numerator, denominator, …]). */
  type: 2 | 3 | 4 | 5;
  values: number[] | string;
}

export interface TiffSpec {
  width: number;
  height: number;
  /** 1 (grey) or 3 (RGB), 8 bits per sample, chunky. */
  samples: 1 | 3;
  pixels: Buffer;
  rowsPerStrip?: number;
  littleEndian?: boolean;
  bigTiff?: boolean;
  /** Further tags (resolution, make, model…). */
  extra?: TiffEntry[];
}

const typeSize = { 2: 1, 3: 2, 4: 4, 5: 8 } as const;

/** Header, then the one IFD, then its out-of-line values, then the pixel strips. */
export function tiffIfdFirst(spec: TiffSpec): Buffer {
  const le = spec.littleEndian ?? true;
  const big = spec.bigTiff ?? false;
  const rowBytes = spec.width * spec.samples;
  const rowsPerStrip = spec.rowsPerStrip ?? spec.height;
  const strips: Buffer[] = [];
  for (let y = 0; y < spec.height; y += rowsPerStrip) strips.push(spec.pixels.subarray(y * rowBytes, Math.min(spec.height, y + rowsPerStrip) * rowBytes));

  const base: TiffEntry[] = [
    { tag: 256, type: 4, values: [spec.width] },
    { tag: 257, type: 4, values: [spec.height] },
    { tag: 258, type: 3, values: new Array<number>(spec.samples).fill(8) },
    { tag: 259, type: 3, values: [1] },
    { tag: 262, type: 3, values: [spec.samples === 3 ? 2 : 1] },
    { tag: 273, type: 4, values: strips.map(() => 0) },
    { tag: 277, type: 3, values: [spec.samples] },
    { tag: 278, type: 4, values: [rowsPerStrip] },
    { tag: 279, type: 4, values: strips.map((s) => s.length) },
  ];
  const entries = [...base, ...(spec.extra ?? [])].sort((a, b) => a.tag - b.tag);

  const headerBytes = big ? 16 : 8;
  const entryBytes = big ? 20 : 12;
  const inline = big ? 8 : 4;
  const ifdBytes = (big ? 8 : 2) + entries.length * entryBytes + (big ? 8 : 4);
  const valueBytes = (e: TiffEntry): number => (typeof e.values === 'string' ? e.values.length + 1 : e.type === 5 ? (e.values.length / 2) * 8 : e.values.length * typeSize[e.type]);
  let outOfLine = headerBytes + ifdBytes;
  const valueAt = new Map<TiffEntry, number>();
  for (const e of entries) {
    if (valueBytes(e) > inline) {
      valueAt.set(e, outOfLine);
      outOfLine += valueBytes(e) + (valueBytes(e) % 2);
    }
  }
  let dataAt = outOfLine;
  const stripOffsets = strips.map((s) => {
    const at = dataAt;
    dataAt += s.length;
    return at;
  });
  entries.find((e) => e.tag === 273)!.values = stripOffsets;

  const out = Buffer.alloc(dataAt);
  const u16 = (v: number, at: number): number => (le ? out.writeUInt16LE(v, at) : out.writeUInt16BE(v, at));
  const u32 = (v: number, at: number): number => (le ? out.writeUInt32LE(v, at) : out.writeUInt32BE(v, at));
  const u64 = (v: number, at: number): number => (le ? out.writeBigUInt64LE(BigInt(v), at) : out.writeBigUInt64BE(BigInt(v), at));
  out.write(le ? 'II' : 'MM', 0, 'latin1');
  if (big) {
    u16(43, 2);
    u16(8, 4);
    u16(0, 6);
    u64(headerBytes, 8);
  } else {
    u16(42, 2);
    u32(headerBytes, 4);
  }
  let p = headerBytes;
  if (big) u64(entries.length, p);
  else u16(entries.length, p);
  p += big ? 8 : 2;
  for (const e of entries) {
    u16(e.tag, p);
    u16(e.type, p + 2);
    const count = typeof e.values === 'string' ? e.values.length + 1 : e.type === 5 ? e.values.length / 2 : e.values.length;
    if (big) u64(count, p + 4);
    else u32(count, p + 4);
    const at = valueAt.get(e) ?? p + 4 + (big ? 8 : 4);
    if (valueAt.has(e)) {
      if (big) u64(at, p + 12);
      else u32(at, p + 8);
    }
    if (typeof e.values === 'string') out.write(`${e.values}\0`, at, 'latin1');
    else e.values.forEach((v, i) => (e.type === 3 ? u16(v, at + 2 * i) : u32(v, at + 4 * i)));
    p += entryBytes;
  }
  strips.forEach((s, i) => s.copy(out, stripOffsets[i]!));
  return out;
}

/** Offset of the "next IFD" pointer of the (single) IFD of a tiffIfdFirst file. */
export function nextIfdPointerAt(tiff: Buffer): number {
  const le = tiff.toString('latin1', 0, 2) === 'II';
  const big = (le ? tiff.readUInt16LE(2) : tiff.readUInt16BE(2)) === 43;
  const headerBytes = big ? 16 : 8;
  const count = big ? Number(le ? tiff.readBigUInt64LE(headerBytes) : tiff.readBigUInt64BE(headerBytes)) : le ? tiff.readUInt16LE(headerBytes) : tiff.readUInt16BE(headerBytes);
  return headerBytes + (big ? 8 : 2) + count * (big ? 20 : 12);
}
