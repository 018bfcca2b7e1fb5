// @vitest-environment happy-dom
/**
 * A hot-folder file the station will not take as it is reaches the rig screen: an empty file (a
 * failed camera or tether) is named there until its data arrives and it is recorded.
 */
import fs from 'node:fs';
import path from 'node:path';
import { createElement } from 'react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { App } from '../../renderer/app/App.js';
import { writeGoodTiff } from '../helpers/images.js';
import { mount, unmountAll, until } from '../helpers/dom.js';
import { startInProcessStation } from '../helpers/in-process-station.js';

const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  await unmountAll();
  for (const fn of cleanup.splice(0).reverse()) await fn();
});

const notices = () => [...document.querySelectorAll('[data-testid="ingest-notice"]')].map((e) => e.textContent?.replace(/\s+/g, ' ').trim());

describe('ingest notices on the rig screen', () => {
  it('names a file that stays empty, and drops it once the file is recorded', async () => {
    const s = await startInProcessStation({ ingest: { stableWindowMs: 200, truncatedRetries: 0, truncatedRetryDelayMs: 100, rescanIntervalSec: 0, concurrency: 2, emptyWarnSec: 1 } });
    cleanup.push(s.stop);
    await mount(createElement(App, { client: s.client, events: s.events, tones: { play: vi.fn() } }));
    const file = path.join(s.home, 'Inbox', 'IMG_0999.tif');
    fs.writeFileSync(file, '');
    await until(() => notices().length === 1, 'the empty file named');
    expect(notices()[0]).toMatch(/^▲ .*IMG_0999\.tif.* 0 bytes/);
    await writeGoodTiff(file, 4);
    await until(() => document.querySelector('.capture__name')?.textContent === 'IMG_0999.tif', 'the file recorded');
    expect(notices()).toEqual([]);
  });
});
