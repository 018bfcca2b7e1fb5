/**
 * Checks one stable file version and records it: analysis, the station's knowledge of earlier
 * captures (duplicates, the previous frame, RAW/TIFF partner), the profile's checks, and one
 * transaction that writes the capture with its results and event. Shared by the running station
 * and the batch `check` command so both judge a file the same way.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { createLogger } from '../log/logger.js';
import type { StableFile } from '../ingest/types.js';
import type { Profile } from '../quality/profile.js';
import { analyzeFile, checkPair, NotThatVersion, runChecks, verdictOf } from '../quality/index.js';
import type { Analysis, AnalyzeOptions, CheckContext, CheckResult } from '../quality/types.js';
import type { CaptureRecord, CaptureStore } from '../store/captures.js';
import type { ImageDecodeResult } from '../barcode/image/decode-image.js';
import { firstCode, type SearchGoal } from '../barcode/image/protocol.js';
import { SharedJpegDecode } from '../quality/shared-jpeg.js';
import { isPartner, pairKey, pairRole } from './pairs.js';

const log = createLogger('station.qc');

/** How often checking one version may be cut short (crash, kill) before it is failed unchecked. */
export const maxInterruptedAttempts = 4;

export interface QcSettings {
  analyze: AnalyzeOptions;
  truncatedRetries: number;
  truncatedRetryDelayMs: number;
  /** Barcodes in the image (src/barcode/image): searched while the file is analysed; absent: not searched. */
  barcodes?: {
    /** `shared`: the capture's one JPEG decode, which QC uses too; `goal`: what the search must read before it stops. */
    decode: (absPath: string, shared: SharedJpegDecode | undefined, goal: SearchGoal) => Promise<ImageDecodeResult>;
    /** The barcode of the object this file is about to be linked to (the one open when it arrived). */
    openObject?: (sourceId: string, relPath: string) => string | null;
    /** What the station will decide from this file's image (default: nothing, its first label will do). */
    goal?: (sourceId: string, relPath: string) => SearchGoal;
  };
}

export type QcOutcome =
  | { kind: 'recorded'; record: CaptureRecord; created: boolean; results: CheckResult[]; pairWaiting: boolean; rechecked: CaptureRecord[] }
  /**
   * The file vanished, or is no longer the version that was found complete; `changed`: it is still
   * there with other bytes, so the watcher must look at it again to report its newer version.
   */
  | { kind: 'abandoned'; reason: string; changed: boolean }
  /**
   * The decode looked truncated and the writer may only have paused: check this same version again
   * after `afterMs`, passing `again`. The caller waits without holding a QC slot.
   */
  | { kind: 'retry'; afterMs: number; again: Retry };

/**
 * The search, set off before a scan named the shot's object, stopped at another label (a sheet of
 * several specimens): the rest of the image is read for the scanned code before the shot is judged
 * against it, so it is not failed as a mismatch for a label the search did not reach.
 */
async function lookedFor(searched: ImageDecodeResult, linked: string | null, search: (goal: SearchGoal) => Promise<ImageDecodeResult>): Promise<ImageDecodeResult> {
  if (linked === null || searched.complete || searched.error || searched.codes.some((c) => c.valid && c.text === linked)) return searched;
  const again = await search({ code: linked, distinct: Infinity });
  const codes = new Map([...searched.codes, ...again.codes].map((c) => [`${c.format}\u0000${c.text}`, c]));
  return { ...again, codes: [...codes.values()], ms: searched.ms + again.ms, zxingMs: searched.zxingMs + again.zxingMs };
}

/** A check of a version that was found truncated before: how often, and when the version was first checked. */
export interface Retry {
  retry: number;
  detectedAt: string;
}

export async function checkAndRecord(file: StableFile, profile: Profile, store: CaptureStore, settings: QcSettings, again?: Retry): Promise<QcOutcome> {
  const detectedAt = again?.detectedAt ?? new Date().toISOString();
  const retry = again?.retry ?? 0;
  // A cheap look first: a retry of a file whose writer has since carried on is not decoded again.
  const current = await statVersion(file.absPath);
  if (!current) return { kind: 'abandoned', reason: 'the file was removed before it was checked', changed: false };
  if (current.size !== file.size || current.mtimeUs !== file.mtimeUs) return changedSinceStable(file, current.size);
  const started = store.beginAttempt(file);
  if (started > maxInterruptedAttempts) return recordUnchecked(file, profile, store, started - 1, detectedAt);

  // Both read the file at once; the page cache serves the second reader, and zxing runs in its worker.
  // A large JPEG that both would decode at the same scale is decoded once for the two.
  const shared = settings.barcodes ? new SharedJpegDecode(file.absPath, settings.analyze) : undefined;
  const decoding = shared && settings.barcodes?.decode(file.absPath, shared, settings.barcodes.goal?.(file.sourceId, file.relPath) ?? firstCode);
  let analysis: Analysis;
  try {
    analysis = await analyzeFile(file.absPath, settings.analyze, file, shared);
  } catch (err) {
    store.endAttempt(file);
    if (err instanceof NotThatVersion) return changedSinceStable(file, null);
    return { kind: 'abandoned', reason: `cannot read the file: ${(err as Error).message}`, changed: false };
  }
  if (analysis.decodeError?.kind === 'truncated') {
    // A writer that paused longer than the stability window looks exactly like a truncated file:
    // look again later, and only call it corrupt once it has stopped changing.
    if (retry < settings.truncatedRetries) {
      store.endAttempt(file);
      log.debug('decode looked truncated; checking again later', { file: file.relPath, retry: retry + 1 });
      return { kind: 'retry', afterMs: settings.truncatedRetryDelayMs, again: { retry: retry + 1, detectedAt } };
    }
    if (retry > 0) analysis.decodeError.message += ` (still incomplete after ${retry} retries over ${Math.round((retry * settings.truncatedRetryDelayMs) / 1000)} s, so it is not a writer that paused)`;
  }

  const searched = decoding ? await decoding : null;
  // Read now, not when the search set off: a scan may have come meanwhile (scan-after-capture).
  const linkedBarcode = settings.barcodes?.openObject?.(file.sourceId, file.relPath) ?? null;
  const barcodes = searched && (await lookedFor(searched, linkedBarcode, (goal) => settings.barcodes!.decode(file.absPath, undefined, goal)));
  if (barcodes?.error) log.debug('barcode search incomplete', { file: file.relPath, error: barcodes.error });
  const context: CheckContext = {
    ...contextFor(file, analysis, profile, store),
    imageBarcodes: barcodes && !barcodes.error ? barcodes.codes : barcodes?.codes.length ? barcodes.codes : null,
    linkedBarcode,
  };
  const results = runChecks(analysis, profile, context);
  const { record, created } = store.recordCapture({ file, analysis, results, verdict: verdictOf(results), detectedAt, ...(barcodes ? { barcodes: barcodes.codes, barcodesComplete: barcodes.complete } : {}) });
  const partner = created && typeof context.pair === 'object' ? settlePartner(store, profile, record, context.pair.captureId) : null;
  // The linker's hook may have judged the barcode mismatch again against the object it linked.
  return { kind: 'recorded', record, created, results: created ? store.results(record.id) : results, pairWaiting: profile.pairs.required && context.pair === 'waiting', rechecked: partner ? [partner] : [] };
}

