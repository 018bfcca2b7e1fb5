/**
 * What QC knows about a file and what it concluded. `analyzeFile` produces an Analysis from one read
 * of the file; `runChecks` turns it, a profile and what the station knows of earlier captures into
 * per-check results. Both are pure of the database.
 */
import type { ImageFormat, TiffCompression } from './profile.js';

export type CheckStatus = 'pass' | 'warn' | 'fail' | 'skip';
export type Verdict = 'pass' | 'warn' | 'fail';

export const checkIds = [
  'decodes',
  'format',
  'singlePage',
  'tiffCompression',
  'minPixels',
  'minPpi',
  'bitDepth',
  'colour',
  'exposure',
  'blank',
  'sharpness',
  'duplicate',
  'nearDuplicate',
  'pairs',
  'filename',
  'barcodeMismatch',
] as const;
export type CheckId = (typeof checkIds)[number];

export interface CheckResult {
  check: CheckId;
  status: CheckStatus;
  /** What was measured (number, string, list or small object), null when it could not be measured. */
  value: unknown;
  /** The limit it was compared with, null where there is none. */
  threshold: unknown;
  /** One plain-language sentence for the technician: what is wrong and what to do, or what passed. */
  message: string;
}

export interface ExifBasics {
  make: string | null;
  model: string | null;
  serial: string | null;
  lens: string | null;
  iso: number | null;
  /** Seconds, e.g. 0.008 for 1/125 s. */
  exposureTime: number | null;
  fNumber: number | null;
  /** ISO 8601 as the camera wrote it (no time zone unless the file says one). */
  captureTime: string | null;
  /** EXIF orientation 1–8. */
  orientation: number | null;
}

export interface ImageFacts {
  format: ImageFormat | 'other';
  /** The decoder's own name for the format (e.g. sharp's "tiff", or "nef" for a RAW container). */
  formatDetail: string;
  width: number | null;
  height: number | null;
  /** Bits per sample (1, 8, 16, 32…). */
  bitDepth: number | null;
  channels: number | null;
  /** libvips interpretation: srgb, rgb16, b-w, grey16, cmyk, lab… */
  space: string | null;
  hasAlpha: boolean | null;
  iccDescription: string | null;
  /** Pixels per inch as the file states it; null when it states none. */
  ppi: { x: number; y: number } | null;
  pages: number;
  tiffCompression: TiffCompression | null;
  exif: ExifBasics;
}

export interface Measurements {
  /** Size of the shrink-on-load copy the measurements were made on. */
  workingWidth: number;
  workingHeight: number;
  /** Per channel (alpha excluded), percent of pixels at the lowest / highest code value. */
  clippedBlackPct: number[];
  clippedWhitePct: number[];
  /** Standard deviation of luminance on a 0–255 scale. */
  lumaStdDev: number;
  /** Variance of the Laplacian divided by the variance of the image (luminance), at the working scale. */
  focus: number;
  /** 64-bit perceptual hash as 16 hex digits. */
  phash: string;
}

export type DecodeFailureKind = 'truncated' | 'corrupt' | 'unsupported' | 'too-large' | 'timeout';

export interface Analysis {
  sha256: string;
  size: number;
  /** Null when the file could not be identified at all. */
  facts: ImageFacts | null;
  /** Null when the pixels were not decoded (decode failure, or a RAW container we only identify). */
  measurements: Measurements | null;
  decodeError: { kind: DecodeFailureKind; message: string } | null;
  /** Milliseconds spent, for the log and the benchmark. */
  elapsedMs: number;
}

export interface AnalyzeOptions {
  maxInputPixels: number;
  decodeTimeoutSec: number;
  workingSize: number;
}

/** What the station knows beyond the file itself, looked up before the checks run. */
export interface CheckContext {
  fileName: string;
  /** An earlier capture with the same sha256, if any. */
  duplicateOf: { captureId: number; path: string } | null;
  /** The previous capture of the same source that has a perceptual hash. */
  previous: { captureId: number; path: string; phash: string } | null;
  /**
   * For the pair check: the partner (RAW ↔ TIFF/JPEG of the same stem) when found; 'waiting' while
   * the window is still open; 'missing' once it closed without one.
   */
  pair: { captureId: number; path: string } | 'waiting' | 'missing';
  /**
   * Barcodes read in the image (src/barcode/image), `valid` when they pass the project's rules;
   * undefined or null when the image was not searched for barcodes.
   */
  imageBarcodes?: readonly { format: string; text: string; valid: boolean }[] | null;
  /** The barcode of the object this capture is being linked to (the source's open object), if any. */
  linkedBarcode?: string | null;
}
