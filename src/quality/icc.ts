/**
 * The human-readable name of an ICC profile ("Adobe RGB (1998)", "eciRGB v2"), from its 'desc' tag:
 * ICC v2 textDescriptionType ('desc', ASCII) or ICC v4 multiLocalizedUnicodeType ('mluc', UTF-16BE).
 * Profiles come from files of any provenance, so every offset is bounds-checked and garbage gives null.
 */

const headerBytes = 128;
const maxTags = 1000;

export function iccDescription(profile: Buffer | undefined): string | null {
  if (!profile || profile.length < headerBytes + 4) return null;
  const tagCount = profile.readUInt32BE(headerBytes);
  if (tagCount > maxTags || headerBytes + 4 + tagCount * 12 > profile.length) return null;
  for (let i = 0; i < tagCount; i++) {
    const entry = headerBytes + 4 + i * 12;
    if (profile.toString('latin1', entry, entry + 4) !== 'desc') continue;
    const offset = profile.readUInt32BE(entry + 4);
    const size = profile.readUInt32BE(entry + 8);
    if (offset + size > profile.length || size < 12) return null;
    return clean(decodeText(profile.subarray(offset, offset + size)));
  }
  return null;
}

function decodeText(element: Buffer): string | null {
  const type = element.toString('latin1', 0, 4);
  if (type === 'desc') {
    const length = element.readUInt32BE(8);
    return length > 0 && 12 + length <= element.length ? element.toString('latin1', 12, 12 + length) : null;
  }
  if (type === 'mluc') {
    const records = element.readUInt32BE(8);
    const recordSize = element.readUInt32BE(12);
    if (records === 0 || recordSize < 12 || 16 + records * recordSize > element.length) return null;
    let chosen = 16;
    for (let i = 0; i < records; i++) {
      const at = 16 + i * recordSize;
      if (element.toString('latin1', at, at + 2) === 'en') {
        chosen = at;
        break;
      }
    }
    const length = element.readUInt32BE(chosen + 4);
    const offset = element.readUInt32BE(chosen + 8);
    if (offset + length > element.length) return null;
    return utf16be(element.subarray(offset, offset + length));
  }
  return null;
}

function utf16be(bytes: Buffer): string {
  const swapped = Buffer.from(bytes.subarray(0, bytes.length & ~1));
  return swapped.swap16().toString('utf16le');
}

function clean(text: string | null): string | null {
  const trimmed = text?.replace(/\0[\s\S]*$/, '').trim();
  return trimmed ? trimmed : null;
}
