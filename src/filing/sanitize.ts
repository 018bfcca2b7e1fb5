/**
 * File and folder names made from outside input (barcodes, operator names, original file names)
 * that are safe on every file system the library may live on or be copied to: ext4, APFS, NTFS
 * and SMB shares. Invariant: a sanitised segment is never empty, hidden (leading "."), "..", a
 * Windows device name, or longer than `maxSegmentBytes` of UTF-8, and contains no separator, control or bidi character,
 * so joining sanitised segments can never leave the folder they are joined under. With the "ascii"
 * charset it holds ASCII only.
 */
import { toAscii } from './ascii.js';

/** The characters names may keep: any letter of any script, or ASCII only (see ascii.ts). */
export const nameCharsets = ['unicode', 'ascii'] as const;
export type NameCharset = (typeof nameCharsets)[number];

export interface NamePolicy {
  /** Spaces kept as they are; otherwise each run of white space becomes `replacement`. */
  allowSpaces: boolean;
  /** "ascii": letters lose their diacritics ("é" → "e", "ß" → "ss") and every other non-ASCII run becomes `replacement`. */
  charset: NameCharset;
  /** Stands in for every character that is not allowed. */
  replacement: string;
  /** Longest segment in UTF-8 bytes (255 is the limit of ext4, APFS and NTFS). */
  maxSegmentBytes: number;
}

export const defaultNamePolicy: NamePolicy = { allowSpaces: false, charset: 'unicode', replacement: '_', maxSegmentBytes: 255 };

/** Bytes a file name must leave free for the suffix freeName (move.ts) adds on a collision, "_2" up to "_9999". */
export const collisionSuffixBytes = 5;

/** Not allowed in a name on Windows or SMB shares; "/" and "\" are separators everywhere. */
const forbidden = /[<>:"/\\|?*]/gu;
/** C0 and C1 controls, DEL, and the bidirectional controls that make a name display as another (RTL override). */
const invisible = /[\p{Cc}\u200E\u200F\u202A-\u202E\u2066-\u2069\uFEFF]/gu;
/** Windows refuses these as names, with or without an extension ("CON.tif"), in any case. */
const deviceName = /^(con|prn|aux|nul|com[0-9¹²³]|lpt[0-9¹²³]|conin\$|conout\$)(\.|$)/iu;

/**
 * One path segment (a folder or file name). NFC first, so the same text typed or scanned on
 * different systems gives the same bytes; macOS would otherwise store a decomposed form.
 */
export function sanitizeSegment(input: string, policy: NamePolicy = defaultNamePolicy): string {
  const r = policy.replacement;
  // Tabs and line breaks become spaces first: they are white space to the eye, not controls to drop.
  let name = input.normalize('NFC').replace(/\s+/gu, ' ').replace(invisible, '');
  // Before the other rules, as unfolding can yield what they replace: a full-width "／" is a "/".
  // It can also yield spaces ("¨" is a space and a diaeresis), collapsed again like typed ones.
  if (policy.charset === 'ascii') name = toAscii(name, r).replace(/ {2,}/gu, ' ');
  name = name.replace(forbidden, r);
  // Windows drops trailing dots and spaces, so "a." and "a" would be the same file there.
  name = name.replace(/[. ]+$/u, '').trimStart();
  if (!policy.allowSpaces) name = name.replaceAll(' ', r);
  // A leading dot hides the file on Unix (and the station's own watcher skips dot files).
  name = name.replace(/^\.+/u, r);
  if (name === '') name = r;
  if (deviceName.test(name)) name = `${r}${name}`;
  return truncateUtf8(name, policy.maxSegmentBytes);
}

/**
 * Shortens `name` to at most `maxBytes` of UTF-8, cutting between whole characters (never inside
 * a surrogate pair or before a combining mark) and keeping a short extension, so "…_0001.tif"
 * stays a TIFF.
 */
export function truncateUtf8(name: string, maxBytes: number): string {
  if (Buffer.byteLength(name) <= maxBytes) return name;
  const dot = name.lastIndexOf('.');
  const ext = dot > 0 && name.length - dot <= 10 ? name.slice(dot) : '';
  const stem = cutUtf8(name.slice(0, name.length - ext.length), maxBytes - Buffer.byteLength(ext));
  return (stem.replace(/[. ]+$/u, '') || '_') + ext;
}

/** The longest start of `text` that fits `maxBytes` of UTF-8, cut between grapheme clusters (a base letter keeps its combining marks). */
export function cutUtf8(text: string, maxBytes: number): string {
  if (Buffer.byteLength(text) <= maxBytes) return text;
  let out = '';
  for (const { segment } of new Intl.Segmenter('und', { granularity: 'grapheme' }).segment(text)) {
    if (Buffer.byteLength(out + segment) > maxBytes) break;
    out += segment;
  }
  return out;
}
