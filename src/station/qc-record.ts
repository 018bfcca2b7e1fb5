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
import { analyzeFile, checkPair, runChecks, verdictOf } from '../quality/index.js';
import type { Analysis, AnalyzeOptions, CheckContext, CheckResult } from '../quality/types.js';
import type { CaptureRecord, CaptureStore } from '../store/captures.js';
import type { ImageDecodeResult } from '../barcode/image/decode-image.js';
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
    decode: (absPath: string) => Promise<ImageDecodeResult>;
    /** The barcode of the object this file is about to be linked to (the one open when it arrived). */
    openObject?: (sourceId: string, relPath: string) => string | null;
  };
}

export type QcOutcome =
  | { kind: 'recorded'; record: CaptureRecord; created: boolean; results: CheckResult[]; pairWaiting: boolean; rechecked: CaptureRecord[] }
  /** The file changed or vanished while being checked; the watcher reports its next version. */
  | { kind: 'abandoned'; reason: string };

export async function checkAndRecord(file: StableFile, profile: Profile, store: CaptureStore, settings: QcSettings, signal?: AbortSignal): Promise<QcOutcome> {
  const detectedAt = new Date().toISOString();
  const started = store.beginAttempt(file);
  if (started > maxInterruptedAttempts) return recordUnchecked(file, profile, store, started - 1, detectedAt);

  // Both read the file at once; the page cache serves the second reader, and zxing runs in its worker.
  const decoding = settings.barcodes?.decode(file.absPath);
  let analysis: Analysis;
  for (let retry = 0; ; retry++) {
    try {
      analysis = await analyzeFile(file.absPath, settings.analyze);
    } catch (err) {
      store.endAttempt(file);
      return { kind: 'abandoned', reason: `cannot read the file: ${(err as Error).message}` };
    }
    if (analysis.decodeError?.kind !== 'truncated') break;
    if (retry >= settings.truncatedRetries) {
      analysis.decodeError.message += ` (still incomplete after ${retry} retries over ${Math.round((retry * settings.truncatedRetryDelayMs) / 1000)} s, so it is not a writer that paused)`;
      break;
    }
    // A writer that paused longer than the stability window looks exactly like a truncated file:
    // wait, and only call it corrupt if it has stopped changing.
    await delay(settings.truncatedRetryDelayMs, signal);
    if (signal?.aborted) {
      store.endAttempt(file);
      return { kind: 'abandoned', reason: 'the station is stopping; the file will be checked at the next start' };
    }
    const now = await statVersion(file.absPath);
    if (!now || now.size !== file.size || now.mtimeUs !== file.mtimeUs) {
      store.endAttempt(file);
      return { kind: 'abandoned', reason: now ? 'the file was still being written; its complete version will be checked' : 'the file was removed while being checked' };
    }
    log.debug('decode looked truncated; retrying', { file: file.relPath, retry: retry + 1 });
  }

  const barcodes = decoding ? await decoding : null;
  if (barcodes?.error) log.debug('barcode search incomplete', { file: file.relPath, error: barcodes.error });
  const context: CheckContext = {
    ...contextFor(file, analysis, profile, store),
    imageBarcodes: barcodes && !barcodes.error ? barcodes.codes : barcodes?.codes.length ? barcodes.codes : null,
    linkedBarcode: settings.barcodes?.openObject?.(file.sourceId, file.relPath) ?? null,
  };
  const results = runChecks(analysis, profile, context);
  const { record, created } = store.recordCapture({ file, analysis, results, verdict: verdictOf(results), detectedAt, ...(barcodes ? { barcodes: barcodes.codes } : {}) });
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

export async function statVersion(absPath: string): Promise<{ size: number; mtimeUs: number } | null> {
  try {
    const st = await fs.stat(absPath, { bigint: true });
    return { size: Number(st.size), mtimeUs: Number(st.mtimeNs / 1000n) };
  } catch {
    return null;
  }
}

function delay(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => (clearTimeout(timer), resolve()), { once: true });
  });
}
