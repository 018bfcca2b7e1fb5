/** The views beyond the capture view: navigation keys, the scan bar, queue, history (windowed) and dashboard. */
import fs from 'node:fs';
import path from 'node:path';
import { createElement } from 'react';
import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it, vi } from 'vitest';
import { captureRecord } from '../helpers/capture-records.js';
import { compactNumber, niceMax, stackedBars, ticks } from '../../renderer/app/chart.js';
import { appendPage, applyLive, eventSummary, matchesFilter, nextPageQuery } from '../../renderer/app/history-state.js';
import { applyLinkEffect, expectedViews, shownObject, type OpenObjects } from '../../renderer/app/linking-state.js';
import { formatEta, formatPending, formatRate, reachOf, totalDead, type QueueStatus } from '../../renderer/app/queue-format.js';
import { throttle } from '../../renderer/app/throttle.js';
import { viewForKey, viewFromHash, views } from '../../renderer/app/views.js';
import { moveSelection, needsMore, scrollToReveal, visibleWindow } from '../../renderer/app/windowing.js';
import { BarChart } from '../../renderer/components/BarChart.js';
import { CaptureDetailPanel } from '../../renderer/components/CaptureDetailPanel.js';
import { DashboardPanel, type CaptureStats } from '../../renderer/components/DashboardView.js';
import { HistoryPanel, historyRowHeight } from '../../renderer/components/HistoryView.js';
import { Nav } from '../../renderer/components/Nav.js';
import { QueuePanel } from '../../renderer/components/QueueView.js';
import { ScanBar } from '../../renderer/components/ScanBar.js';
import type { CaptureDetail } from '../../src/store/captures.js';

const record = captureRecord;

const key = (k: string, mods: Partial<{ altKey: boolean; ctrlKey: boolean; metaKey: boolean; shiftKey: boolean; code: string }> = {}) => ({ key: k, altKey: false, ctrlKey: false, metaKey: false, shiftKey: false, ...mods });
const noop = () => undefined;

describe('navigation', () => {
  it('opens the five views with F1–F4, F8 and Alt+1…5, and nothing else', () => {
    expect(views.map((v) => v.id)).toEqual(['capture', 'queue', 'history', 'dashboard', 'settings']);
    expect(['F1', 'F2', 'F3', 'F4', 'F8'].map((k) => viewForKey(key(k)))).toEqual(['capture', 'queue', 'history', 'dashboard', 'settings']);
    expect(['1', '2', '3', '4', '5'].map((k) => viewForKey(key(k, { altKey: true })))).toEqual(['capture', 'queue', 'history', 'dashboard', 'settings']);
    // Alt+digit on a layout where it gives another character is matched by the physical key.
    expect(viewForKey(key('¡', { altKey: true, code: 'Digit1' }))).toBe('capture');
    expect(viewForKey(key('1'))).toBeNull(); // a plain digit is a barcode character
    expect(viewForKey(key('F2', { ctrlKey: true }))).toBeNull();
    expect(viewForKey(key('F5'))).toBeNull();
    expect(viewFromHash('#history')).toBe('history');
    expect(viewFromHash('#nonsense')).toBe('capture');
    expect(viewFromHash('')).toBe('capture');
  });

  it('shows every view with its key in the header and marks the current one', () => {
    const html = renderToStaticMarkup(createElement(Nav, { view: 'queue', onView: noop }));
    for (const v of views) {
      expect(html).toContain(v.label);
      expect(html).toContain(`<kbd class="nav__key">${v.fkey}</kbd>`);
    }
    expect(html.match(/aria-current="page"/g)).toHaveLength(1);
    expect(html).toMatch(/aria-current="page"[^>]*><span class="nav__label">Queue/);
  });
});

