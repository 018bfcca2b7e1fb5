/**
 * Why a file did not decode, as a kind the pipeline acts on ('truncated' is retried while a writer
 * may still be busy) and a sentence a technician can act on.
 */
import path from 'node:path';
import type { Container } from './structure.js';
import type { AnalyzeOptions, DecodeFailureKind } from './types.js';

export interface DecodeFailure {
  kind: DecodeFailureKind;
  message: string;
}

export interface FailureContext {
  file: string;
  /** What the first bytes announce: a "TIFF" the decoder cannot identify is a damaged TIFF, not an unknown format. */
  container: Container | null;
  /** The container's own structure says the file ends early (see structure.ts). */
  truncatedStructure: boolean;
  width: number | null;
  height: number | null;
  opts: AnalyzeOptions;
}

/** Thrown by our own deadline around a libvips call that ignores sharp's timeout (header parsing). */
export class DeadlineExceeded extends Error {}

const patterns: [DecodeFailureKind, RegExp][] = [
  ['too-large', /exceeds pixel limit/i],
  ['timeout', /^timeout\b|\btimeout:/i],
  ['truncated', /premature end|unexpected end|end of (file|data|stream)|truncated/i],
  ['unsupported', /unsupported|not supported|is not configured|not a whole number of bytes|samples out of range|no known route|bad labq/i],
];

export function decodeFailure(error: unknown, ctx: FailureContext): DecodeFailure {
  let detail = decoderDetail(error, ctx.file);
  let kind: DecodeFailureKind = error instanceof DeadlineExceeded ? 'timeout' : (patterns.find(([, re]) => re.test(detail))?.[0] ?? 'corrupt');
  if (kind === 'unsupported' && ctx.container && /unsupported image format/i.test(detail)) {
    kind = 'corrupt';
    detail = `it starts like a ${ctx.container} file but its structure cannot be read`;
  }
  // A short file explains any decoder complaint better than the complaint itself does.
  if (ctx.truncatedStructure && kind !== 'too-large' && kind !== 'timeout') kind = 'truncated';
  return { kind, message: messageFor(kind, detail, ctx) };
}

export function structureDamaged(phrase: string): DecodeFailure {
  return { kind: 'corrupt', message: `The file is damaged: ${phrase}. Re-shoot or re-export the file.` };
}

/** The container's own structure says the file ends early; `detail` says where. */
export function structureTruncated(detail: string): DecodeFailure {
  return { kind: 'truncated', message: truncatedMessage(detail) };
}

/** 'truncated': a file that is empty now may still be filled (cameras create the file first). */
export const emptyFile: DecodeFailure = {
  kind: 'truncated',
  message: 'The file is empty (0 bytes): the camera, tether or copy that wrote it stopped before writing any data. Shoot or copy it again.',
};

export const changedWhileChecked: DecodeFailure = {
  kind: 'truncated',
  message: 'The file changed while it was being checked (it is probably still being written); it will be checked again once it is complete.',
};

function messageFor(kind: DecodeFailureKind, detail: string, ctx: FailureContext): string {
  switch (kind) {
    case 'truncated':
      return truncatedMessage(detail);
    case 'too-large': {
      const size = ctx.width && ctx.height ? `${ctx.width} × ${ctx.height} pixels (${((ctx.width * ctx.height) / 1e6).toFixed(0)} megapixels)` : 'larger';
      return `The image is ${size}, more than this station decodes (qc.maxInputPixels = ${ctx.opts.maxInputPixels}): raise qc.maxInputPixels in the station config if such images are expected, or export a smaller file.`;
    }
    case 'timeout':
      return `Decoding took longer than ${ctx.opts.decodeTimeoutSec} s and was stopped (qc.decodeTimeoutSec): the file may be damaged or unusually large; re-export it, or raise qc.decodeTimeoutSec if such files are expected.`;
    case 'unsupported':
      return `${ctx.container === 'TIFF' ? 'The decoder does not support this TIFF variant' : 'The station cannot decode this kind of file'} (${detail}): re-export it as a standard TIFF (uncompressed, LZW or Deflate; 8 or 16 bit), JPEG or PNG.`;
    case 'corrupt':
      return `The file is damaged and cannot be decoded (${detail}): re-shoot or re-export the file.`;
  }
}

function truncatedMessage(detail: string): string {
  return `The file ends before all of its image data (${detail}): it may still be being written or was copied incompletely; if it stays like this, re-shoot or re-export the file.`;
}

/**
 * libvips keeps one error buffer for the whole process, and a decode running at the same time can
 * clear it before sharp reads it: the error then comes without a message ("" or "Unknown error").
 * Such a failure is worth repeating alone to learn its reason (analyze.ts).
 */
export function lostDecoderMessage(error: unknown): boolean {
  const text = (error instanceof Error ? error.message : String(error)).trim();
  return text === '' || /^(input file has corrupt header:\s*)?(unknown error)?$/i.test(text);
}

/** The decoder's first line, without sharp's "Input file has corrupt header:" prefix or the file's full path. */
function decoderDetail(error: unknown, file: string): string {
  if (lostDecoderMessage(error)) return 'the decoder gave no reason';
  const text = error instanceof Error ? error.message : String(error);
  const line = text.split('\n').map((l) => l.trim()).find((l) => l.length > 0) ?? 'the decoder gave no reason';
  const cleaned = line.replace(/^Input file has corrupt header:\s*/i, '').split(file).join(path.basename(file));
  return cleaned.length > 200 ? `${cleaned.slice(0, 200)}…` : cleaned;
}
