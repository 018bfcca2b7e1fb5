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
  /** When the job may stop before its last region (ImageDecodeOptions.goal). */
  goal: SearchGoal;
  /** The valid codes earlier passes over the same image read: they count towards the goal. */
  known: string[];
  /** linking.imageCodeTemplates: per symbology, the barcode a code read in it stands for. */
  templates: CodeTemplates;
}

/** Per zxing format name, a template whose `{text}` is the code read (linking.imageCodeTemplates). */
export type CodeTemplates = Partial<Record<ImageSymbology, string>>;

/** The barcode a code read in `format` stands for: its template filled with it, or the code itself. */
export function codeAsBarcode(format: string, text: string, templates: CodeTemplates): string {
  const template = templates[format as ImageSymbology];
  // A function, so a "$" in the code is not taken for a replacement pattern.
  return template === undefined ? text : template.replace('{text}', () => text);
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
 * What a search must read before it may stop, set by what the station will decide from it. It
 * stops once it has read `code` (the barcode of the object the shot is taken for), or `distinct`
 * different codes the project accepts: 1 when the first label is all that is asked (nothing is
 * decided from the image), 2 when the image may open an object (linkFromImage opens one only from a
 * sheet showing exactly one, so a second settles it), Infinity to read every region (`check`, and
 * a search for a code that is not there). Any other code the project accepts may be
 * another specimen's on the same sheet, so stopping at it could fail the shot as a barcode mismatch,
 * or open the wrong object, while the right label sits in a region not read yet.
 */
export interface SearchGoal {
  code: string | null;
  distinct: number;
}

/** Nothing is decided from the image: its first label will do (the default). */
export const firstCode: SearchGoal = { code: null, distinct: 1 };

/** Read every region (a search that reaches no goal is complete). */
export const readEverything: SearchGoal = { code: null, distinct: Infinity };

/** The search has what its goal asks for: a search that stops then has not read every region. */
export function goalReached(codes: Iterable<FoundCode>, goal: SearchGoal, known: Iterable<string> = []): boolean {
  const valid = new Set(known);
  for (const c of codes) if (c.valid) valid.add(c.text);
  return (goal.code !== null && valid.has(goal.code)) || valid.size >= goal.distinct;
}
