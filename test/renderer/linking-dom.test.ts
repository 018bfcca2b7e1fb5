// @vitest-environment happy-dom
/**
 * What the rig screen says about linking, with the whole App against a real in-process station:
 * shots waiting for their barcode (scan-after-capture) where the open object would be, and the
 * object the capture on screen was linked to and filed under.
 */
import path from 'node:path';
import { createElement } from 'react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { App } from '../../renderer/app/App.js';
import { loadConfig } from '../../src/config/load.js';
import type { StationConfigInput } from '../../src/config/schema.js';
import { writeGoodTiff } from '../helpers/images.js';
import { $, mount, submit, typeInto, unmountAll, until } from '../helpers/dom.js';
import { startInProcessStation } from '../helpers/in-process-station.js';
import { filesUnder } from '../helpers/station-home.js';

const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  await unmountAll();
  for (const fn of cleanup.splice(0).reverse()) await fn();
});

const ingest = { stableWindowMs: 200, truncatedRetries: 0, truncatedRetryDelayMs: 100, rescanIntervalSec: 0, concurrency: 2 };
const text = (selector: string) => document.querySelector(selector)?.textContent?.replace(/\s+/g, ' ').trim() ?? null;

async function start(config: StationConfigInput) {
  const s = await startInProcessStation(config);
  cleanup.push(s.stop);
  await mount(createElement(App, { client: s.client, events: s.events, tones: { play: vi.fn() } }));
  return s;
}

describe('linking on the rig screen', () => {
  it('scan-after-capture: names the shots waiting for a barcode, then shows the newest filed under the scanned object', async () => {
    const s = await start({ ingest, linking: { enabled: true, imageBarcodes: false, mode: 'scan-after-capture', idleTimeoutSec: 0, template: '{barcode}_{seq:02}{ext}' } });
    await until(() => text('.scanbar__none') === 'No object open — scan its barcode', 'the linking status');
    const inbox = path.join(s.home, 'Inbox');
    await writeGoodTiff(path.join(inbox, 'IMG_0001.tif'), 1);
    await until(() => text('[data-testid="object-waiting"]') === '◌ 1 shot waiting for a barcode (IMG_0001) — scan it', 'one shot waiting');
    await writeGoodTiff(path.join(inbox, 'IMG_0002.tif'), 2);
    await until(() => text('[data-testid="object-waiting"]') === '◌ 2 shots waiting for a barcode (IMG_0001, IMG_0002) — scan it', 'two shots waiting');
    await until(() => text('.capture__name') === 'IMG_0002.tif', 'the newest capture on screen');
    expect(text('[data-testid="capture-link"]')).toBe('◌ Not linked yet — waiting for its barcode: scan it');

    await typeInto($<HTMLInputElement>('#scan-input'), 'NHM-000124');
    await submit($<HTMLFormElement>('form.scanbar__form'));
    // Linked at once; filed when the move is done, which the screen hears of and shows.
    await until(() => text('[data-testid="capture-link"]') === '◆ Filed under NHM-000124 · shot 2', 'the newest capture filed under the object');
    expect(filesUnder(loadConfig({ home: s.home }).locations.library)).toEqual([expect.stringMatching(/NHM-000124_01\.tif$/), expect.stringMatching(/NHM-000124_02\.tif$/)]);
    expect($('[data-testid="capture-link"]').getAttribute('title')).toMatch(/NHM-000124_02\.tif$/);
    expect(document.querySelector('[data-testid="object-waiting"]')).toBeNull();
    expect(text('.scanbar__none')).toBe('No object open — scan its barcode');
  });

  it('scan-before-capture: a capture shot with no object open says it is not linked; none is said with linking off', async () => {
    const s = await start({ ingest, linking: { enabled: true, imageBarcodes: false } });
    await writeGoodTiff(path.join(s.home, 'Inbox', 'loose.tif'), 3);
    await until(() => text('.capture__name') === 'loose.tif', 'the capture on screen');
    await until(() => text('[data-testid="capture-link"]') === '○ Not linked', 'its link line');
    expect(document.querySelector('[data-testid="object-waiting"]')).toBeNull();
    await unmountAll();

    const off = await start({ ingest });
    await writeGoodTiff(path.join(off.home, 'Inbox', 'plain.tif'), 4);
    await until(() => text('.capture__name') === 'plain.tif', 'the capture on screen, linking off');
    expect(document.querySelector('[data-testid="capture-link"]')).toBeNull();
  });
});
