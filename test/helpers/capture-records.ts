/** Captures as the station sends them to the UI, for UI tests: each test overrides only what it is about. */
import type { CaptureDetail, CaptureRecord } from '../../src/store/captures.js';

export function captureRecord(id: number, over: Partial<CaptureRecord> = {}): CaptureRecord {
  return {
    id,
    sourceId: 'inbox',
    relPath: `shots/img-${id}.tif`,
    path: `/data/Inbox/shots/img-${id}.tif`,
    version: 1,
    size: 1_234_567,
    mtimeUs: 0,
    sha256: null,
    verdict: 'pass',
    format: 'tiff',
    width: 100,
    height: 100,
    bitDepth: 16,
    phash: null,
    failedChecks: [],
    detectedAt: '2026-11-25T10:00:00.000Z',
    checkedAt: '2026-11-25T10:00:01.000Z',
    qcMs: 840,
    ...over,
  };
}

/** `over` may carry a whole record (a detail of a record made with other defaults). */
export function captureDetail(id: number, over: Partial<CaptureDetail> = {}): CaptureDetail {
  return { ...captureRecord(id), facts: null, measurements: null, results: [], events: [], link: null, reshoot: false, session: null, ...over };
}
