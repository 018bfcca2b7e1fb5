/** Checks that need what the station knows beyond the file: earlier captures, the RAW/processed partner, the naming rule. */
import { hammingDistance } from '../phash.js';
import type { Profile } from '../profile.js';
import type { Analysis, CheckContext } from '../types.js';
import { compilePattern, skip, type Outcome } from './outcome.js';

export function duplicate(a: Analysis, _p: Profile, ctx: CheckContext): Outcome {
  if (!a.sha256) return skip('Not checked: the file content was not hashed.');
  const dup = ctx.duplicateOf;
  return dup
    ? { status: 'fail', value: dup, threshold: null, message: `This file is byte-for-byte identical to capture #${dup.captureId} (${dup.path}): the same file arrived twice; keep one, or re-shoot if a new image was meant.` }
    : { status: 'pass', value: null, threshold: null, message: 'No earlier capture has the same content.' };
}

export function nearDuplicate(a: Analysis, p: Profile, ctx: CheckContext): Outcome {
  if (!a.measurements) return skip('Not checked: the pixels could not be decoded.');
  const max = p.nearDuplicate.maxDistance;
  const previous = ctx.previous;
  if (!previous) return { status: 'pass', value: null, threshold: max, message: 'No earlier frame from this source to compare with.' };
  const distance = hammingDistance(a.measurements.phash, previous.phash);
  if (distance === null) return skip(`Not checked: the stored hash of capture #${previous.captureId} is not a 64-bit hash.`, null, max);
  const value = { distance, previous };
  return distance <= max
    ? { status: 'fail', value, threshold: max, message: `This frame looks the same as the previous one, capture #${previous.captureId} (hash distance ${distance} of 64, limit ${max}): check that the object was changed or turned before moving on.` }
    : { status: 'pass', value, threshold: max, message: `This frame differs from the previous one (hash distance ${distance} of 64).` };
}

/**
 * The RAW ↔ TIFF/JPEG partner. While the window is open the result is 'skip' ("not judged yet"),
 * not 'pass': nothing has been found yet, and a skip does not change the verdict. The station
 * replaces it when the partner arrives (pass) or the window closes ('missing': fail or warn).
 */
export function pairs(p: Profile, pair: CheckContext['pair']): Outcome {
  if (!p.pairs.required) return skip('Not checked: this profile does not require RAW + TIFF/JPEG pairs.');
  const threshold = { windowSec: p.pairs.windowSec };
  // The value 'waiting' is what the store looks for to find captures whose window is still open.
  if (pair === 'waiting') return skip(`Waiting for the partner file (RAW ↔ TIFF/JPEG of the same name) for up to ${p.pairs.windowSec} s.`, 'waiting', threshold);
  if (pair === 'missing') {
    return { status: 'fail', value: null, threshold, message: `No partner file (RAW ↔ TIFF/JPEG of the same name) arrived within ${p.pairs.windowSec} s: check that the camera or software saved both.` };
  }
  return { status: 'pass', value: pair, threshold, message: `Partner file found: capture #${pair.captureId} (${pair.path}).` };
}

export function filename(_a: Analysis, p: Profile, ctx: CheckContext): Outcome {
  const { allowSpaces, allowedChars, pattern, maxLength } = p.filename;
  const name = ctx.fileName;
  const threshold = { allowSpaces, allowedChars, pattern, maxLength };
  const charPattern = compilePattern(`^(?:${allowedChars})$`, '');
  if (charPattern instanceof Error) return { status: 'fail', value: name, threshold, message: charPattern.message };
  const namePattern = pattern === null ? null : compilePattern(`^(?:${pattern})$`, '');
  if (namePattern instanceof Error) return { status: 'fail', value: name, threshold, message: namePattern.message };

  const problems: string[] = [];
  const hasSpaces = /\s/.test(name);
  if (!allowSpaces && hasSpaces) problems.push('contains spaces');
  const bad = [...new Set([...name].filter((ch) => !charPattern.test(ch) && !(hasSpaces && !allowSpaces && /\s/.test(ch))))];
  if (bad.length > 0) problems.push(`contains characters that are not allowed (${bad.map(printable).join(' ')})`);
  const stem = name.includes('.') ? name.slice(0, name.lastIndexOf('.')) : name;
  if (namePattern && !namePattern.test(stem)) problems.push(`does not follow the naming pattern ${pattern}`);
  if (name.length > maxLength) problems.push(`is ${name.length} characters long (at most ${maxLength})`);
  return problems.length === 0
    ? { status: 'pass', value: name, threshold, message: `File name "${name}" follows the naming rules.` }
    : { status: 'fail', value: name, threshold, message: `File name "${name}" ${problems.join(', ')}: rename it following the naming rules.` };
}

/**
 * A barcode in the image that the project accepts but that is not the linked object's: the wrong
 * object (or the wrong label) is on the stand. Codes that fail the project's rules (a QR code on a
 * colour target, a supplier's EAN) say nothing about the object and are ignored.
 */
export function barcodeMismatch(codes: CheckContext['imageBarcodes'], linked: string | null): Outcome {
  if (!codes) return skip('Not checked: the image was not searched for barcodes.');
  if (linked === null) return skip('Not checked: the capture is not linked to an object.', codes.map((c) => c.text));
  // Sorted: the message names them in one order whichever the search read first.
  const valid = [...new Set(codes.filter((c) => c.valid).map((c) => c.text))].sort();
  const value = { inImage: valid, linked };
  if (valid.length === 0) return { status: 'pass', value, threshold: null, message: `No object barcode is readable in the image to compare with ${linked}.` };
  if (valid.includes(linked)) return { status: 'pass', value, threshold: null, message: `The barcode in the image matches the linked object ${linked}.` };
  const seen = valid.length === 1 ? `reads ${valid[0]}` : `reads ${valid.join(', ')}`;
  return {
    status: 'fail',
    value,
    threshold: null,
    message: `The barcode in the image ${seen}, but this capture was taken for object ${linked}: check which object is on the stand, scan its barcode and re-shoot.`,
  };
}

/** Control characters are shown as their code so the message stays one readable line. */
function printable(ch: string): string {
  return /[\p{Cc}\p{Cf}]/u.test(ch) ? `U+${ch.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}` : `"${ch}"`;
}
