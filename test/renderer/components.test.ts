/** The capture view's pieces rendered to HTML in Node (react-dom/server): what the technician reads. */
import { createElement } from 'react';
import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import { captureDetail, captureRecord } from '../helpers/capture-records.js';
import { mergeCaptures, upsertCapture } from '../../renderer/app/captures-state.js';
import { checkLabels, formatBytes, keyFacts, problemsOf, verdictLook } from '../../renderer/app/format.js';
import { CaptureView } from '../../renderer/components/CaptureView.js';
import { RecentList } from '../../renderer/components/RecentList.js';
import { VerdictBanner } from '../../renderer/components/VerdictBanner.js';
import { checkIds, type CheckResult } from '../../src/quality/types.js';
import type { CaptureDetail, CaptureRecord } from '../../src/store/captures.js';

const record = (id: number, over: Partial<CaptureRecord> = {}): CaptureRecord =>
  captureRecord(id, { sha256: 'ffdbd23ec76b0123456789abcdef0123456789abcdef0123456789abcdef0123', width: 7952, height: 5304, ...over });

const result = (check: CheckResult['check'], status: CheckResult['status'], message: string): CheckResult => ({ check, status, message, value: null, threshold: null });

/** The capture view's preview props when the preview does not matter to the test. */
const noPreview = { preview: { status: 'none' }, overlay: false, onToggleOverlay: () => undefined, sound: { enabled: true, muted: false, onToggleMute: () => undefined } } as const;

const detail = (over: Partial<CaptureDetail> = {}): CaptureDetail => captureDetail(7, { ...record(7), ...over });

describe('verdict banner', () => {
  it('says each verdict with an icon and a word, not colour alone', () => {
    const words = new Set<string>();
    const icons = new Set<string>();
    for (const v of ['pass', 'warn', 'fail'] as const) {
      const html = renderToStaticMarkup(createElement(VerdictBanner, { verdict: v, problems: [] }));
      expect(html).toContain(`data-verdict="${v}"`);
      expect(html).toContain(verdictLook[v].word);
      expect(html).toContain(verdictLook[v].icon);
      expect(html).toContain('role="status"');
      words.add(verdictLook[v].word);
      icons.add(verdictLook[v].icon);
    }
    expect(words.size).toBe(3);
    expect(icons.size).toBe(3);
  });

  it('lists the failing checks first, in plain words with their messages, then the warnings; passes are not listed', () => {
    const problems = problemsOf([
      result('sharpness', 'warn', 'Slightly soft; check focus.'),
      result('format', 'pass', 'TIFF is allowed.'),
      result('decodes', 'fail', 'The file is damaged and cannot be decoded: re-shoot.'),
      result('bitDepth', 'fail', '8-bit, the profile needs 16-bit.'),
      result('pairs', 'skip', 'No pair rule.'),
    ]);
    expect(problems.map((p) => [p.label, p.status])).toEqual([
      ['File opens', 'fail'],
      ['Bit depth', 'fail'],
      ['Sharpness', 'warn'],
    ]);
    const html = renderToStaticMarkup(createElement(VerdictBanner, { verdict: 'fail', problems }));
    expect(html).toContain('File opens');
    expect(html).toContain('The file is damaged and cannot be decoded: re-shoot.');
    expect(html).not.toContain('TIFF is allowed.');
    expect(html.indexOf('File opens')).toBeLessThan(html.indexOf('Sharpness'));
  });

  it('has a plain label for every check the core knows', () => {
    for (const id of checkIds) expect(checkLabels[id], id).toMatch(/^[A-Z]/);
  });
});

describe('capture view', () => {
  it('shows the newest capture large: name, verdict and key facts', () => {
    const html = renderToStaticMarkup(
      createElement(CaptureView, { capture: detail({ verdict: 'fail', results: [result('decodes', 'fail', 'Truncated file.')] }), following: true, inboxes: [], onFollowLatest: () => undefined, ...noPreview }),
    );
    expect(html).toContain('img-7.tif');
    expect(html).toContain('FAIL');
    expect(html).toContain('Truncated file.');
    expect(html).toContain('7952 × 5304');
    expect(html).toContain('42 MP');
    expect(html).toContain('16-bit');
    expect(html).toContain('TIFF');
    expect(html).toContain('ffdbd23ec76b');
    expect(html).not.toContain('ffdbd23ec76b0'); // short form only
    expect(html).not.toContain('Show newest');
  });

  it('offers the way back to the newest when an older capture is shown, and says where files are expected when there is none', () => {
    const older = renderToStaticMarkup(createElement(CaptureView, { capture: detail(), following: false, inboxes: [], onFollowLatest: () => undefined, ...noPreview }));
    expect(older).toContain('Show newest');
    const empty = renderToStaticMarkup(createElement(CaptureView, { capture: null, following: true, inboxes: ['/data/Inbox'], onFollowLatest: () => undefined, ...noPreview }));
    expect(empty).toContain('Waiting for the first capture');
    expect(empty).toContain('/data/Inbox');
  });

  it('lists recent captures with verdict words and marks the one on screen', () => {
    const html = renderToStaticMarkup(createElement(RecentList, { captures: [record(3, { verdict: 'fail' }), record(2, { verdict: 'warn' })], currentId: 2, onSelect: () => undefined }));
    expect(html).toMatch(/FAIL.*img-3\.tif.*WARN.*img-2\.tif/s);
    expect(html.match(/aria-current="true"/g)).toHaveLength(1);
    expect(html).toMatch(/aria-current="true"[^>]*>.*?img-2\.tif/s);
  });

  it('formats facts for reading at a distance', () => {
    expect(formatBytes(512)).toBe('512 B');
    expect(formatBytes(1_234_567)).toBe('1.2 MB');
    expect(formatBytes(250 * 1024 ** 3)).toBe('250 GB');
    // Every size in a unit it has at least one of; a rounded figure never reads "1024 KB" or "0.5 B".
    expect([0, 0.4, 1023.7, 1536, 1023.97 * 1024, 5.25 * 1024 ** 2, 1024 ** 3, 3 * 1024 ** 4, 2048 * 1024 ** 4].map((n) => formatBytes(n))).toEqual(['0 B', '0 B', '1.0 KB', '1.5 KB', '1.0 MB', '5.3 MB', '1.0 GB', '3.0 TB', '2048 TB']);
    const facts = keyFacts(record(1, { width: null, height: null, bitDepth: null, format: null, sha256: null, qcMs: null }));
    expect(facts.map((f) => f.value)).toEqual(['—', '—', 'unknown', '1.2 MB', '—', expect.any(String)]);
  });
});

describe('recent captures state', () => {
  it('keeps one entry per capture, newest first, within the limit', () => {
    let list: CaptureRecord[] = [];
    list = upsertCapture(list, record(1));
    list = upsertCapture(list, record(3));
    list = upsertCapture(list, record(2));
    list = upsertCapture(list, record(3, { verdict: 'warn' }));
    expect(list.map((c) => [c.id, c.verdict])).toEqual([
      [3, 'warn'],
      [2, 'pass'],
      [1, 'pass'],
    ]);
    expect(upsertCapture(list, record(4), 2).map((c) => c.id)).toEqual([4, 3]);
    expect(mergeCaptures(list, [record(5), record(2, { verdict: 'fail' })]).map((c) => [c.id, c.verdict])).toEqual([
      [5, 'pass'],
      [3, 'warn'],
      [2, 'fail'],
      [1, 'pass'],
    ]);
  });
});
