/**
 * Recognises camera RAW containers by their magic bytes (and, for the many RAW formats that are
 * plain TIFF inside, by the file extension). libvips here has no RAW decoder, so a RAW is
 * identified and its metadata read, never decoded.
 */
import type { DecodeFailure } from './failure.js';
import type { Container } from './structure.js';

export type RawKind = 'tiff-based' | 'cr3' | 'crw' | 'raf' | 'mrw' | 'x3f' | 'kyocera';

export interface RawContainer {
  kind: RawKind;
  /** Reported as ImageFacts.formatDetail: "nef", "cr2", "raf", "kyocera raw"… */
  detail: string;
}

/** RAW formats that are a TIFF file with a vendor extension and nothing in the header to tell them apart. */
const tiffRawExtensions = new Set(['3fr', 'arw', 'cr2', 'dcr', 'dng', 'erf', 'fff', 'iiq', 'k25', 'kdc', 'mef', 'mos', 'nef', 'nrw', 'orf', 'pef', 'rw2', 'rwl', 'sr2', 'srf', 'srw']);

/** Every extension camera RAWs are named with: the TIFF-based ones and those recognised by their own magic. */
export const rawExtensions: ReadonlySet<string> = new Set([...tiffRawExtensions, 'cr3', 'crw', 'raf', 'mrw', 'x3f', 'raw']);

/** Bytes of the file head the identification needs. */
export const rawHeadBytes = 64;

/**
 * A file named as a RAW that holds an ordinary image (a JPEG renamed .nef, a mis-set export): it
 * would decode and pass as the JPEG, while the RAW master it claims to be does not exist.
 */
export function rawExtensionMismatch(extension: string, container: Container | null): DecodeFailure | null {
  const ext = extension.replace(/^\./, '').toLowerCase();
  if (!rawExtensions.has(ext) || !container) return null;
  return {
    kind: 'corrupt',
    message: `The file is named .${ext}, a camera RAW, but holds ${container} data: it was renamed or exported with the wrong extension, so it is not the RAW master. Find the real RAW, or re-export the image with its right extension.`,
  };
}

export function identifyRaw(head: Buffer, extension: string): RawContainer | null {
  const ext = extension.replace(/^\./, '').toLowerCase();
  const ascii = (at: number, length: number): string => head.toString('latin1', at, at + length);
  if (ascii(0, 15) === 'FUJIFILMCCD-RAW') return { kind: 'raf', detail: 'raf' };
  if (ascii(6, 8) === 'HEAPCCDR') return { kind: 'crw', detail: 'crw' };
  if (ascii(0, 4) === '\0MRM') return { kind: 'mrw', detail: 'mrw' };
  if (ascii(0, 4) === 'FOVb') return { kind: 'x3f', detail: 'x3f' };
  if (ascii(4, 8) === 'ftypcrx ') return { kind: 'cr3', detail: 'cr3' };
  if (ascii(0x19, 7) === 'ARECOYK') return { kind: 'kyocera', detail: 'kyocera raw' };
  const order = ascii(0, 4);
  if (order === 'IIU\0') return { kind: 'tiff-based', detail: 'rw2' };
  if (order === 'IIRO' || order === 'IIRS' || order === 'MMOR') return { kind: 'tiff-based', detail: 'orf' };
  if (order === 'II*\0' || order === 'MM\0*') {
    if (ascii(8, 2) === 'CR') return { kind: 'tiff-based', detail: 'cr2' };
    if (ascii(8, 4) === 'IIII') return { kind: 'tiff-based', detail: 'iiq' };
    if (tiffRawExtensions.has(ext)) return { kind: 'tiff-based', detail: ext };
  }
  return null;
}