function contextFor(file: StableFile, analysis: Analysis, profile: Profile, store: CaptureStore): CheckContext {
  const duplicate = analysis.sha256 ? store.firstWithSha256(analysis.sha256) : null;
  const previous = store.latestWithPhash(file.sourceId);
  return {
    fileName: path.posix.basename(file.relPath),
    duplicateOf: duplicate ? { captureId: duplicate.id, path: duplicate.path } : null,
    previous: previous?.phash ? { captureId: previous.id, path: previous.path, phash: previous.phash } : null,
    pair: profile.pairs.required ? findPartner(store, file.sourceId, file.relPath) ?? 'waiting' : 'waiting',
  };
}

function findPartner(store: CaptureStore, sourceId: string, relPath: string): { captureId: number; path: string } | null {
  if (!pairRole(relPath)) return null;
  const { relDir, stem } = pairKey(relPath);
  const partner = store.siblings(sourceId, relDir, stem).find((c) => isPartner(relPath, c.relPath));
  return partner ? { captureId: partner.id, path: partner.path } : null;
}

/** The partner recorded earlier was waiting for this capture: its pair check now passes. */
function settlePartner(store: CaptureStore, profile: Profile, record: CaptureRecord, partnerId: number): CaptureRecord | null {
  return replacePairResult(store, partnerId, checkPair(profile, { captureId: record.id, path: record.path }));
}

/**
 * Closes the pair window of a capture that is still waiting: its partner either arrived (pass) or
 * not (the profile's severity). Returns the updated record when its verdict or result changed.
 */
export function closePairWindow(store: CaptureStore, profile: Profile, captureId: number): CaptureRecord | null {
  const capture = store.get(captureId);
  if (!capture) return null;
  return replacePairResult(store, captureId, checkPair(profile, findPartner(store, capture.sourceId, capture.relPath) ?? 'missing'));
}

function replacePairResult(store: CaptureStore, captureId: number, settled: CheckResult): CaptureRecord | null {
  const results = store.results(captureId);
  const current = results.find((r) => r.check === 'pairs');
  if (!current || (current.status === settled.status && current.message === settled.message)) return null;
  return store.updateCheck(captureId, settled, verdictOf(results.map((r) => (r.check === 'pairs' ? settled : r))));
}

/** A version that took the station down every time it was checked is failed without decoding it again. */
function recordUnchecked(file: StableFile, profile: Profile, store: CaptureStore, interruptions: number, detectedAt: string): QcOutcome {
  const analysis: Analysis = {
    sha256: '',
    size: file.size,
    facts: null,
    measurements: null,
    decodeError: {
      kind: 'corrupt',
      message: `Checking this file was interrupted ${interruptions} times (the station stopped or crashed while decoding it), so it was not decoded again. Open it in another program to see whether it is damaged; re-shoot or re-export it.`,
    },
    elapsedMs: 0,
  };
  log.error('file failed unchecked after repeated interruptions', { file: file.relPath, interruptions });
  const results = runChecks(analysis, profile, { fileName: path.posix.basename(file.relPath), duplicateOf: null, previous: null, pair: 'waiting' });
  const { record, created } = store.recordCapture({ file, analysis, results, verdict: verdictOf(results), detectedAt });
  return { kind: 'recorded', record, created, results, pairWaiting: false, rechecked: [] };
}

function changedSinceStable(file: StableFile, nowSize: number | null): QcOutcome {
  const sizes = nowSize === null || nowSize === file.size ? '' : ` (${file.size} bytes then, ${nowSize} now)`;
  return { kind: 'abandoned', reason: `the file changed after it was found complete${sizes}: its writer paused longer than ingest.stableWindowMs; its newer version will be checked`, changed: true };
}

export async function statVersion(absPath: string): Promise<{ size: number; mtimeUs: number } | null> {
  try {
    const st = await fs.stat(absPath, { bigint: true });
    return { size: Number(st.size), mtimeUs: Number(st.mtimeNs / 1000n) };
  } catch {
    return null;
  }
}
