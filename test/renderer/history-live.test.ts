// @vitest-environment happy-dom
/**
 * History keeps up with changes to captures it already shows, made elsewhere (another screen, the
 * CLI, the rig): a relink takes a row out of a barcode search and the open detail shows the new
 * object and file name; undo brings both back; the upload's steps join the open timeline. All from
 * the station's own events, each a one-row query — never the whole list again.
 */
import fs from 'node:fs';
import path from 'node:path';
import { createElement } from 'react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { StationListener } from '../../renderer/app/use-station.js';
import { HistoryView } from '../../renderer/components/HistoryView.js';
import type { StationEventMessage } from '../../renderer/transport/event-stream.js';
import { writeGoodTiff } from '../helpers/images.js';
import { $, mount, press, typeInto, unmountAll, until } from '../helpers/dom.js';
import { startInProcessStation } from '../helpers/in-process-station.js';
import { waitFor } from '../helpers/station-home.js';

const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  await unmountAll();
  for (const fn of cleanup.splice(0).reverse()) await fn();
});

describe('History view, changes to listed captures', () => {
  it('refreshes the affected row and the open detail on capture.changed and the timeline on upload events, with one-row queries only', async () => {
    const s = await startInProcessStation({
      ingest: { stableWindowMs: 200, truncatedRetries: 0, truncatedRetryDelayMs: 100, rescanIntervalSec: 0, concurrency: 2 },
      linking: { enabled: true, imageBarcodes: false, template: '{barcode}_{seq:02}{ext}' },
      // Offline (no such folder) until the test makes it.
      targets: [{ id: 'nas', kind: 'folder', path: 'Share', mountCheck: false }],
      upload: { probeIntervalSec: 0.2 },
    });
    cleanup.push(s.stop);
    const inbox = path.join(s.home, 'Inbox');
    const library = s.station.config.locations.library;
    fs.mkdirSync(inbox, { recursive: true });
    await s.client.scanBarcode({ code: 'A-1' });
    await writeGoodTiff(path.join(inbox, 'a.tif'), 1);
    await waitFor(() => s.station.store.counts().total === 1, 'a.tif recorded');
    await s.client.scanBarcode({ code: '%%END%%' });
    const a = s.station.store.list({ limit: 1 })[0]!.id;
    await waitFor(() => s.station.store.get(a)!.path === path.join(library, 'A-1_01.tif'), 'a.tif filed');

    // The station's own events, as the WebSocket gives them to the page.
    const subscribe = (l: StationListener) => s.station.onAny((event, payload) => l({ event, payload } as StationEventMessage));
    const list = vi.spyOn(s.client, 'listCaptures');
    await mount(createElement(HistoryView, { client: s.client, subscribe, sources: ['inbox'], onShowInCaptureView: vi.fn() }));
    $<HTMLInputElement>('input[name="barcode"]').focus();
    await typeInto($<HTMLInputElement>('input[name="barcode"]'), 'A-1');
    await press('Enter');
    await until(() => /^1 capture$/.test($('.history .view__note').textContent ?? ''), 'the search for A-1');
    $('[role="listbox"]').focus();
    await press('ArrowDown');
    const object = () => document.querySelector('[data-testid="detail-object"]')?.textContent ?? '';
    const where = () => document.querySelector('.detail__where')?.textContent ?? '';
    const timeline = () => [...document.querySelectorAll('.timeline__what')].map((e) => e.textContent ?? '');
    await until(() => object() === 'A-1 · shot 1', 'the detail of a.tif');
    expect(where()).toBe(path.join(library, 'A-1_01.tif'));
    const pagesBefore = list.mock.calls.filter(([q]) => q.limit === 500).length;

    // Relinked elsewhere: out of the A-1 search, and the open detail shows B-2 and its new name.
    expect(await s.client.relinkCaptures({ captureIds: [a], barcode: 'B-2' })).toMatchObject({ result: { kind: 'relink' } });
    await until(() => /^0 captures$/.test($('.history .view__note').textContent ?? ''), 'a.tif out of the A-1 search');
    await until(() => object() === 'B-2 · shot 1' && where() === path.join(library, 'B-2_01.tif'), 'the detail after the relink');
    expect(timeline()).toContain('Relinked to B-2 as shot 1 (relinked by hand)');

    // Undone elsewhere: back in the search, and the detail as it was.
    await s.client.undoLinkEdit({});
    await until(() => /^1 capture$/.test($('.history .view__note').textContent ?? ''), 'a.tif back in the A-1 search');
    await until(() => object() === 'A-1 · shot 1' && where() === path.join(library, 'A-1_01.tif'), 'the detail after the undo');

    // The share comes online: the upload shows in the open timeline as it happens.
    expect(timeline().filter((t) => t.startsWith('Uploaded to nas'))).toEqual([]);
    fs.mkdirSync(path.join(s.home, 'Share'));
    await until(() => timeline().some((t) => t.startsWith('Uploaded to nas as ')), 'the upload in the timeline');
    // Every refresh was a one-row query: no page of the list was loaded again.
    expect(list.mock.calls.filter(([q]) => q.limit === 500).length).toBe(pagesBefore);
    expect(list.mock.calls.filter(([q]) => q.limit === 1).length).toBeGreaterThan(0);
  });
});