describe('scan bar', () => {
  it('keeps the open object and its shot count from link effects', () => {
    let open: OpenObjects = { inbox: null };
    open = applyLinkEffect(open, 'inbox', { type: 'object.opened', object: 1, barcode: 'NHM-000123' });
    expect(open.inbox).toEqual({ barcode: 'NHM-000123', shots: 0 });
    open = applyLinkEffect(open, 'inbox', { type: 'capture.linked', object: 1, captureId: 1, barcode: 'NHM-000123', seq: 1, view: null });
    open = applyLinkEffect(open, 'inbox', { type: 'capture.linked', object: 1, captureId: 2, barcode: 'NHM-000123', seq: 1, view: null }); // its RAW partner: same shot
    open = applyLinkEffect(open, 'inbox', { type: 'capture.linked', object: 1, captureId: 3, barcode: 'NHM-000123', seq: 2, view: null });
    expect(open.inbox?.shots).toBe(2);
    open = applyLinkEffect(open, 'inbox', { type: 'capture.unlinked', captureIds: [3], barcode: 'NHM-000123', seq: 2, stem: 'IMG_3', reshoot: true });
    expect(open.inbox?.shots).toBe(1);
    expect(applyLinkEffect(open, 'inbox', { type: 'alarm', barcode: null, message: 'x' })).toBe(open);
    expect(shownObject(open, 'inbox')).toEqual({ sourceId: 'inbox', object: { barcode: 'NHM-000123', shots: 1 } });
    open = applyLinkEffect(open, 'inbox', { type: 'object.closed', object: 1, barcode: 'NHM-000123', reason: 'end', shots: 1 });
    expect(open.inbox).toBeNull();
    expect(shownObject(open, null)).toBeNull();
  });

  it('shows the barcode large with its shot count, and a refusal prominently', () => {
    const html = renderToStaticMarkup(
      createElement(ScanBar, { object: { sourceId: 'inbox', barcode: 'NHM-000123', shots: 3 }, linkingEnabled: true, sources: ['inbox'], alarm: null, onScan: async () => ({ said: '' }) }),
    );
    expect(html).toMatch(/class="scanbar__barcode mono"[^>]*>NHM-000123</);
    expect(html).toContain('3 shots');
    expect(html).toContain('id="scan-input"');
    expect(html).not.toContain('REFUSED');
    const refused = renderToStaticMarkup(
      createElement(ScanBar, { object: null, linkingEnabled: true, sources: ['a', 'b'], alarm: null, onScan: async () => ({ said: '' }), refusal: 'Barcode "x" was refused: it is too short.' }),
    );
    expect(refused).toContain('No object open');
    expect(refused).toMatch(/role="alert"[^>]*>.*REFUSED.*Barcode &quot;x&quot; was refused: it is too short\./s);
    expect(refused).toContain('aria-invalid="true"');
    expect(refused).toContain('Source of the scan'); // several sources: say which
    const off = renderToStaticMarkup(createElement(ScanBar, { object: null, linkingEnabled: false, sources: ['a'], alarm: null, onScan: async () => ({ said: '' }) }));
    expect(off).toContain('Barcode linking is off');
  });

  it('shows which expected views of the open object are done and which are still to shoot', () => {
    expect(expectedViews(1, ['front', 'back', 'label'], 0)).toEqual([
      { label: 'front', done: true },
      { label: 'back', done: false },
      { label: 'label', done: false },
    ]);
    expect(expectedViews(2, [], 3).map((v) => [v.label, v.done])).toEqual([['shot 1', true], ['shot 2', true], ['shot 3', false]]);
    expect(expectedViews(4, [], 0)).toEqual([]);
    const html = renderToStaticMarkup(
      createElement(ScanBar, { object: { sourceId: 'inbox', barcode: 'NHM-000123', shots: 2 }, linkingEnabled: true, sources: ['inbox'], alarm: null, onScan: async () => ({ said: '' }), views: ['front', 'back', 'label'] }),
    );
    const items = [...html.matchAll(/<li class="scanbar__view" data-done="(true|false)"><span aria-hidden="true">(.)<\/span> (\w+) <span class="scanbar__view-state">([\w ]+)<\/span><\/li>/g)].map((m) => m.slice(1));
    expect(items).toEqual([
      ['true', '✓', 'front', 'done'],
      ['true', '✓', 'back', 'done'],
      ['false', '○', 'label', 'to shoot'],
    ]);
    expect(renderToStaticMarkup(createElement(ScanBar, { object: { sourceId: 'inbox', barcode: 'X', shots: 0 }, linkingEnabled: true, sources: ['inbox'], alarm: null, onScan: async () => ({ said: '' }) }))).not.toContain('scanbar__views');
  });

  it("shows a monitor's screen the object but no scan field: a read-only note stands in its place", () => {
    const html = renderToStaticMarkup(
      createElement(ScanBar, { object: { sourceId: 'inbox', barcode: 'NHM-000123', shots: 2 }, linkingEnabled: true, sources: ['a', 'b'], alarm: null, onScan: async () => ({ said: '' }), readOnly: true }),
    );
    expect(html).toContain('NHM-000123');
    expect(html).not.toMatch(/<input|<select|<form/);
    expect(html).toMatch(/class="scanbar__form"><p class="readonly-note".*<strong>Read-only monitor<\/strong>: scans are taken on the operator&#x27;s screen\./s);
  });
});

describe('windowing', () => {
  it('draws only the rows in view of 100,000, wherever the list is scrolled', () => {
    const rowHeight = 64;
    const count = 100_000;
    const top = visibleWindow({ count, rowHeight, viewportHeight: 640, scrollTop: 0, overscan: 4 });
    expect(top).toEqual({ start: 0, end: 15, offset: 0, totalHeight: 6_400_000 });
    const middle = visibleWindow({ count, rowHeight, viewportHeight: 640, scrollTop: 50_000 * rowHeight + 10, overscan: 4 });
    expect(middle.start).toBe(49_996);
    expect(middle.end).toBe(50_015);
    expect(middle.offset).toBe(49_996 * rowHeight);
    const bottom = visibleWindow({ count, rowHeight, viewportHeight: 640, scrollTop: 1e12, overscan: 4 });
    expect(bottom.end).toBe(count);
    expect(bottom.end - bottom.start).toBeLessThanOrEqual(20);
    expect(visibleWindow({ count: 0, rowHeight, viewportHeight: 640, scrollTop: 0 })).toEqual({ start: 0, end: 0, offset: 0, totalHeight: 0 });
    expect(visibleWindow({ count: 3, rowHeight, viewportHeight: 640, scrollTop: -50 })).toMatchObject({ start: 0, end: 3 });
  });

  it('moves the selection by key and scrolls just enough to show it', () => {
    expect(moveSelection('ArrowDown', -1, 10, 5)).toBe(0);
    expect(moveSelection('ArrowDown', 9, 10, 5)).toBe(9);
    expect(moveSelection('ArrowUp', 0, 10, 5)).toBe(0);
    expect(moveSelection('PageDown', 0, 100_000, 10)).toBe(9);
    expect(moveSelection('End', 0, 100_000, 10)).toBe(99_999);
    expect(moveSelection('Home', 500, 100_000, 10)).toBe(0);
    expect(moveSelection('a', 0, 10, 5)).toBeNull();
    expect(moveSelection('ArrowDown', 0, 0, 5)).toBeNull();
    expect(scrollToReveal(20, 64, 640, 0)).toBe(21 * 64 - 640);
    expect(scrollToReveal(2, 64, 640, 640)).toBe(128);
    expect(scrollToReveal(12, 64, 640, 640)).toBe(640);
    expect(needsMore({ start: 0, end: 460, offset: 0, totalHeight: 0 }, 500, true)).toBe(true);
    expect(needsMore({ start: 0, end: 20, offset: 0, totalHeight: 0 }, 500, true)).toBe(false);
    expect(needsMore({ start: 0, end: 500, offset: 0, totalHeight: 0 }, 500, false)).toBe(false);
  });

  it('renders a 100,000-capture history with a small window of rows in the DOM', () => {
    const items = Array.from({ length: 100_000 }, (_, i) => record(100_000 - i, { verdict: i % 7 === 0 ? 'fail' : 'pass' }));
    const html = renderToStaticMarkup(
      createElement(HistoryPanel, {
        items,
        filter: { verdict: null, sourceId: null },
        sources: ['inbox'],
        hasMore: false,
        loading: false,
        error: null,
        selectedIndex: 1,
        detail: null,
        onFilter: noop,
        onSelect: noop,
        onNearEnd: noop,
      }),
    );
    const rows = html.match(/role="option"/g) ?? [];
    expect(rows.length).toBeGreaterThan(5);
    expect(rows.length).toBeLessThan(30);
    expect(html).toContain(`height:${100_000 * historyRowHeight}px`);
    expect(html).toContain('aria-setsize="100000"');
    expect(html).toContain('100,000 captures');
    expect(html).toMatch(/aria-selected="true"[^>]*>.*img-99999\.tif/s);
    expect(html).toMatch(/FAIL.*img-100000\.tif/s);
  });
});

describe('history', () => {
  it('pages backwards and keeps live captures in order, within the filter', () => {
    const f = { verdict: 'fail' as const, sourceId: null };
    expect(nextPageQuery([], f)).toEqual({ limit: 500, verdict: 'fail' });
    let items = appendPage([], [record(9, { verdict: 'fail' }), record(7, { verdict: 'fail' })]);
    expect(nextPageQuery(items, { verdict: null, sourceId: 'inbox' }, 50)).toEqual({ limit: 50, beforeId: 7, sourceId: 'inbox' });
    items = appendPage(items, [record(7, { verdict: 'fail' }), record(4, { verdict: 'fail' })]);
    expect(items.map((c) => c.id)).toEqual([9, 7, 4]);
    items = applyLive(items, record(12, { verdict: 'fail' }), f);
    items = applyLive(items, record(13, { verdict: 'pass' }), f);
    expect(items.map((c) => c.id)).toEqual([12, 9, 7, 4]);
    items = applyLive(items, record(9, { verdict: 'pass' }), f); // rechecked: no longer a fail
    expect(items.map((c) => c.id)).toEqual([12, 7, 4]);
    items = applyLive(items, record(2, { verdict: 'fail' }), f); // older than what is loaded: comes with its page
    expect(items.map((c) => c.id)).toEqual([12, 7, 4]);
    expect(matchesFilter(record(1, { sourceId: 'b' }), { verdict: null, sourceId: 'a' })).toBe(false);
    expect(eventSummary({ verdict: 'fail', failedChecks: ['decodes'], empty: [], none: null })).toBe('verdict: fail · failedChecks: ["decodes"]');
  });

  it("shows a capture's checks with their messages, its facts and its timeline", () => {
    const detail: CaptureDetail = {
      ...record(5, { verdict: 'fail', failedChecks: ['decodes'] }),
      facts: null,
      measurements: null,
      results: [
        { check: 'decodes', status: 'fail', message: 'The file is truncated: re-shoot.', value: null, threshold: null },
        { check: 'format', status: 'pass', message: 'TIFF is allowed.', value: null, threshold: null },
        { check: 'pairs', status: 'skip', message: 'No pair rule.', value: null, threshold: null },
      ],
      events: [
        { id: 1, at: '2026-11-25T10:00:01.000Z', type: 'capture.recorded', captureId: 5, sourceId: 'inbox', data: { verdict: 'fail', failedChecks: ['decodes'] } },
        { id: 2, at: '2026-11-25T10:00:02.000Z', type: 'upload.queued', captureId: 5, sourceId: 'inbox', data: null },
      ],
      link: null,
      reshoot: false,
      session: null,
    };
    const html = renderToStaticMarkup(createElement(CaptureDetailPanel, { capture: detail, onShowInCaptureView: noop }));
    expect(html).toMatch(/data-verdict="fail"[^>]*>.*✕.*FAIL/s);
    expect(html).toMatch(/FAIL.*File opens.*The file is truncated: re-shoot\..*PASS.*File format.*TIFF is allowed\..*SKIP.*RAW \+ TIFF pair/s);
    // The timeline in sentences; the raw event only in its details disclosure, for IT.
    const said = [...html.matchAll(/class="timeline__what">([^<]*)</g)].map((m) => m[1]);
    expect(said).toEqual(['Recorded — FAIL: File opens', 'Queued for upload']);
    expect(html).toMatch(/<details class="timeline__details"><summary>[^<]*<\/summary>.*capture\.recorded.*verdict: fail/s);
    expect(html).toContain('1.2 MB');
    expect(html).toContain('Show in capture view');
  });
});

describe('queue', () => {
  const queue: QueueStatus = {
    live: true,
    targets: [
      {
        id: 'nas',
        kind: 'folder',
        configured: true,
        required: true,
        counts: { queued: 12, leased: 2, done: 340, dead: 1 },
        bytesPending: 3 * 1024 ** 3,
        bytesPendingExact: true,
        bytesDone: 10 * 1024 ** 3,
        rateBytesPerSec: 25 * 1024 ** 2,
        // Offline: the station gives no time left (nothing moves until the target is back).
        etaSec: null,
        online: false,
        lastProbeAt: '2026-11-25T10:00:00.000Z',
        lastProbeError: 'The folder /mnt/nas is not mounted.',
        dead: [{ jobId: 17, captureId: 4, remoteKey: 'inbox/a.tif', attempts: 8, error: 'EACCES: permission denied' }],
        staleCount: 2,
        stale: [
          { staleId: 1, captureId: 9, remoteKey: 'st1/NMNH-1/NMNH-1_01.jpg', state: 'pending', note: null, attempts: 0, error: null, recordedAt: '2026-11-25T10:00:00.000Z' },
          { staleId: 2, captureId: 5, remoteKey: 'st1/NMNH-2/NMNH-2_01.jpg', state: 'kept', note: 'someone replaced it, so it is left alone', attempts: 0, error: null, recordedAt: '2026-11-25T10:01:00.000Z' },
        ],
      },
      { id: 'backup', kind: 'folder', configured: true, required: false, counts: { queued: 0, leased: 0, done: 5, dead: 0 }, bytesPending: 0, bytesPendingExact: true, bytesDone: 1, rateBytesPerSec: 0, etaSec: 0, online: true, lastProbeAt: null, lastProbeError: null, dead: [], staleCount: 0, stale: [] },
      // A tus upload half sent: its offset is known only to the server, so it counts in full.
      { id: 'tusd', kind: 'tus', configured: true, required: false, counts: { queued: 0, leased: 1, done: 0, dead: 0 }, bytesPending: 1024 ** 3, bytesPendingExact: false, bytesDone: 0, rateBytesPerSec: 8 * 1024 ** 2, etaSec: 128, online: true, lastProbeAt: null, lastProbeError: null, dead: [], staleCount: 0, stale: [] },
    ],
  };

  it('words rates, ETAs and reachability', () => {
    expect(formatRate(null)).toBe('—');
    expect(formatRate(0)).toBe('idle');
    expect(formatRate(25 * 1024 ** 2)).toBe('25.0 MB/s');
    const eta = (etaSec: number | null, bytesPending = 5, online: boolean | null = true, bytesPendingExact = true) => formatEta({ etaSec, bytesPending, online, bytesPendingExact });
    expect(eta(0, 0)).toBe('none');
    expect(eta(null)).toBe('unknown');
    expect(eta(42)).toBe('42 s');
    expect(eta(123)).toBe('2 min');
    expect(eta(3 * 3600 + 600)).toBe('3 h 10 min');
    expect(eta(null, 5, false)).toBe('waiting for the target');
    expect(eta(0, 0, false)).toBe('none');
    expect(eta(123, 5, true, false)).toBe('about 2 min');
    expect(formatPending({ bytesPending: 1024 ** 3, bytesPendingExact: false })).toBe('about 1.0 GB');
    expect(formatPending({ bytesPending: 1024 ** 3, bytesPendingExact: true })).toBe('1.0 GB');
    expect(reachOf({ online: null })).toBe('unknown');
    expect(totalDead(queue)).toBe(1);
  });

  it('shows each target with counts, bytes, rate, ETA, offline reason and its dead jobs with Retry', () => {
    const html = renderToStaticMarkup(createElement(QueuePanel, { queue, error: null, message: null, onRetry: noop }));
    expect(html).toMatch(/nas.*✕.*Offline.*The folder \/mnt\/nas is not mounted\./s);
    expect(html).toMatch(/Queued.*12.*Uploading.*2.*Done.*340.*Dead.*1/s);
    expect(html).toContain('3.0 GB');
    expect(html).toContain('25.0 MB/s');
    expect(html).toMatch(/nas.*Time left<\/dt><dd>waiting for the target<.*backup/s);
    expect(html).toMatch(/tusd.*Pending<\/dt><dd>about 1\.0 GB<.*Time left<\/dt><dd>about 2 min</s);
    expect(html).toContain('EACCES: permission denied');
    expect(html).toContain('aria-label="Retry job 17"');
    expect(html).toContain('Retry all for nas');
    expect(html).toContain('Retry all 1 dead');
    expect(html).toMatch(/backup.*●.*Online/s);
    expect(html).toMatch(/Copies under old names \(2\).*Capture.*9.*to be removed.*st1\/NMNH-1\/NMNH-1_01\.jpg.*Capture.*5.*left there.*st1\/NMNH-2\/NMNH-2_01\.jpg.*someone replaced it, so it is left alone/s);
    const empty = renderToStaticMarkup(createElement(QueuePanel, { queue: { live: true, targets: [] }, error: null, message: null, onRetry: noop }));
    expect(empty).toContain('No upload targets are configured');
  });

  it("offers a monitor's screen no Retry: its dead jobs are listed with a read-only note where Retry would be", () => {
    const html = renderToStaticMarkup(createElement(QueuePanel, { queue, error: null, message: null, onRetry: noop, readOnly: true }));
    expect(html).toContain('EACCES: permission denied');
    expect(html).not.toMatch(/<button/);
    expect(html).not.toContain('Retry');
    expect(html).toMatch(/class="readonly-note"[^>]*><svg[^>]*aria-hidden="true".*<strong>Read-only monitor<\/strong>: dead jobs are retried on the operator&#x27;s screen\./s);
  });
});

describe('dashboard', () => {
  it('scales bars to a nice maximum and stacks pass under warn under fail', () => {
    expect([0, 1, 3, 7, 12, 180, 2600].map(niceMax)).toEqual([1, 1, 5, 10, 20, 200, 5000]);
    expect([999, 1417, 4000, 14_289, 2_500_000].map(compactNumber)).toEqual(['999', '1.4k', '4k', '14k', '2.5M']);
    expect(ticks(20)).toEqual([0, 5, 10, 15, 20]);
    // Every tick's compact label is exact: 50k in quarters would read 13k and 38k.
    expect(ticks(50_000).map(compactNumber)).toEqual(['0', '10k', '20k', '30k', '40k', '50k']);
    expect(ticks(25_000).map(compactNumber)).toEqual(['0', '5k', '10k', '15k', '20k', '25k']);
    expect(ticks(10_000).map(compactNumber)).toEqual(['0', '2.5k', '5k', '7.5k', '10k']);
    expect(ticks(2)).toEqual([0, 0.5, 1, 1.5, 2]);
    const [a, b] = stackedBars([{ pass: 5, warn: 3, fail: 2 }, { pass: 0, warn: 0, fail: 0 }], 200, 100, 10);
    expect(a!.segments.map((s) => [s.verdict, s.y, s.height])).toEqual([
      ['pass', 50, 50],
      ['warn', 20, 30],
      ['fail', 0, 20],
    ]);
    expect(a!.total).toBe(10);
    expect(b!.segments).toEqual([]);
    expect(b!.x).toBeGreaterThan(a!.x + a!.width);
  });

  it('draws the charts as SVG with words for every verdict', () => {
    const zero = { pass: 0, warn: 0, fail: 0 };
    const stats: CaptureStats = {
      generatedAt: '2026-11-25T16:00:00.000Z',
      utcOffsetMin: 0,
      today: '2026-11-25',
      hours: Array.from({ length: 24 }, (_, hour) => ({ hour, ...zero, ...(hour === 10 ? { pass: 40, warn: 3, fail: 2 } : {}) })),
      days: Array.from({ length: 7 }, (_, i) => ({ date: `2026-11-${19 + i}`, ...zero, pass: 100 + i })),
      checks: [
        { check: 'decodes', pass: 40, warn: 0, fail: 2 },
        { check: 'exposure', pass: 39, warn: 3, fail: 0 },
      ],
      operators: [],
    };
    const html = renderToStaticMarkup(createElement(DashboardPanel, { stats, error: null }));
    expect(html).toContain('Captures per hour today (2026-11-25)');
    expect(html).toContain('Captures per day, last 7 days');
    expect((html.match(/<svg/g) ?? []).length).toBeGreaterThanOrEqual(4);
    expect(html).toMatch(/data-verdict="fail"/);
    expect(html).toMatch(/File opens.*Exposure/s);
    for (const w of ['PASS', 'WARN', 'FAIL']) expect(html).toContain(w);
    const chart = renderToStaticMarkup(createElement(BarChart, { title: 'T', data: [{ label: '10', pass: 4, warn: 1, fail: 1 }] }));
    expect(chart).toContain('role="img"');
    expect(chart).toContain('aria-label="T: 6 captures; 10 4 pass, 1 warn, 1 fail"');
  });

  it('fills fail segments with the hatch and warn ones with the dots, and no stylesheet rule overrides that fill', () => {
    const chart = renderToStaticMarkup(createElement(BarChart, { title: 'T', data: [{ label: '10', pass: 4, warn: 1, fail: 1 }] }));
    // A class whose rule sets `fill` beats the fill attribute, so the pattern must come from the style attribute.
    const css = fs.readFileSync(path.resolve(import.meta.dirname, '../../renderer/styles/app.css'), 'utf8');
    const fillClasses = new Set([...css.matchAll(/([^{}]+)\{[^}]*(?:^|[;\s])fill:/gm)].flatMap((m) => [...m[1]!.matchAll(/\.([\w-]+)/g)].map((c) => c[1]!)));
    expect(fillClasses).toContain('chart__fill--fail');
    for (const [verdict, pattern] of [['fail', 'hatch'], ['warn', 'dots']] as const) {
      const seg = new RegExp(`<rect class="([^"]*)" data-verdict="${verdict}"[^>]*style="fill:url\\(#(${pattern}-[\\w-]+)\\)"`).exec(chart);
      expect(seg, `${verdict} segment filled by its pattern`).not.toBeNull();
      expect(chart).toContain(`<pattern id="${seg![2]}"`);
      for (const c of seg![1]!.split(' ')) expect(fillClasses.has(c), `class ${c} sets fill`).toBe(false);
    }
  });
});

describe('throttle', () => {
  it('runs at once, then at most once per pause, never losing the last call', () => {
    vi.useFakeTimers();
    try {
      let t = 0;
      let runs = 0;
      const f = throttle(() => runs++, 500, () => t);
      f();
      expect(runs).toBe(1);
      t = 100;
      f();
      f();
      expect(runs).toBe(1);
      t = 500;
      vi.advanceTimersByTime(400);
      expect(runs).toBe(2);
      t = 600;
      f();
      f.cancel();
      vi.advanceTimersByTime(1000);
      expect(runs).toBe(2);
    } finally {
      vi.useRealTimers();
    }
  });
});
