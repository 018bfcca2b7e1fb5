// @vitest-environment happy-dom
/**
 * Settings, History and Queue mounted in a DOM (happy-dom) against a real in-process station:
 * field errors at the field and Save, the barcode search and link fixes, and Retry of a dead upload.
 * The settings check's pause is run on fake timers; the station answers on its own time.
 */
import fs from 'node:fs';
import path from 'node:path';
import { act, createElement } from 'react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { StationListener } from '../../renderer/app/use-station.js';
import { HistoryView } from '../../renderer/components/HistoryView.js';
import { QueueView } from '../../renderer/components/QueueView.js';
import { SettingsView } from '../../renderer/components/SettingsView.js';
import type { StationConfigInput } from '../../src/config/schema.js';
import { writeGoodTiff } from '../helpers/images.js';
import { $, button, click, mount, press, typeInto, unmountAll, until } from '../helpers/dom.js';
import { startInProcessStation, type InProcessStation } from '../helpers/in-process-station.js';
import { waitFor } from '../helpers/station-home.js';

const ingest = { stableWindowMs: 200, truncatedRetries: 0, truncatedRetryDelayMs: 100, rescanIntervalSec: 0, concurrency: 2 };
const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  vi.useRealTimers();
  await unmountAll();
  for (const fn of cleanup.splice(0).reverse()) await fn();
});

async function start(config: StationConfigInput): Promise<InProcessStation> {
  const s = await startInProcessStation(config);
  cleanup.push(s.stop);
  return s;
}

/** The views' live feed, driven by the test (these views only refetch on it). */
function feed() {
  const listeners = new Set<StationListener>();
  return {
    subscribe: (l: StationListener) => {
      listeners.add(l);
      return () => void listeners.delete(l);
    },
    size: () => listeners.size,
    emit: (m: Parameters<StationListener>[0]) => act(() => listeners.forEach((l) => l(m))),
  };
}

describe('Settings view', () => {
  it('shows a bad value at its field and blocks Save until it is fixed; Save sends the config to the station', async () => {
    const s = await start({ ingest });
    const check = vi.spyOn(s.client, 'checkConfig');
    const save = vi.spyOn(s.client, 'saveConfig');
    await mount(createElement(SettingsView, { client: s.client }));
    await until(() => document.querySelector('#setting-linking-expectedShots') !== null, 'the settings loaded');
    const field = () => $<HTMLInputElement>('#setting-linking-expectedShots');
    const saveButton = () => button(/^Save$/);
    expect(saveButton().disabled).toBe(true);

    // Not a number: said at once, at the field.
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    await typeInto(field(), 'three');
    expect(field().getAttribute('aria-invalid')).toBe('true');
    expect(field().getAttribute('aria-describedby')).toBe('setting-linking-expectedShots-error');
    expect($('#setting-linking-expectedShots-error').textContent).toContain('type a number');
    expect(saveButton().disabled).toBe(true);

    // A number the station refuses: asked only after the pause in typing, then shown at the field.
    await typeInto(field(), '-1');
    const asked = check.mock.calls.length;
    await act(async () => void vi.advanceTimersByTime(299));
    expect(check.mock.calls.length).toBe(asked);
    await act(async () => void vi.advanceTimersByTime(1));
    expect(check.mock.calls.length).toBe(asked + 1);
    expect(check.mock.calls.at(-1)?.[0]).toMatchObject({ config: { linking: { expectedShots: -1 } } });
    vi.useRealTimers();
    const errorText = () => document.querySelector('#setting-linking-expectedShots-error')?.textContent ?? '';
    await until(() => errorText() !== '' && !errorText().includes('type a number'), "the station's error at the field");
    expect(errorText()).toMatch(/0/);
    expect(field().getAttribute('aria-invalid')).toBe('true');
    expect($('#setting-linking-expectedShots-error').closest('.field')?.querySelector('input')).toBe(field());
    expect(saveButton().disabled).toBe(true);

    await typeInto(field(), '3');
    await until(() => !saveButton().disabled, 'Save enabled once the station accepts the edit');
    expect(field().getAttribute('aria-invalid')).toBeNull();
    expect(document.querySelector('#setting-linking-expectedShots-error')).toBeNull();

    await click(saveButton());
    await until(() => document.querySelector('.settings__saved') !== null, 'the saved notice');
    expect(save).toHaveBeenCalledTimes(1);
    expect(save.mock.calls[0]?.[0]).toMatchObject({ config: { linking: { expectedShots: 3 } } });
    expect($('.settings__saved').textContent).toMatch(/Saved to .*Restart the station/);
    const written = fs.readFileSync(path.join(s.home, 'station.json'), 'utf8');
    expect(JSON.parse(written).linking.expectedShots).toBe(3);
  });
});

