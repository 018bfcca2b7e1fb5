/**
 * The session panel and header badge, the history's search fields and link fixes, and the
 * per-operator charts, rendered to HTML in Node; the history's query building; and the link fixes
 * run through the contract against a real station (its files renamed, its answers in words).
 */
import fs from 'node:fs';
import path from 'node:path';
import { createElement } from 'react';
import { renderToStaticMarkup } from 'react-dom/server';
import { afterEach, describe, expect, it } from 'vitest';
import { captureDetail, captureRecord } from '../helpers/capture-records.js';
import { applyLive, dayRange, isFiltered, matchesFilter, membershipQuery, nextPageQuery } from '../../renderer/app/history-state.js';
import { runLinkEdit } from '../../renderer/app/link-edits.js';
import { CaptureDetailPanel } from '../../renderer/components/CaptureDetailPanel.js';
import { DashboardPanel, type CaptureStats } from '../../renderer/components/DashboardView.js';
import { Header } from '../../renderer/components/Header.js';
import { HistoryPanel } from '../../renderer/components/HistoryView.js';
import { LinkActions } from '../../renderer/components/LinkActions.js';
import { SessionBadge, SessionPanel } from '../../renderer/components/SessionPanel.js';
import { loadConfig } from '../../src/config/load.js';
import { createLocalClient } from '../../src/contract/client.js';
import { createHandlers } from '../../src/station/handlers.js';
import { Station } from '../../src/station/station.js';
import type { CaptureDetail, CaptureRecord } from '../../src/store/captures.js';
import { writeGoodTiff } from '../helpers/images.js';
import { filesUnder, makeHome, waitFor } from '../helpers/station-home.js';

const noop = () => undefined;
const html = (el: Parameters<typeof renderToStaticMarkup>[0]) => renderToStaticMarkup(el);

const record = (id: number, over: Partial<CaptureRecord> = {}): CaptureRecord =>
  captureRecord(id, { relPath: `img-${id}.tif`, path: `/data/Inbox/img-${id}.tif`, size: 1000, qcMs: 800, ...over });

const detail = (over: Partial<CaptureDetail> = {}): CaptureDetail => captureDetail(7, { ...record(7), ...over });

describe('session panel and badge', () => {
  it('asks for operator and project: a project list as a select, recent operators offered and the last one filled in', () => {
    const withList = html(createElement(SessionPanel, { choices: { projects: ['Herbarium', 'Insects'], operators: ['Ben', 'Ana'], lastProject: null }, onStart: async () => null }));
    expect(withList).toContain('No session: who is shooting?');
    expect(withList).toContain('<kbd>Alt+S</kbd>');
    expect(withList).toMatch(/<input[^>]*name="operator"[^>]*value="Ben"/);
    expect(withList).toMatch(/<datalist[^>]*><option value="Ben"><\/option><option value="Ana"><\/option><\/datalist>/);
    expect(withList).toMatch(/<select name="project">.*Herbarium.*Insects.*<\/select>/s);
    expect(withList).toMatch(/<button type="submit"[^>]*>Start session<\/button>/);

    const free = html(createElement(SessionPanel, { choices: { projects: [], operators: [], lastProject: null }, onStart: async () => null }));
    expect(free).toMatch(/<input[^>]*name="project"/);
    expect(free).not.toContain('<select');
    expect(free).toMatch(/<input[^>]*required=""[^>]*name="operator" value=""/);
  });

  it('proposes the last session\'s project, not the first in the list, while it is still a configured one', () => {
    const selected = (choices: { projects: string[]; operators: string[]; lastProject: string | null }) => {
      const out = html(createElement(SessionPanel, { choices, onStart: async () => null }));
      return /<option value="([^"]*)" selected="">/.exec(out)?.[1] ?? /<input[^>]*name="project" value="([^"]*)"/.exec(out)?.[1];
    };
    expect(selected({ projects: ['Herbarium', 'Insects'], operators: ['Ben'], lastProject: 'Insects' })).toBe('Insects');
    expect(selected({ projects: ['Herbarium', 'Insects'], operators: ['Ben'], lastProject: 'Birds' })).toBe('Herbarium');
    expect(selected({ projects: ['Herbarium', 'Insects'], operators: [], lastProject: null })).toBe('Herbarium');
    expect(selected({ projects: [], operators: ['Ben'], lastProject: 'Moths' })).toBe('Moths');
  });

  it('shows operator · project in the header with an End session button', () => {
    const out = html(
      createElement(Header, {
        stationId: 'stand-1',
        connection: 'live',
        checking: [],
        counts: null,
        theme: 'dark',
        onToggleTheme: noop,
        session: createElement(SessionBadge, { operator: 'Ana Lima', project: 'Herbarium', onEnd: noop }),
      }),
    );
    expect(out).toMatch(/data-testid="session".*<strong>Ana Lima<\/strong> · Herbarium.*End session/s);
    expect(html(createElement(SessionBadge, { operator: 'Ana', project: '', onEnd: noop }))).not.toContain(' · ');
    // A monitor's screen: who is shooting, that it only watches, and no End session.
    const watching = html(createElement(SessionBadge, { operator: null, project: '', readOnly: true }));
    expect(watching).toContain('No session');
    expect(watching).toContain('Monitor · read only');
    expect(watching).not.toContain('End session');
    // Drawn, not an emoji: Debian's Chromium has no colour-emoji font and shows a box for one.
    expect(watching).toMatch(/<svg class="icon"[^>]*aria-hidden="true"/);
    expect(watching).not.toMatch(/\p{Extended_Pictographic}/u);
  });
});

