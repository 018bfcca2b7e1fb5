// @vitest-environment happy-dom
/**
 * History's selection and its filtered list, mounted in a DOM against a real in-process station: a
 * filter that leaves the picked capture out clears the pick (no detail, no link fixes on a capture
 * the list says is not there); one that keeps it keeps it; a capture a fix moved out of the list
 * stays picked, marked as no longer in it.
 */
import fs from 'node:fs';
import path from 'node:path';
import { act, createElement } from 'react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { StationListener } from '../../renderer/app/use-station.js';
import { HistoryView } from '../../renderer/components/HistoryView.js';
import type { StationEventMessage } from '../../renderer/transport/event-stream.js';
import type { StationConfigInput } from '../../src/config/schema.js';
import { writeGoodTiff } from '../helpers/images.js';
import { $, mount, press, typeInto, unmountAll, until } from '../helpers/dom.js';
import { startInProcessStation } from '../helpers/in-process-station.js';
import { waitFor } from '../helpers/station-home.js';

const ingest = { stableWindowMs: 200, truncatedRetries: 0, truncatedRetryDelayMs: 100, rescanIntervalSec: 0, concurrency: 2 };
const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  await unmountAll();
  for (const fn of cleanup.splice(0).reverse()) await fn();
});

/** A station with one capture linked to each barcode, and the History view on it. */
async function historyOf(barcodes: string[], config: StationConfigInput = {}) {
  const s = await startInProcessStation({ ingest, linking: { enabled: true, imageBarcodes: false, template: '{barcode}_{seq:02}{ext}' }, ...config });
  cleanup.push(s.stop);
  const inbox = path.join(s.home, 'Inbox');
  fs.mkdirSync(inbox, { recursive: true });
  for (const [i, code] of barcodes.entries()) {
    await s.client.scanBarcode({ code });
    await writeGoodTiff(path.join(inbox, `${i}.tif`), i + 1);
    await waitFor(() => s.station.store.counts().total === i + 1, `the capture of ${code}`);
  }
  // The station's events, as the screen gets them: rows a fix changed follow from capture.changed.
  const subscribe = (l: StationListener) => s.station.onAny((event, payload) => l({ event, payload } as StationEventMessage));
  await mount(createElement(HistoryView, { client: s.client, subscribe, sources: ['inbox'], onShowInCaptureView: vi.fn() }));
  await until(() => count() === `${barcodes.length} captures`, 'the captures listed');
  return s;
}

const count = () => $('.history .view__note').textContent ?? '';
const detail = () => $('.history__detail');
const relinkBox = () => document.querySelector<HTMLInputElement>('input[name="relink-barcode"]');

async function pickFirst(): Promise<void> {
  $('[role="listbox"]').focus();
  await press('ArrowDown');
  await until(() => relinkBox() !== null, 'the detail and link fixes of the picked capture');
}

/** The drop-down of the filter labelled `label`. */
function filterSelect(label: string): HTMLSelectElement {
  const field = [...document.querySelectorAll('.filters label')].find((l) => l.querySelector('span')?.textContent === label);
  return $<HTMLSelectElement>('select', field ?? document.createElement('div'));
}

async function choose(select: HTMLSelectElement, value: string): Promise<void> {
  await act(async () => {
    select.value = value;
    select.dispatchEvent(new Event('change', { bubbles: true }));
  });
}

/** The local calendar day after today, as a date field gives it. */
function tomorrow(): string {
  const d = new Date();
  d.setDate(d.getDate() + 1);
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;
}

describe('History: the picked capture and the filter', () => {
  it('clears the pick when a filter leaves it out of the list, and keeps it when the filter keeps it', async () => {
    await historyOf(['A-1', 'B-2']);
    await pickFirst();
    const picked = detail().textContent;

    // A filter that still lists it: the pick and its fixes stay.
    await choose(filterSelect('Source'), 'inbox');
    await until(() => count() === '2 captures', 'the source filter applied');
    expect(relinkBox()).not.toBeNull();
    expect(detail().textContent).toBe(picked);

    // From a later day: nothing listed, and nothing picked — no detail, no fixes to press.
    await typeInto($<HTMLInputElement>('input[name="from"]'), tomorrow());
    await until(() => count() === '0 captures', 'the later From applied');
    await until(() => relinkBox() === null, 'the pick cleared');
    expect(detail().textContent).toMatch(/Pick a capture/);
    expect(detail().querySelectorAll('button')).toHaveLength(0);
  });

  it('keeps a capture a fix moved out of a barcode search picked, marked as no longer in the list, until the filter changes', async () => {
    const s = await historyOf(['A-1', 'C-3']);
    $<HTMLInputElement>('input[name="barcode"]').focus();
    await typeInto($<HTMLInputElement>('input[name="barcode"]'), 'A-1');
    await press('Enter');
    await until(() => count() === '1 capture', 'the search result');
    await pickFirst();
    expect(document.querySelector('[data-testid="detail-outside-list"]')).toBeNull();

    relinkBox()!.focus();
    await typeInto(relinkBox()!, 'B-2');
    await press('Enter');
    await until(() => document.querySelector('.link-actions__message') !== null, 'the relink answer');
    await until(() => document.querySelector('[data-testid="detail-outside-list"]') !== null, 'the detail marked as outside the list');
    expect(count()).toBe('0 captures');
    // The answer of the fix stays in view, and the fixes still act on the capture shown.
    expect($('.link-actions__message').textContent).toMatch(/Relinked 1 capture to B-2/);
    expect($('[data-testid="detail-outside-list"]').textContent).toMatch(/Not in this list any more/);
    expect(relinkBox()).not.toBeNull();
    const relinked = await s.client.listCaptures({ barcode: 'B-2' });
    expect('result' in relinked && relinked.result).toHaveLength(1);

    // A new filter that leaves it out: the pick goes.
    await choose(filterSelect('Match'), 'prefix');
    await until(() => relinkBox() === null, 'the pick cleared by the new filter');
    expect(detail().textContent).toMatch(/Pick a capture/);
  });
});
