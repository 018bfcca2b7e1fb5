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
import type { EventConnector } from '../../renderer/app/use-station.js';
import type { StationEventMessage } from '../../renderer/transport/event-stream.js';
import { loadConfig } from '../../src/config/load.js';
import { createLocalClient } from '../../src/contract/client.js';
import { createHandlers } from '../../src/station/handlers.js';
import { Station } from '../../src/station/station.js';
import { writeGoodTiff } from '../helpers/images.js';
import { mount, unmountAll, until } from '../helpers/dom.js';
import { startInProcessStation } from '../helpers/in-process-station.js';
import { waitFor } from '../helpers/station-home.js';

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

describe('ingest notices after a restart', () => {
  it('lists every affected file on a page opened after the station restarted, though it warns about none of them again', async () => {
    const prepare = (home: string) => {
      const inbox = path.join(home, 'Inbox');
      fs.mkdirSync(inbox, { recursive: true });
      fs.writeFileSync(path.join(home, 'real.tif'), 'x');
      for (const name of ['l1.tif', 'l2.tif', 'l3.tif', 'l4.tif']) fs.symlinkSync(path.join(home, 'real.tif'), path.join(inbox, name));
    };
    const first = await startInProcessStation({ ingest: { stableWindowMs: 200, rescanIntervalSec: 0 } }, prepare);
    await waitFor(() => first.station.status().ingestNotices.length === 4, 'four links noticed');
    await first.station.stop();
    cleanup.push(async () => fs.rmSync(first.home, { recursive: true, force: true }));

    const station = new Station(loadConfig({ home: first.home }));
    const warned: string[] = [];
    station.on('ingest.notice', (n) => warned.push(n.relPath));
    await station.start();
    cleanup.push(() => station.stop());
    await waitFor(() => station.status().ingestNotices.length === 4, 'four links listed again');
    const events: EventConnector = (h) => {
      const off = station.onAny((event, payload) => h.onEvent({ event, payload } as StationEventMessage));
      h.onState('live');
      return { close: off };
    };
    await mount(createElement(App, { client: createLocalClient(createHandlers(station)), events, tones: { play: vi.fn() } }));
    await until(() => notices().length === 3, 'the links named');
    expect(notices().every((n) => /^▲ .*l\d\.tif is a symbolic link/.test(n ?? ''))).toBe(true);
    const shown = notices().map((n) => /(l\d\.tif)/.exec(n ?? '')?.[1]);
    const rest = ['l1.tif', 'l2.tif', 'l3.tif', 'l4.tif'].filter((f) => !shown.includes(f));
    expect(document.querySelector('[data-testid="ingest-notice-more"]')?.textContent?.replace(/\s+/g, ' ').trim()).toBe(`▲ 1 more file the station will not take as they are: ${rest.join(', ')}`);
    expect(warned).toEqual([]);
  });
});
