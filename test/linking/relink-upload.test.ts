/** A capture already uploaded under its object's name, then relinked: every target gets it under the new name too. */
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import { Station } from '../../src/station/station.js';
import { writeGoodTiff } from '../helpers/images.js';
import { filesUnder, makeHome, waitFor } from '../helpers/station-home.js';

const cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn();
});

async function startStation(mode: 'scan-before-capture' | 'scan-after-capture' = 'scan-before-capture') {
  const home = makeHome({
    station: { id: 'stand-1' },
    ingest: { stableWindowMs: 200, rescanIntervalSec: 0 },
    linking: { enabled: true, mode, template: '{barcode}/{barcode}_{seq:02}{ext}' },
    targets: [{ id: 'nas', kind: 'folder', path: 'share', mountCheck: false }],
    upload: { probeIntervalSec: 0.2, backoff: { baseMs: 50, maxMs: 500 } },
  });
  cleanup.push(() => fs.rmSync(home, { recursive: true, force: true }));
  const share = path.join(home, 'share');
  fs.mkdirSync(share);
  const s = new Station(loadConfig({ home }));
  await s.start();
  cleanup.push(() => s.stop());
  return { home, share, station: s, uploaded: () => filesUnder(share).filter((f) => !path.basename(f).startsWith('.')) };
}

describe('relinking an uploaded capture', () => {
  it('uploads it again under its new name, and removes its copy under the old name once the new one is verified', async () => {
    const { home, station, uploaded } = await startStation();

    station.linker.scan('OBJ-1');
    await writeGoodTiff(path.join(home, 'Inbox', 'a.tif'), 3);
    await waitFor(() => station.store.counts().total === 1, 'recorded');
    station.linker.scan('%%END%%');
    await waitFor(() => uploaded().length === 1, 'uploaded under the first name');
    expect(uploaded()).toEqual(['stand-1/OBJ-1/OBJ-1_01.tif']);

    const id = station.store.list({ limit: 1 })[0]!.id;
    await station.linker.editor.relinkCaptures([id], 'OBJ-2');
    await waitFor(() => station.store.detail(id)!.events.some((e) => e.type === 'upload.stale.removed'), 'the old copy removed');
    expect(uploaded()).toEqual(['stand-1/OBJ-2/OBJ-2_01.tif']);
    expect(filesUnder(path.join(home, 'Library'))).toEqual(['OBJ-2/OBJ-2_01.tif']);
    const events = station.store.detail(id)!.events;
    // The old copy goes only after the new one is verified: never zero copies.
    const done = events.findLastIndex((e) => e.type === 'upload.done');
    const removed = events.findIndex((e) => e.type === 'upload.stale.removed');
    expect(done).toBeLessThan(removed);
    expect(JSON.stringify(events[done]!.data)).toContain('stand-1/OBJ-2/OBJ-2_01.tif');
    expect(JSON.stringify(events[removed]!.data)).toContain('stand-1/OBJ-1/OBJ-1_01.tif');
    expect(events.some((e) => e.type === 'upload.requeued' && JSON.stringify(e.data).includes('stand-1/OBJ-1/OBJ-1_01.tif'))).toBe(true);
  });

  it('holds a shot waiting for its barcode (scan after capture) until it is filed, then uploads it once under its object\'s name', async () => {
    const { home, station, uploaded } = await startStation('scan-after-capture');
    await writeGoodTiff(path.join(home, 'Inbox', 'b.tif'), 4);
    await waitFor(() => station.store.counts().total === 1, 'recorded');
    // Its jobs would have been queued with the capture itself: none, so nothing goes while it waits.
    expect(station.uploader.status().targets[0]?.counts).toEqual({ queued: 0, leased: 0, done: 0, dead: 0 });
    station.linker.scan('OBJ-9');
    await waitFor(() => station.uploader.status().targets[0]?.counts.done === 1, 'uploaded under its object\'s name');
    expect(uploaded()).toEqual(['stand-1/OBJ-9/OBJ-9_01.tif']);
  });
});
