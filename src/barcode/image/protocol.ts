/** Messages between the decoder pool (main thread) and a zxing worker. Plain data only: they are structured-cloned. */
import type { ImageSymbology } from '../../shared/image-symbologies.js';
import type { BarcodeRules } from '../rules.js';
import type { TextureMap } from './texture.js';

/** A rectangle of the grey image, in its own pixels. */
export interface Region {
  left: number;
  top: number;
  width: number;
  height: number;
}

export interface DecodeRequest {
  id: number;
  /** One byte per pixel, row-major, `width × height` (transferred, not copied). */
  grey: ArrayBuffer;
  width: number;
  height: number;
  /**
   * 2: zxing sees the image halved (each pixel the mean of a 2 × 2 block), made per region in the
   * worker, so a full-size copy serves without a resampling pass over the whole image.
   */
  scale: 1 | 2;
  /** Decoded in this order, in the reduced image's pixels; empty means the whole image. */
  regions: Region[];
  /** Reply with the image's barcode texture map (texture.ts) when no region gave a valid code. */
  mapTexture: boolean;
  /** Send `grey` back with the reply (transferred), for a next pass over the same pixels. */
  returnGrey: boolean;
  /** zxing-wasm format names, e.g. "Code128". */
  formats: ImageSymbology[];
  /** The project's barcode rules: a region that yields a code passing them ends the job early. */
  rules: BarcodeRules;
  /** With an object expected (ImageDecodeOptions.expected), only a region that yields its code ends the job early. */
  expected: string | null;
}

export interface FoundCode {
  format: string;
  text: string;
  /** Passes the project's rules as an object barcode (pattern, check digit, length; not a control code). */
  valid: boolean;
}

export type DecodeReply =
  | { id: number; ok: true; codes: FoundCode[]; regionsTried: number; ms: number; texture: TextureMap | null; grey: ArrayBuffer | null }
  | { id: number; ok: false; error: string };

/** Sent once by a worker when its zxing module is instantiated and it can take jobs. */
export interface ReadyMessage {
  ready: true;
}

/**
 * The search has what it looks for: a code the project accepts, and, with an object expected, that
 * object's own. Another accepted code may be another specimen's on the same sheet (several
 * specimens, each with its label), so a search that stopped at it would fail the capture as a
 * barcode mismatch while the object's own label sits in a region not read yet.
 */
export function foundWanted(codes: Iterable<FoundCode>, expected: string | null): boolean {
  for (const c of codes) if (c.valid && (expected === null || c.text === expected)) return true;
  return false;
}
