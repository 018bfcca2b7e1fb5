/** The History timeline in plain words: each event a sentence, with the check labels the verdict banner uses. */
import { createElement } from 'react';
import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import { captureRecord } from '../helpers/capture-records.js';
import { eventSentence } from '../../renderer/app/event-words.js';
import { problemsOf } from '../../renderer/app/format.js';
import { HistoryRow } from '../../renderer/components/HistoryView.js';

const said = (type: string, data: unknown) => eventSentence({ type, data });

describe('eventSentence', () => {
  it('says what happened to the capture, not the event name or its fields', () => {
    expect(said('capture.recorded', { verdict: 'pass', failedChecks: [], version: 1, sha256: 'ab12' })).toBe('Recorded — PASS');
    expect(said('capture.recorded', { verdict: 'fail', failedChecks: ['barcodeMismatch', 'decodes'], version: 2 })).toBe('Recorded as version 2 — FAIL: Barcode matches object, File opens');
    expect(said('capture.rechecked', { check: 'exposure', status: 'pass', verdict: 'warn', failedChecks: [] })).toBe('Checked again: Exposure now PASS; the capture is now WARN');
    expect(said('upload.queued', { jobId: 3, targetId: 'nas', from: null, to: 'queued', attempts: 0 })).toBe('Queued for upload to nas');
    expect(said('upload.leased', { jobId: 3, targetId: 'nas', from: 'queued', to: 'leased', attempts: 0 })).toBe('Upload to nas started (attempt 1)');
    expect(said('upload.retry', { targetId: 'nas', attempts: 1, error: 'share not mounted', retryAt: '2026-11-26T10:00:30.000Z' })).toMatch(/^Upload to nas failed \(attempt 1\): share not mounted; next try at \S+/);
    expect(said('upload.retry', { targetId: 'nas', attempts: 2, error: 'timeout' })).toBe('Upload to nas failed (attempt 2): timeout');
    expect(said('upload.done', { targetId: 'nas', attempts: 0, remoteKey: 'A-1/A-1_01.tif', alreadyPresent: false })).toBe('Uploaded to nas as A-1/A-1_01.tif');
    expect(said('upload.dead', { targetId: 'nas', attempts: 5, error: 'disk full' })).toBe('Upload to nas given up after 5 attempts: disk full');
    expect(said('capture.filed', { from: '/in/a.tif', to: '/lib/2026-11-26/B-1/B-1_001.tif' })).toBe('Filed as /lib/2026-11-26/B-1/B-1_001.tif');
    expect(said('capture.filing-failed', { from: '/in/a.tif', to: '/lib/B-1_001.tif', error: 'EACCES' })).toBe('Could not be filed as /lib/B-1_001.tif: EACCES');
    expect(said('capture.linked', { objectId: 4, barcode: 'B-1', seq: 2, view: 'back' })).toBe('Linked to B-1 as shot 2 (back)');
    expect(said('capture.relinked', { why: 'relink', barcode: 'B-2', seq: 1, view: null })).toBe('Relinked to B-2 as shot 1 (relinked by hand)');
    expect(said('capture.relinked', { why: 'undo', barcode: null, seq: null, view: null })).toBe('Unlinked (an edit was undone)');
    expect(said('capture.unlinked', { objectId: 4, barcode: 'B-1', reshoot: true })).toBe('Taken off B-1 and flagged to be shot again');
    expect(said('capture.awaiting-barcode', null)).toBe('Waiting for its barcode to be scanned');
    expect(said('capture.local-removed', { path: '/in/a.tif', alreadyGone: false })).toBe('Local file removed (its uploaded copies are confirmed): /in/a.tif');
    expect(said('alarm', { barcode: 'B-1', message: 'Two barcodes in one image.' })).toBe('Alarm: Two barcodes in one image.');
  });

  it('says an event it has no words for in words too, and survives data of the wrong shape', () => {
    expect(said('capture.frobbed', { x: 1 })).toBe('Capture frobbed');
    expect(said('capture.recorded', 'garbage')).toBe('Recorded');
    expect(said('upload.leased', null)).toBe('Upload started (attempt 1)');
  });
});

describe('a History row', () => {
  it('names failing checks as the verdict banner does, not by their ids', () => {
    const html = renderToStaticMarkup(createElement(HistoryRow, { capture: captureRecord(1, { verdict: 'fail', failedChecks: ['barcodeMismatch', 'decodes'] }) }));
    const banner = problemsOf([
      { check: 'barcodeMismatch', status: 'fail', message: '', value: null, threshold: null },
      { check: 'decodes', status: 'fail', message: '', value: null, threshold: null },
    ]).map((p) => p.label);
    expect(html).toContain(banner.join(', '));
    expect(html).not.toMatch(/barcodeMismatch|decodes/);
  });
});
