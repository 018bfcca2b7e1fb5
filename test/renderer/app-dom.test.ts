// @vitest-environment happy-dom
/**
 * The whole App mounted in a DOM (happy-dom) against a real in-process station on a temp home:
 * view keys and the address, the session panel and the header badge, a live fail's banner and cue,
 * and the capture view's preview, overlay and mute keys.
 */
import fs from 'node:fs';
import path from 'node:path';
import { act, createElement } from 'react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { App } from '../../renderer/app/App.js';
import type { StationConfigInput } from '../../src/config/schema.js';
import { writeGoodTiff } from '../helpers/images.js';
import { $, click, mount, press, submit, typeInto, unmountAll, until } from '../helpers/dom.js';
import { startInProcessStation, type InProcessStation } from '../helpers/in-process-station.js';
import { waitFor } from '../helpers/station-home.js';

const fast: StationConfigInput = { ingest: { stableWindowMs: 200, truncatedRetries: 0, truncatedRetryDelayMs: 100, rescanIntervalSec: 0, concurrency: 2 } };
const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  await unmountAll();
  for (const fn of cleanup.splice(0).reverse()) await fn();
  localStorage.clear();
  history.replaceState(null, '', '/');
});

async function start(config: StationConfigInput = fast, prepare?: (home: string) => void | Promise<void>): Promise<InProcessStation> {
  const s = await startInProcessStation(config, prepare);
  cleanup.push(s.stop);
  return s;
}

/** A file no decoder takes: QC fails it ("decodes"). */
function writeJunk(file: string) {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, 'this is not a TIFF at all');
}

const shownView = () => document.querySelector('main')?.id;
const shownName = () => document.querySelector('.capture__name')?.textContent;
const banner = () => document.querySelector('section.verdict');

