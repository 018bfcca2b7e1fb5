import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { bufferSource } from '../../src/quality/byte-source.js';
import { parseTiffHeader, readIfd, readTiffStructure, tag } from '../../src/quality/tiff-ifd.js';
import { pagedImage } from '../helpers/images.js';
import { nextIfdPointerAt, tiffIfdFirst, type TiffEntry } from '../helpers/tiff-bytes.js';

const wanted = new Set<number>([tag.imageWidth, tag.compression, tag.make, tag.model, tag.xResolution, tag.yResolution, tag.resolutionUnit, tag.stripOffsets]);
const extra: TiffEntry[] = [
  { tag: tag.make, type: 2, values: 'Phase One' },
  { tag: tag.model, type: 2, values: 'IQ4 150MP' },
  { tag: tag.xResolution, type: 5, values: [600, 1] },
  { tag: tag.yResolution, type: 5, values: [1200, 2] },
  { tag: tag.resolutionUnit, type: 3, values: [2] },
];
const tiny = (opts: { littleEndian?: boolean; bigTiff?: boolean } = {}) => tiffIfdFirst({ width: 4, height: 3, samples: 1, pixels: Buffer.alloc(12, 7), extra, ...opts });

describe('readTiffStructure', () => {
  for (const variant of [
    { name: 'classic little-endian', littleEndian: true, bigTiff: false },
    { name: 'classic big-endian', littleEndian: false, bigTiff: false },
    { name: 'BigTIFF little-endian', littleEndian: true, bigTiff: true },
    { name: 'BigTIFF big-endian', littleEndian: false, bigTiff: true },
  ]) {
    it(`reads the wanted tags of a ${variant.name} file`, async () => {
      const structure = await readTiffStructure(bufferSource(tiny(variant)), wanted);
      expect(structure?.header).toMatchObject({ littleEndian: variant.littleEndian, bigTiff: variant.bigTiff, version: variant.bigTiff ? 43 : 42 });
      expect(structure?.ifdCount).toBe(1);
      expect(structure?.loops).toBe(false);
      const tags = structure!.ifd0!;
      expect(tags.get(tag.imageWidth)).toEqual([4]);
      expect(tags.get(tag.compression)).toEqual([1]);
      expect(tags.get(tag.make)).toBe('Phase One');
      expect(tags.get(tag.model)).toBe('IQ4 150MP');
      expect(tags.get(tag.xResolution)).toEqual([600]);
      expect(tags.get(tag.yResolution)).toEqual([600]);
      expect(tags.has(tag.imageLength)).toBe(false);
    });
  }

  it('reads what libtiff writes (IFD at the end), including the compression sharp chose', async () => {
    const lzw = await sharp({ create: { width: 8, height: 8, channels: 3, background: '#123456' } }).tiff({ compression: 'lzw', xres: 23.622, yres: 23.622 }).toBuffer();
    const structure = await readTiffStructure(bufferSource(lzw), wanted);
    expect(structure?.header.firstIfd).toBeGreaterThan(8);
    expect(structure?.ifd0?.get(tag.compression)).toEqual([5]);
    expect(structure?.ifd0?.get(tag.resolutionUnit)).toEqual([2]);
  });

  it('counts the pages of a multi-page file and finds a chain that loops back', async () => {
    const file = tiny();
    const pointer = nextIfdPointerAt(file);
    const loopToSelf = Buffer.from(file);
    loopToSelf.writeUInt32LE(8, pointer);
    expect(await readTiffStructure(bufferSource(loopToSelf), wanted)).toMatchObject({ ifdCount: 1, loops: true });

    const threePages = await (await pagedImage([10, 20, 30], 8, 8)).tiff().toBuffer();
    expect(await readTiffStructure(bufferSource(threePages), wanted)).toMatchObject({ ifdCount: 3, loops: false });
  });

  it('gives null or leaves tags out for garbage, never throws', async () => {
    expect(await readTiffStructure(bufferSource(Buffer.from('not a tiff at all')), wanted)).toBeNull();
    expect(await readTiffStructure(bufferSource(Buffer.alloc(0)), wanted)).toBeNull();
    expect(parseTiffHeader(Buffer.from('II*\0'))).toBeNull();

    const beyondEnd = Buffer.from(tiny());
    beyondEnd.writeUInt32LE(10_000_000, 4);
    expect(await readTiffStructure(bufferSource(beyondEnd), wanted)).toMatchObject({ ifd0: null, ifdCount: 0, loops: false });

    const absurdCount = Buffer.from(tiny());
    absurdCount.writeUInt16LE(60_000, 8);
    expect((await readTiffStructure(bufferSource(absurdCount), wanted))?.ifd0).toBeNull();

    const hugeValue = Buffer.from(tiny());
    // First entry (ImageWidth): claim 2^30 LONG values somewhere past the end.
    hugeValue.writeUInt32LE(2 ** 30, 8 + 2 + 4);
    hugeValue.writeUInt32LE(0xfffffff0, 8 + 2 + 8);
    const structure = await readTiffStructure(bufferSource(hugeValue), wanted);
    expect(structure?.ifd0?.has(tag.imageWidth)).toBe(false);
    expect(structure?.ifd0?.get(tag.make)).toBe('Phase One');

    // Every truncation of a valid file, and every single-byte corruption of its IFD, is survived.
    const whole = tiny();
    for (let n = 0; n <= whole.length; n++) await readTiffStructure(bufferSource(whole.subarray(0, n)), wanted);
    for (let at = 0; at < 120; at++) {
      for (const byte of [0x00, 0xff, 0x7f]) {
        const broken = Buffer.from(whole);
        broken[at] = byte;
        await readTiffStructure(bufferSource(broken), wanted);
      }
    }
  });

  it('accepts the TIFF-shaped headers of Panasonic RW2 and Olympus ORF', async () => {
    const rw2 = Buffer.from(tiny());
    rw2.writeUInt16LE(0x55, 2);
    const header = parseTiffHeader(rw2);
    expect(header).toMatchObject({ version: 0x55, firstIfd: 8 });
    expect((await readIfd(bufferSource(rw2), header!, 8, wanted))?.tags.get(tag.make)).toBe('Phase One');
  });
});