describe('header counts', () => {
  it('says they count every capture, all time (the Dashboard counts today), in words and in the tooltip', () => {
    const out = html(createElement(Header, { stationId: 'stand-1', connection: 'live', checking: [], counts: { pass: 12, warn: 3, fail: 1 }, theme: 'dark', onToggleTheme: noop }));
    expect(out).toMatch(/<p class="header__counts" title="All captures this station has recorded, every day: 12 pass, 3 warn, 1 fail\. Today&#x27;s are on the Dashboard\."/);
    expect(out).toMatch(/<span class="header__counts-label">All time<\/span><span data-verdict="pass">✓ 12<\/span><span data-verdict="warn">▲ 3<\/span><span data-verdict="fail">✕ 1<\/span>/);
  });
});

describe('history search', () => {
  it('asks the station for barcode (exact or prefix) and local-day ranges, paging on', () => {
    const f = { verdict: 'fail' as const, sourceId: null, barcode: 'NHM-01', barcodePrefix: true, from: '2026-11-20', to: '2026-11-21' };
    const q = nextPageQuery([record(900)], f);
    expect(q).toEqual({ limit: 500, beforeId: 900, verdict: 'fail', barcode: 'NHM-01', barcodeMatch: 'prefix', from: new Date(2026, 10, 20).toISOString(), to: new Date(2026, 10, 22).toISOString() });
    expect(nextPageQuery([], { verdict: null, sourceId: null, barcode: 'X' })).toEqual({ limit: 500, barcode: 'X' });
    expect(dayRange({ from: null, to: 'not a date' })).toEqual({});
    expect(isFiltered({ verdict: null, sourceId: null })).toBe(false);
    expect(isFiltered({ verdict: null, sourceId: null, to: '2026-11-21' })).toBe(true);
  });

  it('lets live captures into the list only inside the date range, and into a barcode search only on the station\'s word', () => {
    const day = { verdict: null, sourceId: null, from: '2026-11-25', to: '2026-11-25' };
    const inside = record(10, { checkedAt: new Date(2026, 10, 25, 12).toISOString() });
    const after = record(11, { checkedAt: new Date(2026, 10, 26, 0, 0, 1).toISOString() });
    expect(matchesFilter(inside, day)).toBe(true);
    expect(matchesFilter(after, day)).toBe(false);
    expect(applyLive([record(5)], inside, day).map((c) => c.id)).toEqual([10, 5]);
    const search = { verdict: null, sourceId: null, barcode: 'NHM-1' };
    // The event does not carry the barcodes: the station is asked (the capture is the first row, or not).
    expect(membershipQuery(12, { ...search, barcodePrefix: true })).toEqual({ limit: 1, beforeId: 13, barcode: 'NHM-1', barcodeMatch: 'prefix' });
    expect(applyLive([record(5)], record(12), search).map((c) => c.id)).toEqual([5]);
    expect(applyLive([record(5)], record(12), search, false).map((c) => c.id)).toEqual([5]);
    expect(applyLive([record(5)], record(12), search, true).map((c) => c.id)).toEqual([12, 5]);
    // One already found is updated in place (e.g. rechecked), and leaves when it no longer matches (relinked away).
    expect(applyLive([record(5)], record(5, { verdict: 'warn' }), search)[0]!.verdict).toBe('warn');
    expect(applyLive([record(5)], record(5), search, false)).toEqual([]);
  });

  it('draws the barcode search, date fields, and the link fixes beside the selected capture', () => {
    const linked = detail({ link: { captureId: 7, objectId: 3, barcode: 'NHM-000123', seq: 2, view: 'back', project: 'Herbarium', operator: 'Ana', objectState: 'closed' }, session: { id: 1, operator: 'Ana', project: 'Herbarium', startedAt: '', endedAt: null }, reshoot: true });
    const out = html(
      createElement(HistoryPanel, {
        items: [record(7)],
        filter: { verdict: null, sourceId: null, barcode: 'NHM-000123' },
        sources: ['inbox'],
        hasMore: false,
        loading: false,
        error: null,
        selectedIndex: 0,
        detail: linked,
        onFilter: noop,
        onSelect: noop,
        onNearEnd: noop,
        onEdit: noop,
        editBusy: false,
        editMessage: { ok: false, text: 'There is no linking edit to undo.' },
        lastEdit: { editId: 12, kind: 'barcode', summary: 'rename ZZ-1 → NHM-000123 (2 captures)', captureIds: [5, 7] },
      }),
    );
    expect(out).toMatch(/role="search".*name="barcode"[^>]*value="NHM-000123"/s);
    expect(out).toMatch(/<option value="prefix">Starts with<\/option>/);
    expect(out).toMatch(/<span>From<\/span><input type="date" name="from"/);
    expect(out).toMatch(/<span>To<\/span><input type="date" name="to"/);
    expect(out).toContain('Relink shot');
    expect(out).toMatch(/Object NHM-000123 is really/);
    expect(out).toMatch(/aria-pressed="true"[^>]*>Clear re-shoot flag/);
    expect(out).toMatch(/Split shot 2 and later off NHM-000123 into barcode/);
    expect(out).toMatch(/Merge all shots of NHM-000123 into barcode/);
    // Undo says which edit it undoes, apart from this capture's fixes: the station's newest.
    expect(out).toMatch(/role="group" aria-label="Newest linking edit on this station">.*Newest linking edit \(any capture\): rename ZZ-1 → NHM-000123 \(2 captures\).*>Undo: rename ZZ-1 → NHM-000123 \(2 captures\)<\/button>/s);
    expect(out).toMatch(/role="alert"><span aria-hidden="true">✕<\/span> There is no linking edit to undo\./);
    expect(out).toMatch(/data-testid="detail-object">NHM-000123 · shot 2 \(back\)/);
    expect(out).toMatch(/data-testid="detail-operator">Ana · Herbarium/);
    expect(out).toContain('Flagged to be shot again');
  });

  it("offers a monitor's screen no link fixes: a read-only note stands where they would be, beside the capture's detail", () => {
    const linked = detail({ link: { captureId: 7, objectId: 3, barcode: 'NHM-000123', seq: 2, view: 'back', project: 'Herbarium', operator: 'Ana', objectState: 'closed' } });
    const props = { items: [record(7)], filter: { verdict: null, sourceId: null }, sources: ['inbox'], hasMore: false, loading: false, error: null, selectedIndex: 0, detail: linked, onFilter: noop, onSelect: noop, onNearEnd: noop, onEdit: noop };
    const out = html(createElement(HistoryPanel, { ...props, readOnly: true }));
    for (const control of ['Relink shot', 'Rename object', 'Split object', 'Merge object', 'Flag for re-shoot', 'Undo', 'name="relink-barcode"', 'name="split-barcode"', 'name="merge-barcode"']) expect(out).not.toContain(control);
    expect(out).toMatch(/<strong>Read-only monitor<\/strong>: relinking, renaming, splitting, merging, re-shoot flags and undo are done on the operator&#x27;s screen\./);
    expect(out).toMatch(/data-testid="detail-object">NHM-000123 · shot 2 \(back\)/);
    // The operator's screen still has them.
    expect(html(createElement(HistoryPanel, props))).toContain('Relink shot');
  });

  it('offers no object rename for an unlinked capture, and says so in the detail', () => {
    const actions = html(createElement(LinkActions, { capture: detail(), busy: true, message: { ok: true, text: 'Relinked 1 capture to B (edit 4).' }, onEdit: noop }));
    expect(actions).not.toContain('Rename object');
    expect(actions).toMatch(/<button type="submit" class="button" disabled="">Relink shot/);
    expect(actions).toMatch(/role="status"><span aria-hidden="true">✓<\/span> Relinked 1 capture/);
    const panel = html(createElement(CaptureDetailPanel, { capture: detail() }));
    expect(panel).toMatch(/data-testid="detail-object">Not linked/);
    expect(panel).toMatch(/data-testid="detail-operator">No session/);
  });
});

describe('dashboard per operator', () => {
  it('charts each operator today and over 7 days, captures outside a session as "No session"', () => {
    const zero = { pass: 0, warn: 0, fail: 0 };
    const stats: CaptureStats = {
      generatedAt: '2026-11-25T16:00:00.000Z',
      utcOffsetMin: 0,
      today: '2026-11-25',
      hours: Array.from({ length: 24 }, (_, hour) => ({ hour, ...zero })),
      days: Array.from({ length: 7 }, (_, i) => ({ date: `2026-11-${19 + i}`, ...zero })),
      checks: [],
      operators: [
        { operator: 'Ana', today: { pass: 30, warn: 2, fail: 1 }, week: { pass: 300, warn: 20, fail: 9 } },
        { operator: '', today: zero, week: { pass: 5, warn: 0, fail: 0 } },
      ],
    };
    const out = html(createElement(DashboardPanel, { stats, error: null }));
    expect(out).toContain('Per operator, today');
    expect(out).toContain('Per operator, last 7 days');
    expect(out).toMatch(/aria-label="Per operator, last 7 days: 334 captures; Ana 300 pass, 20 warn, 9 fail; No session 5 pass, 0 warn, 0 fail"/);
    expect(html(createElement(DashboardPanel, { stats: { ...stats, operators: [] }, error: null }))).not.toContain('Per operator');
  });
});

const running: { station: Station; home: string }[] = [];
afterEach(async () => {
  for (const r of running.splice(0)) {
    await r.station.stop();
    fs.rmSync(r.home, { recursive: true, force: true });
  }
});

describe('link fixes through the contract', () => {
  it('relinks a shot, renames its object, flags a re-shoot and undoes, answering in words; a refusal is the station\'s own message', async () => {
    const home = makeHome({ ingest: { stableWindowMs: 200, rescanIntervalSec: 0 }, linking: { enabled: true, imageBarcodes: false, template: '{barcode}_{seq:02}{ext}' } });
    const config = loadConfig({ home });
    const station = new Station(config);
    await station.start();
    running.push({ station, home });
    const client = createLocalClient(createHandlers(station));
    const library = config.locations.library;
    await client.scanBarcode({ code: 'A-1' });
    await writeGoodTiff(path.join(home, 'Inbox', 'one.tif'), 1);
    await waitFor(() => filesUnder(library).length === 1, 'filed');
    const id = station.store.list({ limit: 1 })[0]!.id;
    const fresh = async () => {
      const r = await client.getCapture({ id });
      if ('error' in r) throw new Error(r.error.message);
      return r.result;
    };

    expect(await runLinkEdit(client, await fresh(), { kind: 'relinkShot', barcode: 'B-2' })).toEqual({ ok: true, text: expect.stringMatching(/^Relinked 1 capture to B-2 \(edit \d+\)\.$/) });
    await waitFor(() => filesUnder(library).join() === 'B-2_01.tif', 'renamed to B-2');
    expect((await fresh()).link?.barcode).toBe('B-2');
    expect((await runLinkEdit(client, await fresh(), { kind: 'renameObject', barcode: 'C-3' })).text).toMatch(/^Object B-2 is now C-3: 1 capture renamed/);
    await waitFor(() => filesUnder(library).join() === 'C-3_01.tif', 'renamed to C-3');
    expect((await runLinkEdit(client, await fresh(), { kind: 'reshoot', reshoot: true })).text).toMatch(/^Flagged for re-shoot/);
    expect((await fresh()).reshoot).toBe(true);
    expect((await runLinkEdit(client, await fresh(), { kind: 'undo' })).text).toBe('Undid "flag one.tif for re-shoot": one.tif is no longer flagged for re-shoot.');
    expect((await fresh()).reshoot).toBe(false);
    expect((await runLinkEdit(client, await fresh(), { kind: 'undo' })).text).toBe('Undid "rename B-2 → C-3 (1 capture)": object B-2 has its barcode back (1 capture named under it again).');
    await waitFor(() => filesUnder(library).join() === 'B-2_01.tif', 'back to B-2');

    const refused = await runLinkEdit(client, await fresh(), { kind: 'relinkShot', barcode: '%%END%%' });
    expect(refused.ok).toBe(false);
    expect(refused.text.length).toBeGreaterThan(10);
    // The way it points to for a capture not linked: the form labelled so, which links it.
    expect(await runLinkEdit(client, { id, link: null }, { kind: 'renameObject', barcode: 'D-4' })).toEqual({ ok: false, text: expect.stringMatching(/not linked to an object yet: link it with "Relink this shot to barcode"/) });
    await client.scanBarcode({ code: '%%END%%' });
    await writeGoodTiff(path.join(home, 'Inbox', 'stray.tif'), 2);
    await waitFor(() => station.store.counts().total === 2, 'stray recorded');
    const stray = station.store.list({ limit: 10 }).find((c) => c.relPath === 'stray.tif')!;
    expect(await runLinkEdit(client, { id: stray.id, link: null }, { kind: 'relinkShot', barcode: 'E-5' })).toEqual({ ok: true, text: expect.stringMatching(/^Linked 1 capture to E-5 \(edit \d+\)\.$/) });
    await waitFor(() => filesUnder(library).includes('E-5_01.tif'), 'stray filed as E-5');
  });
});
