import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { iccDescription } from '../../src/quality/icc.js';

async function embeddedProfile(name: string): Promise<Buffer> {
  const tiff = await sharp({ create: { width: 4, height: 4, channels: 3, background: '#888' } }).withIccProfile(name).tiff().toBuffer();
  return (await sharp(tiff).metadata()).icc!;
}

/** A minimal profile: header, a tag table with one 'desc' entry, and its element. */
function profileWith(element: Buffer): Buffer {
  const header = Buffer.alloc(128);
  const table = Buffer.alloc(4 + 12);
  table.writeUInt32BE(1, 0);
  table.write('desc', 4, 'latin1');
  table.writeUInt32BE(128 + table.length, 8);
  table.writeUInt32BE(element.length, 12);
  return Buffer.concat([header, table, element]);
}

describe('iccDescription', () => {
  it("reads ICC v4 'mluc' descriptions (libvips' sRGB and P3) and v2 'desc' ones (its CMYK)", async () => {
    expect(iccDescription(await embeddedProfile('srgb'))).toBe('sRGB');
    expect(iccDescription(await embeddedProfile('p3'))).toBe('sP3C');
    expect(iccDescription(await embeddedProfile('cmyk'))).toBe('Chemical proof');
  });

  it('prefers the English record of a multi-language description', () => {
    const text = (s: string) => Buffer.from(s, 'utf16le').swap16();
    const de = text('Adobe RGB (1998) – Deutsch');
    const en = text('Adobe RGB (1998)');
    const head = Buffer.alloc(16 + 2 * 12);
    head.write('mluc', 0, 'latin1');
    head.writeUInt32BE(2, 8);
    head.writeUInt32BE(12, 12);
    head.write('deDE', 16, 'latin1');
    head.writeUInt32BE(de.length, 20);
    head.writeUInt32BE(head.length, 24);
    head.write('enUS', 28, 'latin1');
    head.writeUInt32BE(en.length, 32);
    head.writeUInt32BE(head.length + de.length, 36);
    expect(iccDescription(profileWith(Buffer.concat([head, de, en])))).toBe('Adobe RGB (1998)');
  });

  it('gives null for missing, truncated or lying profiles', async () => {
    expect(iccDescription(undefined)).toBeNull();
    expect(iccDescription(Buffer.from('profile'))).toBeNull();
    const real = await embeddedProfile('srgb');
    for (let n = 0; n < real.length; n += 7) expect(() => iccDescription(real.subarray(0, n))).not.toThrow();
    const lying = profileWith(Buffer.from('desc\0\0\0\0\xff\xff\xff\xff', 'latin1'));
    expect(iccDescription(lying)).toBeNull();
    const hugeTable = Buffer.from(real);
    hugeTable.writeUInt32BE(0xffffffff, 128);
    expect(iccDescription(hugeTable)).toBeNull();
  });
});
