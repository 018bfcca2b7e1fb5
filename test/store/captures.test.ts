import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { sourceSchema } from '../../src/config/schema.js';
import type { Analysis, CheckResult } from '../../src/quality/types.js';
import { openStore, type StationStore } from '../../src/store/open.js';

let dir: string;
let store: StationStore;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cs-captures-'));
  store = openStore(path.join(dir, 'station.db'));
  store.captures.syncSources([sourceSchema.parse({ id: 'cam', path: dir })]);
});
afterEach(() => {
  store.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

const file = { sourceId: 'cam', absPath: '/x/a.tif', relPath: 'a.tif', size: 100, mtimeUs: 1_700_000_000_000_000 };
const analysis: Analysis = { sha256: 'ab'.repeat(32), size: 100, facts: null, measurements: null, decodeError: null, elapsedMs: 12 };
const results: CheckResult[] = [
  { check: 'decodes', status: 'pass', value: true, threshold: null, message: 'Decodes.' },
  { check: 'exposure', status: 'fail', value: { white: 9 }, threshold: 5, message: 'Too bright.' },
];

describe('capture store', () => {
  it('records a version once, with its results, the end of its attempt and one event, in one transaction', () => {
    expect(store.captures.beginAttempt(file)).toBe(1);
    expect(store.captures.beginAttempt(file)).toBe(2);
    const first = store.captures.recordCapture({ file, analysis, results, verdict: 'fail', detectedAt: '2026-11-24T00:00:00Z' });
    expect(first.created).toBe(true);
    expect(first.record).toMatchObject({ relPath: 'a.tif', version: 1, verdict: 'fail', failedChecks: ['exposure'], sha256: analysis.sha256 });
    expect(store.captures.interruptedAttempts()).toEqual([]);
    const again = store.captures.recordCapture({ file, analysis, results, verdict: 'fail', detectedAt: '2026-11-24T00:00:01Z' });
    expect(again).toMatchObject({ created: false, record: { id: first.record.id } });
    const detail = store.captures.detail(first.record.id)!;
    expect(detail.results).toEqual(results);
    expect(detail.events.map((e) => e.type)).toEqual(['capture.recorded']);
    expect(store.captures.isKnown(file)).toBe(true);
    expect(store.captures.isKnown({ ...file, size: 101 })).toBe(false);
  });

  it('numbers rewritten versions and finds earlier content by sha256', () => {
    const a = store.captures.recordCapture({ file, analysis, results, verdict: 'fail', detectedAt: 'x' }).record;
    const b = store.captures.recordCapture({ file: { ...file, size: 120, mtimeUs: file.mtimeUs + 1 }, analysis: { ...analysis, sha256: 'cd'.repeat(32) }, results, verdict: 'pass', detectedAt: 'x' }).record;
    expect(b.version).toBe(2);
    expect(store.captures.firstWithSha256(analysis.sha256)?.id).toBe(a.id);
    expect(store.captures.counts()).toEqual({ pass: 1, warn: 0, fail: 1, total: 2 });
    expect(store.captures.list({ verdict: 'pass' }).map((c) => c.id)).toEqual([b.id]);
    expect(store.captures.list({ beforeId: b.id }).map((c) => c.id)).toEqual([a.id]);
  });

  it('updates one check after the fact, re-derives the verdict and logs it', () => {
    const pairs: CheckResult = { check: 'pairs', status: 'pass', value: 'waiting', threshold: 60, message: 'Waiting for the RAW.' };
    const { record } = store.captures.recordCapture({ file, analysis, results: [results[0]!, pairs], verdict: 'pass', detectedAt: 'x' });
    expect(store.captures.capturesAwaitingPair().map((c) => c.id)).toEqual([record.id]);
    const updated = store.captures.updateCheck(record.id, { ...pairs, status: 'fail', value: 'missing', message: 'No RAW arrived.' }, 'fail');
    expect(updated).toMatchObject({ verdict: 'fail', failedChecks: ['pairs'] });
    expect(store.captures.capturesAwaitingPair()).toEqual([]);
    expect(store.captures.detail(record.id)?.events.map((e) => e.type)).toEqual(['capture.recorded', 'capture.rechecked']);
  });

  it('finds RAW/TIFF siblings in the same folder only', () => {
    for (const relPath of ['d/IMG_1.tif', 'd/IMG_1.CR2', 'd/IMG_10.tif', 'd/sub/IMG_1.tif', 'IMG_1.tif']) {
      store.captures.recordCapture({ file: { ...file, relPath }, analysis, results, verdict: 'pass', detectedAt: 'x' });
    }
    expect(store.captures.siblings('cam', 'd', 'IMG_1').map((c) => c.relPath)).toEqual(['d/IMG_1.tif', 'd/IMG_1.CR2']);
    expect(store.captures.siblings('cam', '', 'IMG_1').map((c) => c.relPath)).toEqual(['IMG_1.tif']);
  });

  it('refuses a capture of an unknown source (foreign keys are on)', () => {
    expect(() => store.captures.recordCapture({ file: { ...file, sourceId: 'nope' }, analysis, results, verdict: 'pass', detectedAt: 'x' })).toThrow(/FOREIGN KEY/);
  });
});
