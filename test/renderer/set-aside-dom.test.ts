// @vitest-environment happy-dom
/**
 * What the rig screen says after the control codes, with the whole App against a real in-process
 * station: each scan's answer under the scan field (a live region), a rejected object's shot in the
 * capture view, the history's detail and the recent list, and a shot UNDO took off.
 */
import path from 'node:path';
import { createElement } from 'react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { App } from '../../renderer/app/App.js';
import { CaptureDetailPanel } from '../../renderer/components/CaptureDetailPanel.js';
import { writeGoodTiff } from '../helpers/images.js';
import { $, mount, submit, typeInto, unmountAll, until } from '../helpers/dom.js';
import { startInProcessStation, type InProcessStation } from '../helpers/in-process-station.js';

const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  await unmountAll();
  for (const fn of cleanup.splice(0).reverse()) await fn();
});

const ingest = { stableWindowMs: 200, truncatedRetries: 0, truncatedRetryDelayMs: 100, rescanIntervalSec: 0, concurrency: 2 };
const text = (selector: string) => document.querySelector(selector)?.textContent?.replace(/\s+/g, ' ').trim() ?? null;

async function scan(code: string) {
  await typeInto($<HTMLInputElement>('#scan-input'), code);
  await submit($<HTMLFormElement>('form.scanbar__form'));
}

async function start(): Promise<InProcessStation> {
  const s = await startInProcessStation({ ingest, linking: { enabled: true, imageBarcodes: false, template: '{barcode}_{seq:02}{ext}' } });
  cleanup.push(s.stop);
  await mount(createElement(App, { client: s.client, events: s.events, tones: { play: vi.fn() } }));
  await until(() => text('.scanbar__none') === 'No object open — scan its barcode', 'the linking status');
  return s;
}

describe('control codes on the rig screen', () => {
  it('says what END and REJECT did under the scan field, and shows a rejected shot as set aside in the capture view, the recent list and the history', async () => {
    const s = await start();
    const said = () => text('[data-testid="scan-said"]');
    expect($('[data-testid="scan-said"]').getAttribute('aria-live')).toBe('polite');

    await scan('NHM-000301');
    await until(() => said() === '✓ Object NHM-000301 open.', 'the answer to the object scan');
    await writeGoodTiff(path.join(s.home, 'Inbox', 'IMG_0001.tif'), 1);
    await until(() => text('[data-testid="capture-link"]') === '◆ Filed under NHM-000301 · shot 1', 'the shot filed');
    await scan('%%END%%');
    await until(() => said() === '✓ Object NHM-000301 closed (1 shot).', 'the answer to END');

    await scan('NHM-000302');
    await writeGoodTiff(path.join(s.home, 'Inbox', 'IMG_0002.tif'), 2);
    await until(() => text('[data-testid="capture-link"]') === '◆ Filed under NHM-000302 · shot 1', 'the second shot filed');
    await scan('%%REJECT%%');
    await until(() => said() === '✓ Object NHM-000302 rejected: its 1 shot set aside in _rejected/.', 'the answer to REJECT');
    await until(() => text('[data-testid="capture-link"]') === '✕ Rejected — set aside in _rejected/NHM-000302/IMG_0002.tif · from NHM-000302 · shot 1', 'the capture view after REJECT');
    expect($('[data-testid="capture-link"]').getAttribute('data-state')).toBe('rejected');
    // The recent list marks it; the first shot, filed, has no mark.
    await until(() => document.querySelector('.recent__set-aside') !== null, 'the mark in the recent list');
    const marks = [...document.querySelectorAll('.recent__item')].map((b) => b.querySelector('.recent__set-aside')?.textContent?.replace(/\s+/g, ' ').trim() ?? null);
    expect(marks).toEqual(['✕ Rejected', null]);

    // The history's detail says the same, from getCapture alone (as after a reload).
    const rejectedId = s.station.store.list()[0]!.id;
    const detail = await s.client.getCapture({ id: rejectedId });
    if (!('result' in detail)) throw new Error(detail.error.message);
    expect(detail.result.setAside).toBe('rejected');
    expect(detail.result.link).toMatchObject({ barcode: 'NHM-000302', objectState: 'rejected' });
    await mount(createElement(CaptureDetailPanel, { capture: detail.result }));
    expect(text('[data-testid="detail-set-aside"]')).toBe('✕ Rejected — set aside in _rejected/NHM-000302/IMG_0002.tif');
  });

  it('says what UNDO took off and marks the shot flagged for re-shoot', async () => {
    const s = await start();
    await scan('NHM-000401');
    await writeGoodTiff(path.join(s.home, 'Inbox', 'IMG_0005.tif'), 5);
    await until(() => text('[data-testid="capture-link"]') === '◆ Filed under NHM-000401 · shot 1', 'the shot filed');
    await scan('%%UNDO%%');
    await until(() => text('[data-testid="scan-said"]') === '✓ IMG_0005 taken off NHM-000401 (shot 1), flagged for re-shoot.', 'the answer to UNDO');
    await until(() => text('[data-testid="capture-link"]') === '↻ Flagged to be shot again — in _reshoot/NHM-000401/IMG_0005.tif', 'the capture view after UNDO');
    expect($('[data-testid="capture-link"]').getAttribute('data-state')).toBe('reshoot');
    await until(() => text('.recent__set-aside') === '↻ Re-shoot', 'the mark in the recent list');
  });
});
