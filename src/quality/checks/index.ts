/**
 * runChecks: one result per check, in `checkIds` order, from an Analysis, a profile and what the
 * station knows of earlier captures. Pure: no I/O, no clock.
 */
import type { Profile } from '../profile.js';
import { checkIds, type Analysis, type CheckContext, type CheckId, type CheckResult, type Verdict } from '../types.js';
import { barcodeMismatch, duplicate, filename, nearDuplicate, pairs } from './context.js';
import { bitDepth, colour, decodes, format, minPixels, minPpi, singlePage, tiffCompression } from './file.js';
import { settle, type Outcome } from './outcome.js';
import { blank, exposure, sharpness } from './pixels.js';

type Check = (a: Analysis, p: Profile, ctx: CheckContext) => Outcome;

const checks: Record<CheckId, Check> = {
  decodes,
  format,
  singlePage,
  tiffCompression,
  minPixels,
  minPpi,
  bitDepth,
  colour,
  exposure,
  blank,
  sharpness,
  duplicate,
  nearDuplicate,
  pairs: (_a, p, ctx) => pairs(p, ctx.pair),
  filename,
  barcodeMismatch: (_a, _p, ctx) => barcodeMismatch(ctx.imageBarcodes, ctx.linkedBarcode ?? null),
};

export function runChecks(a: Analysis, profile: Profile, ctx: CheckContext): CheckResult[] {
  return checkIds.map((id) => settle(id, profile, () => checks[id](a, profile, ctx)));
}

/** The pair check alone, for the station to settle a capture's pair once its partner arrives or the window closes. */
export function checkPair(profile: Profile, pair: CheckContext['pair']): CheckResult {
  return settle('pairs', profile, () => pairs(profile, pair));
}

/**
 * The barcode-mismatch check alone, for a capture whose link changed after QC ran (scanned after
 * the shot, relinked, split, merged, undone). `imageBarcodes` null: the image was not searched.
 */
export function checkBarcodeMismatch(profile: Profile, imageBarcodes: CheckContext['imageBarcodes'], linkedBarcode: string | null): CheckResult {
  return settle('barcodeMismatch', profile, () => barcodeMismatch(imageBarcodes, linkedBarcode));
}

export function verdictOf(results: readonly CheckResult[]): Verdict {
  if (results.some((r) => r.status === 'fail')) return 'fail';
  if (results.some((r) => r.status === 'warn')) return 'warn';
  return 'pass';
}