describe('App mounted against an in-process station', () => {
  it('switches views by F-keys, Alt+digits and the address, and keeps the view in the address', async () => {
    const s = await start();
    history.replaceState(null, '', '/#dashboard');
    await mount(createElement(App, { client: s.client, events: s.events, tones: { play: vi.fn() } }));
    expect(shownView()).toBe('view-dashboard');

    await press('F2');
    expect(shownView()).toBe('view-queue');
    expect(location.hash).toBe('#queue');
    expect(document.title).toBe('Queue · Capture Station');

    await press('3', { altKey: true });
    expect(shownView()).toBe('view-history');
    // Alt+digit by the physical key, for layouts where Alt+5 types another character.
    await press('€', { altKey: true, code: 'Digit5' });
    expect(shownView()).toBe('view-settings');
    expect(location.hash).toBe('#settings');

    await press('F1');
    expect(shownView()).toBe('view-capture');
    expect(location.hash).toBe('');

    // A bookmark or the Back button changes the address: the view follows it.
    location.hash = '#history';
    await until(() => shownView() === 'view-history', 'the history view after the address changed');
    // A key the app does not use is left alone; one it uses is not also the page's.
    expect((await press('F8')).defaultPrevented).toBe(true);
    expect((await press('F9')).defaultPrevented).toBe(false);
  });

  it('starts a session from the panel and shows it in the header badge', async () => {
    const s = await start();
    await mount(createElement(App, { client: s.client, events: s.events, tones: { play: vi.fn() } }));
    await until(() => document.querySelector('.session-start') !== null, 'the session panel');
    expect(document.querySelector('[data-testid="session"]')).toBeNull();

    await typeInto($<HTMLInputElement>('input[name="operator"]'), 'Ana Ruiz');
    await typeInto($<HTMLInputElement>('input[name="project"]'), 'Herbarium 2026');
    await submit($<HTMLFormElement>('form.session-start'));
    await until(() => document.querySelector('[data-testid="session"]') !== null, 'the header badge');
    expect($('[data-testid="session"]').textContent).toContain('Ana Ruiz');
    expect($('[data-testid="session"]').textContent).toContain('Herbarium 2026');
    expect(document.querySelector('.session-start')).toBeNull();
    expect(s.station.sessions.current()?.operator).toBe('Ana Ruiz');
  });

  it('proposes the last session\'s project and starts the session on Enter in the project list', async () => {
    const projects = ['Herbarium', 'Insects', 'Moths'];
    const s = await start({ ...fast, linking: { projects } });
    s.station.sessions.start('Ben', 'Moths', projects);
    s.station.sessions.end();
    await mount(createElement(App, { client: s.client, events: s.events, tones: { play: vi.fn() } }));
    await until(() => document.querySelector('.session-start select') !== null, 'the session panel with its project list');
    const list = $<HTMLSelectElement>('select[name="project"]');
    expect(list.value).toBe('Moths');
    expect($<HTMLInputElement>('input[name="operator"]').value).toBe('Ben');
    list.focus();
    expect((await press('Enter')).defaultPrevented).toBe(true);
    await until(() => document.querySelector('[data-testid="session"]') !== null, 'the header badge');
    expect(s.station.sessions.current()).toMatchObject({ operator: 'Ben', project: 'Moths' });
  });

  it('shows a live failure in the verdict banner and sounds the cue once, but not for a failure already there at load', async () => {
    const s = await start(fast, (home) => writeJunk(path.join(home, 'Inbox', 'old.tif')));
    await waitFor(() => s.station.store.counts().total === 1, 'the old capture recorded');
    const tones = { play: vi.fn() };
    const preview = vi.spyOn(s.client, 'capturePreview');
    await mount(createElement(App, { client: s.client, events: s.events, tones }));
    await until(() => shownName() === 'old.tif', 'the old capture shown');
    expect(banner()?.getAttribute('data-verdict')).toBe('fail');
    // The preview asked for is the capture on screen's; the core cannot make one, and says why.
    const oldId = s.station.store.list()[0]!.id;
    await until(() => document.querySelector('.preview--error') !== null, 'the preview error');
    expect(preview).toHaveBeenCalledWith({ id: oldId }, expect.anything());
    expect($('.preview--error').textContent).toMatch(/No preview/);
    expect($('.preview__reason').textContent?.length).toBeGreaterThan(0);
    expect(tones.play).not.toHaveBeenCalled();

    writeJunk(path.join(s.home, 'Inbox', 'new.tif'));
    await until(() => shownName() === 'new.tif', 'the new capture shown');
    expect(banner()?.getAttribute('data-verdict')).toBe('fail');
    expect(banner()?.textContent).toMatch(/FAIL/i);
    expect(tones.play).toHaveBeenCalledTimes(1);
    const newId = s.station.store.list({ verdict: 'fail' }).find((c) => c.relPath === 'new.tif')!.id;
    expect(preview).toHaveBeenCalledWith({ id: newId }, expect.anything());
  });

  it('shows the preview of a good capture, toggles the clipping overlay with Alt+O and mutes with Alt+M (kept in localStorage)', async () => {
    const s = await start(fast, async (home) => {
      fs.mkdirSync(path.join(home, 'Inbox'));
      await writeGoodTiff(path.join(home, 'Inbox', 'good.tif'));
    });
    await waitFor(() => s.station.store.counts().total === 1, 'the capture recorded');
    await mount(createElement(App, { client: s.client, events: s.events, tones: { play: vi.fn() } }));
    await until(() => document.querySelector('img.preview__image') !== null, 'the preview image');
    expect($('img.preview__image').getAttribute('alt')).toBe('Preview of good.tif');
    const overlay = () => $('button[aria-keyshortcuts="Alt+O"]');
    const mute = () => $('button[aria-keyshortcuts="Alt+M"]');
    expect(overlay().getAttribute('aria-pressed')).toBe('false');
    expect($('figure.preview').getAttribute('data-overlay')).toBe('off');

    expect((await press('o', { altKey: true, code: 'KeyO' })).defaultPrevented).toBe(true);
    expect(overlay().getAttribute('aria-pressed')).toBe('true');
    expect($('figure.preview').getAttribute('data-overlay')).toBe('on');
    expect(document.querySelector('canvas.preview__overlay')).not.toBeNull();
    await press('o', { altKey: true, code: 'KeyO' });
    expect(overlay().getAttribute('aria-pressed')).toBe('false');

    expect(mute().getAttribute('aria-pressed')).toBe('true');
    await press('m', { altKey: true, code: 'KeyM' });
    expect(mute().textContent).toContain('muted');
    expect(mute().getAttribute('aria-pressed')).toBe('false');
    expect(localStorage.getItem('capture-station.muted')).toBe('1');
    await click(mute());
    expect(localStorage.getItem('capture-station.muted')).toBe('0');
    expect(mute().textContent).toContain('Sound on fail on');
  });

  it('takes a scanner burst typed anywhere on the page as one scan, and shows the object it opened', async () => {
    const s = await start({ ...fast, linking: { enabled: true, imageBarcodes: false } });
    const scan = vi.spyOn(s.client, 'scanBarcode');
    await mount(createElement(App, { client: s.client, events: s.events, tones: { play: vi.fn() } }));
    await until(() => document.querySelector('.scanbar__none')?.textContent === 'No object open — scan its barcode', 'the linking status');
    // The keys' own times (the page's clock) make the burst: 10 ms apart, after a quiet line.
    const t0 = performance.now() + 5000;
    for (const [i, key] of [...'NHM-000777', 'Enter'].entries()) await press(key, { timeStamp: t0 + i * 10 });
    await until(() => document.querySelector('[data-testid="object-barcode"]') !== null, 'the object opened');
    expect($('[data-testid="object-barcode"]').textContent).toBe('NHM-000777');
    expect(scan).toHaveBeenCalledTimes(1);
    expect(scan).toHaveBeenCalledWith({ code: 'NHM-000777' });
    expect($<HTMLInputElement>('#scan-input').value).toBe('');

    // The same keys 150 ms apart by their timeStamps are a person's: they land in the field, and only Enter sends them.
    const t1 = t0 + 10_000;
    for (const [i, key] of [...'NHM-000888'].entries()) await press(key, { timeStamp: t1 + i * 150 });
    expect($<HTMLInputElement>('#scan-input').value).toBe('NHM-000888');
    expect(document.activeElement).toBe($('#scan-input'));
    expect(scan).toHaveBeenCalledTimes(1);
    await press('Enter', { timeStamp: t1 + 1600 });
    await until(() => $('[data-testid="object-barcode"]').textContent === 'NHM-000888', 'the typed object opened');
    expect(scan).toHaveBeenCalledTimes(2);
    expect(scan).toHaveBeenLastCalledWith({ code: 'NHM-000888' });
  });

  it('keeps the keyboard scanner line from warning once scans come another way, and shows it working after its own burst', async () => {
    const s = await start({ ...fast, linking: { enabled: true, imageBarcodes: false } });
    await mount(createElement(App, { client: s.client, events: s.events, tones: { play: vi.fn() } }));
    const keyboardLine = () => [...document.querySelectorAll('.devices__item')].find((li) => li.textContent?.startsWith('Scanner (keyboard)'));
    await until(() => keyboardLine()?.textContent === 'Scanner (keyboard) ○ Waiting · no scan yet', 'the prompt for a test scan');
    expect(keyboardLine()?.getAttribute('data-tone')).toBe('warn');

    // A scan by `capture-station scan` (or stdin): not a keystroke of this page.
    const reply = await act(() => s.client.scanBarcode({ code: 'NHM-000555' }));
    expect(reply).toMatchObject({ result: { code: 'NHM-000555' } });
    await until(() => /^Scanner \(keyboard\) – Idle · station's last scan \d+ s ago$/.test(keyboardLine()?.textContent ?? ''), 'the keyboard line idle');
    expect(keyboardLine()?.getAttribute('data-tone')).toBe('idle');

    const t0 = performance.now() + 5000;
    for (const [i, key] of [...'NHM-000556', 'Enter'].entries()) await press(key, { timeStamp: t0 + i * 10 });
    await until(() => /^Scanner \(keyboard\) ● Working · last scan \d+ s ago$/.test(keyboardLine()?.textContent ?? ''), 'the keyboard line working');
    expect(keyboardLine()?.getAttribute('data-tone')).toBe('ok');
  });

  it("gives a monitor (read-only token) no scan field and sends no scanner burst; its settings cannot be edited or saved", async () => {
    const s = await start({ ...fast, linking: { enabled: true, imageBarcodes: false } });
    const scan = vi.spyOn(s.client, 'scanBarcode');
    const monitor = { ...s.client, access: async () => ({ result: { role: 'monitor' as const } }) };
    await mount(createElement(App, { client: monitor, events: s.events, tones: { play: vi.fn() } }));
    await until(() => document.querySelector('[data-testid="read-only"]') !== null, 'the monitor badge');
    expect(document.querySelector('.session-start')).toBeNull();
    expect(document.querySelector('#scan-input')).toBeNull();
    expect($('.scanbar [data-testid="readonly-note"]').textContent).toContain('Read-only monitor');
    const t0 = performance.now() + 5000;
    for (const [i, key] of [...'NHM-000777', 'Enter'].entries()) await press(key, { timeStamp: t0 + i * 10 });
    await new Promise((r) => setTimeout(r, 300));
    expect(scan).not.toHaveBeenCalled();

    await press('F8');
    await until(() => document.querySelector('#setting-sources-0-id') !== null, 'the settings');
    // A disabled fieldset disables what is inside it (happy-dom does not apply that to :disabled).
    expect($('#setting-sources-0-id').closest('fieldset[disabled]')).not.toBeNull();
    expect([...document.querySelectorAll('#view-settings button')].map((b) => b.textContent)).not.toContain('Save');
    expect($('#view-settings [data-testid="readonly-note"]').textContent).toContain('Read-only monitor');
  });

  it('remembers a mute across a reload, and stays silent for a live failure while muted', async () => {
    localStorage.setItem('capture-station.muted', '1');
    const s = await start();
    const tones = { play: vi.fn() };
    await mount(createElement(App, { client: s.client, events: s.events, tones }));
    writeJunk(path.join(s.home, 'Inbox', 'bad.tif'));
    await until(() => shownName() === 'bad.tif', 'the failure shown');
    expect(banner()?.getAttribute('data-verdict')).toBe('fail');
    expect($('button[aria-keyshortcuts="Alt+M"]').textContent).toContain('muted');
    expect(tones.play).not.toHaveBeenCalled();
  });
});