describe('History view', () => {
  it('searches by barcode on Enter, relinks the picked capture with the answer in words, and shows a refusal as an alert', async () => {
    const s = await start({ ingest, linking: { enabled: true, imageBarcodes: false, template: '{barcode}_{seq:02}{ext}' } });
    const inbox = path.join(s.home, 'Inbox');
    fs.mkdirSync(inbox, { recursive: true });
    expect(await s.client.scanBarcode({ code: 'A-1' })).toMatchObject({ result: { current: { barcode: 'A-1' } } });
    await writeGoodTiff(path.join(inbox, 'a.tif'), 1);
    await waitFor(() => s.station.store.counts().total === 1, 'the linked capture');
    expect(await s.client.scanBarcode({ code: 'C-3' })).toMatchObject({ result: { current: { barcode: 'C-3' } } });
    await writeGoodTiff(path.join(inbox, 'c.tif'), 2);
    await waitFor(() => s.station.store.counts().total === 2, 'the second capture');

    const list = vi.spyOn(s.client, 'listCaptures');
    const relink = vi.spyOn(s.client, 'relinkCaptures');
    const live = feed();
    const onLinkEdited = vi.fn();
    await mount(createElement(HistoryView, { client: s.client, subscribe: live.subscribe, sources: ['inbox'], onShowInCaptureView: vi.fn(), onLinkEdited }));
    await until(() => /^2 captures/.test($('.history .view__note').textContent ?? ''), 'both captures listed');

    $<HTMLInputElement>('input[name="barcode"]').focus();
    await typeInto($<HTMLInputElement>('input[name="barcode"]'), 'A-1');
    expect(list.mock.calls.some(([q]) => q.barcode === 'A-1')).toBe(false);
    await press('Enter');
    await until(() => /^1 capture$/.test($('.history .view__note').textContent ?? ''), 'the search result');
    expect(list.mock.calls.at(-1)?.[0]).toMatchObject({ barcode: 'A-1', limit: 500 });

    // Pick it (the list takes arrows) and relink its shot.
    $('[role="listbox"]').focus();
    await press('ArrowDown');
    await until(() => document.querySelector('input[name="relink-barcode"]') !== null, 'the link fixes of the picked capture');
    const found = await s.client.listCaptures({ barcode: 'A-1' });
    const captureId = 'result' in found ? found.result[0]!.id : NaN;
    $<HTMLInputElement>('input[name="relink-barcode"]').focus();
    await typeInto($<HTMLInputElement>('input[name="relink-barcode"]'), 'B-2');
    await press('Enter');
    await until(() => document.querySelector('.link-actions__message') !== null, 'the relink answer');
    expect(relink).toHaveBeenCalledWith({ captureIds: [captureId], barcode: 'B-2' });
    expect($('.link-actions__message').getAttribute('role')).toBe('status');
    expect($('.link-actions__message').textContent).toMatch(/Relinked 1 capture to B-2 \(edit \d+\)\./);
    // The scan bar is told, so an object open on the rig shows as the fix left it.
    expect(onLinkEdited).toHaveBeenCalledTimes(1);

    // A refusal is the station's own message, as an alert.
    await typeInto($<HTMLInputElement>('input[name="relink-barcode"]'), '%%END%%');
    $<HTMLInputElement>('input[name="relink-barcode"]').focus();
    await press('Enter');
    await until(() => $('.link-actions__message').getAttribute('role') === 'alert', 'the refusal');
    expect(relink).toHaveBeenCalledTimes(2);
    const refused = await s.client.relinkCaptures({ captureIds: [captureId], barcode: '%%END%%' });
    if (!('error' in refused)) throw new Error('the station took %%END%% as a barcode');
    expect($('.link-actions__message').textContent).toContain(refused.error.message);
    expect(onLinkEdited).toHaveBeenCalledTimes(1);
    expect(live.size()).toBe(1);

    // A search the station refuses is said as an alert, with its reason.
    $<HTMLInputElement>('input[name="barcode"]').focus();
    await typeInto($<HTMLInputElement>('input[name="barcode"]'), 'X'.repeat(5000));
    await press('Enter');
    await until(() => document.querySelector('.history .notice[role="alert"]') !== null, 'the refused search');
    expect($('.history .notice').textContent).toMatch(/Invalid arguments for listCaptures: barcode/);
  });
});

describe('History view, split and merge', () => {
  it('splits the picked shot and the ones after it off, merges its object into another barcode, shows a refusal at its field, and Undo names the newest edit', async () => {
    const s = await start({ ingest, linking: { enabled: true, imageBarcodes: false, template: '{barcode}_{seq:02}{ext}' } });
    const inbox = path.join(s.home, 'Inbox');
    const library = path.join(s.home, 'Library');
    fs.mkdirSync(inbox, { recursive: true });
    const shoot = async (code: string | null, names: string[]) => {
      if (code) await s.client.scanBarcode({ code });
      for (const name of names) {
        const before = s.station.store.counts().total;
        await writeGoodTiff(path.join(inbox, name), before + 1);
        await waitFor(() => s.station.store.counts().total === before + 1, name);
      }
    };
    await shoot('A-1', ['a1.tif', 'a2.tif', 'a3.tif']);
    await shoot('B-2', ['b1.tif']);
    await s.client.scanBarcode({ code: '%%END%%' });
    await s.station.linker.settled();
    const filed = () => fs.readdirSync(library).sort();
    await waitFor(() => filed().length === 4, 'all filed');

    await mount(createElement(HistoryView, { client: s.client, subscribe: feed().subscribe, sources: ['inbox'], onShowInCaptureView: vi.fn() }));
    await until(() => /^4 captures/.test($('.history .view__note').textContent ?? ''), 'all captures listed');
    // Newest first: b1, a3, a2 — the third is a2, shot 2 of A-1.
    $('[role="listbox"]').focus();
    for (let i = 0; i < 3; i++) await press('ArrowDown');
    await until(() => $('.detail__name').textContent === 'a2.tif' && document.querySelector('input[name="split-barcode"]') !== null, 'a2 picked');
    await until(() => document.querySelector('.link-actions__undo')?.textContent === 'No linking edit to undo.', 'nothing to undo yet');
    expect($('label:has(input[name="split-barcode"]) span').textContent).toBe('Split shot 2 and later off A-1 into barcode');

    $<HTMLInputElement>('input[name="split-barcode"]').focus();
    await typeInto($<HTMLInputElement>('input[name="split-barcode"]'), 'C-3');
    await press('Enter');
    await until(() => document.querySelector('.link-actions__message')?.textContent?.includes('Split shot') === true, 'the split answer');
    expect($('.link-actions__message').textContent).toMatch(/Split shot 2 and later off A-1 into C-3: 2 captures moved \(edit \d+\)\./);
    expect(filed()).toEqual(['A-1_01.tif', 'B-2_01.tif', 'C-3_01.tif', 'C-3_02.tif']);
    await until(() => button(/^Undo: /).textContent === 'Undo: split a2.tif, a3.tif off A-1 → C-3', 'Undo names the split');

    // Merged into a barcode that has no object: refused at the merge field, nothing changed.
    await until(() => $('label:has(input[name="merge-barcode"]) span').textContent === 'Merge all shots of C-3 into barcode', 'a2 now in C-3');
    const merge = () => $<HTMLInputElement>('input[name="merge-barcode"]');
    merge().focus();
    await typeInto(merge(), 'Q-9');
    await press('Enter');
    await until(() => merge().getAttribute('aria-invalid') === 'true', 'the refusal at the merge field');
    const refusal = $(`#${CSS.escape(merge().getAttribute('aria-describedby')!)}`);
    expect(refusal.getAttribute('role')).toBe('alert');
    expect(refusal.textContent).toContain('There is no object Q-9 to merge C-3 into. To give C-3 that barcode instead, use Rename object.');
    expect(refusal.previousElementSibling?.contains(merge())).toBe(true);
    expect(filed()).toEqual(['A-1_01.tif', 'B-2_01.tif', 'C-3_01.tif', 'C-3_02.tif']);

    await typeInto(merge(), 'B-2');
    await press('Enter');
    await until(() => merge().getAttribute('aria-invalid') === null && /Merged/.test($('.link-actions__message').textContent ?? ''), 'the merge answer');
    expect($('.link-actions__message').textContent).toMatch(/Merged C-3 into B-2: 2 captures numbered after its last shot \(edit \d+\)\./);
    expect(filed()).toEqual(['A-1_01.tif', 'B-2_01.tif', 'B-2_02.tif', 'B-2_03.tif']);
    await until(() => button(/^Undo: /).textContent === 'Undo: merge C-3 (a2.tif, a3.tif) → B-2', 'Undo names the merge');
    expect($('.link-actions__undo').getAttribute('aria-label')).toBe('Newest linking edit on this station');

    await click(button(/^Undo: /));
    await until(() => /Undid/.test($('.link-actions__message').textContent ?? ''), 'the undo answer');
    expect($('.link-actions__message').textContent).toContain('Undid "merge C-3 (a2.tif, a3.tif) → B-2": a2.tif is shot 1 of C-3; a3.tif is shot 2 of C-3.');
    expect(filed()).toEqual(['A-1_01.tif', 'B-2_01.tif', 'C-3_01.tif', 'C-3_02.tif']);
    await until(() => button(/^Undo: /).textContent === 'Undo: split a2.tif, a3.tif off A-1 → C-3', 'Undo names the split again');
  });
});

describe('History view, live', () => {
  it('adds a new capture to a barcode search when the station says it matches, and not otherwise', async () => {
    const s = await start({ ingest, linking: { enabled: true, imageBarcodes: false, template: '{barcode}_{seq:02}{ext}' } });
    const inbox = path.join(s.home, 'Inbox');
    fs.mkdirSync(inbox, { recursive: true });
    await s.client.scanBarcode({ code: 'A-1' });
    await writeGoodTiff(path.join(inbox, 'a.tif'), 1);
    await waitFor(() => s.station.store.counts().total === 1, 'the first capture of A-1');
    const live = feed();
    await mount(createElement(HistoryView, { client: s.client, subscribe: live.subscribe, sources: ['inbox'], onShowInCaptureView: vi.fn() }));
    $<HTMLInputElement>('input[name="barcode"]').focus();
    await typeInto($<HTMLInputElement>('input[name="barcode"]'), 'A-1');
    await press('Enter');
    await until(() => /^1 capture$/.test($('.history .view__note').textContent ?? ''), 'the search result');

    const list = vi.spyOn(s.client, 'listCaptures');
    /** Records `name`, sends its event, and resolves once the view has the station's answer on it. */
    const recordLive = async (name: string, seed: number, total: number) => {
      await writeGoodTiff(path.join(inbox, name), seed);
      await waitFor(() => s.station.store.counts().total === total, name);
      const newest = s.station.store.list({ limit: 1 })[0]!;
      await live.emit({ event: 'capture.recorded', payload: { capture: newest } } as Parameters<StationListener>[0]);
      const asked = list.mock.calls.findIndex(([q]) => q.beforeId === newest.id + 1 && q.barcode === 'A-1');
      expect(asked).toBeGreaterThanOrEqual(0);
      await act(async () => void (await list.mock.results[asked]!.value));
    };
    await recordLive('b.tif', 2, 2); // A-1 is still open: the second shot of A-1
    await until(() => /^2 captures$/.test($('.history .view__note').textContent ?? ''), 'the live capture of A-1 in the search');
    await s.client.scanBarcode({ code: 'C-3' });
    await recordLive('c.tif', 3, 3);
    // Asked and answered "no": the search keeps its two.
    expect($('.history .view__note').textContent).toMatch(/^2 captures$/);
  });
});

describe('Queue view', () => {
  it('lists a dead upload and requeues it with Retry', async () => {
    const s = await start({ ingest, targets: [{ id: 'nas', kind: 'folder', path: 'Share' }], upload: { probeIntervalSec: 0.2, backoff: { baseMs: 50, maxMs: 500 } } });
    const inbox = path.join(s.home, 'Inbox');
    fs.mkdirSync(inbox, { recursive: true });
    // The share is not there yet: the job waits; the file then goes, so its upload dead-letters.
    await writeGoodTiff(path.join(inbox, 'gone.tif'));
    await waitFor(() => s.station.store.counts().total === 1, 'the capture');
    fs.rmSync(path.join(inbox, 'gone.tif'));
    const share = path.join(s.home, 'Share');
    fs.mkdirSync(share);
    fs.writeFileSync(path.join(share, '.capture-station-target'), '');
    await waitFor(async () => {
      const q = await s.client.queueStatus({});
      return 'result' in q && q.result.targets[0]?.counts.dead === 1;
    }, 'the dead job');

    const retry = vi.spyOn(s.client, 'retryDead');
    await mount(createElement(QueueView, { client: s.client, subscribe: feed().subscribe }));
    await until(() => document.querySelector('.dead__job') !== null, 'the dead job listed');
    expect($('.dead__error').textContent).toMatch(/gone\.tif/);
    const jobId = Number($('.dead__job .mono').textContent);
    await click($(`button[aria-label="Retry job ${jobId}"]`));
    await until(() => document.querySelector('.queue__message') !== null, 'the retry answer');
    expect(retry).toHaveBeenCalledWith({ targetId: 'nas', jobId });
    expect($('.queue__message').textContent).toBe('Requeued 1 job.');
  });
});
