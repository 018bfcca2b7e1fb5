/** A library that cannot take files for a while: captures wait in the hot folder, filing is retried until it works, and then they upload. */
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import type { StationEvents } from '../../src/contract/events.js';
import { Station } from '../../src/station/station.js';
import { openStore } from '../../src/store/open.js';
import { writeGoodTiff } from '../helpers/images.js';
import { filesUnder, makeHome, waitFor } from '../helpers/station-home.js';

const homes: string[] = [];
const stations: Station[] = [];
afterEach(async () => {
  for (const s of stations.splice(0)) await s.stop();
  for (const h of homes.splice(0)) fs.rmSync(h, { recursive: true, force: true });
});

function home(linking: Record<string, unknown> = {}): { home: string; library: string; share: string } {
  const h = makeHome();
  homes.push(h);
  const library = path.join(h, 'Library');
  const share = path.join(h, 'share');
  fs.mkdirSync(share);
  fs.writeFileSync(
    path.join(h, 'station.json'),
    JSON.stringify({
      station: { id: 'stand-1' },
      paths: { library },
      ingest: { stableWindowMs: 200, rescanIntervalSec: 0 },
      linking: { enabled: true, template: '{barcode}/{barcode}_{seq:02}{ext}', ...linking },
      targets: [{ id: 'nas', kind: 'folder', path: share, mountCheck: false }],
      upload: { probeIntervalSec: 1 },
    }),
  );
  return { home: h, library, share };
}

async function start(h: string): Promise<{ station: Station; alarms: string[] }> {
  const station = new Station(loadConfig({ home: h }));
  stations.push(station);
  const alarms: string[] = [];
  station.on('link.effect', ({ effect }: StationEvents['link.effect']) => {
    if (effect.type === 'alarm') alarms.push(effect.message);
  });
  await station.start();
  return { station, alarms };
}

const uploaded = (share: string) => filesUnder(share).filter((f) => !path.basename(f).startsWith('.'));
const eventTypes = (station: Station, id: number) => station.store.detail(id)!.events.map((e) => e.type);

/** A file where the object's folder must go: mkdir fails, as on a library that refuses writes. */
function block(library: string, barcode: string): string {
  const blocker = path.join(library, barcode);
  fs.mkdirSync(library, { recursive: true });
  fs.writeFileSync(blocker, 'in the way');
  return blocker;
}

describe('filing into a library that refuses files', () => {
  it('keeps retrying, raises an alarm once, files when the library is fixed, and the capture then uploads', async () => {
    const { home: h, library, share } = home();
    const blocker = block(library, 'OBJ-1');
    const { station, alarms } = await start(h);
    station.linker.scan('OBJ-1');
    await writeGoodTiff(path.join(h, 'Inbox', 'a.tif'), 2);
    await waitFor(() => station.store.list({ limit: 1 }).length === 1, 'recorded');
    const id = station.store.list({ limit: 1 })[0]!.id;
    await waitFor(() => eventTypes(station, id).filter((t) => t === 'capture.filing-failed').length >= 2, 'a failed move tried again');
    expect(fs.existsSync(path.join(h, 'Inbox', 'a.tif'))).toBe(true);
    expect(alarms.filter((a) => a.includes('a.tif could not be filed'))).toHaveLength(1);
    station.linker.scan('%%END%%');

    fs.rmSync(blocker);
    await waitFor(() => station.linker.links.move(id)?.state === 'done', 'filed once the library takes files');
    expect(filesUnder(library)).toEqual(['OBJ-1/OBJ-1_01.tif']);
    await waitFor(() => uploaded(share).length === 1, 'uploaded');
    expect(uploaded(share)).toEqual(['stand-1/OBJ-1/OBJ-1_01.tif']);
  });

  it('tries a failed move again when the station starts', async () => {
    const { home: h, library } = home();
    const blocker = block(library, 'OBJ-2');
    let { station } = await start(h);
    station.linker.scan('OBJ-2');
    await writeGoodTiff(path.join(h, 'Inbox', 'b.tif'), 3);
    await waitFor(() => station.store.list({ limit: 1 }).length === 1, 'recorded');
    const id = station.store.list({ limit: 1 })[0]!.id;
    await waitFor(() => station.linker.links.move(id)?.state === 'failed', 'failed move');
    await station.stop();
    stations.splice(stations.indexOf(station), 1);

    fs.rmSync(blocker);
    ({ station } = await start(h));
    await waitFor(() => station.linker.links.move(id)?.state === 'done', 'filed on start');
    expect(filesUnder(library)).toEqual(['OBJ-2/OBJ-2_01.tif']);
    expect(fs.existsSync(path.join(h, 'Inbox', 'b.tif'))).toBe(false);
  });

  it('files on start a capture linked just before the station stopped, whose move was never planned, and then uploads it', async () => {
    const { home: h, library, share } = home();
    const blocker = block(library, 'OBJ-4');
    let { station } = await start(h);
    station.linker.scan('OBJ-4');
    await writeGoodTiff(path.join(h, 'Inbox', 'd.tif'), 5);
    await waitFor(() => station.store.list({ limit: 1 }).length === 1, 'recorded');
    const id = station.store.list({ limit: 1 })[0]!.id;
    await waitFor(() => station.linker.links.move(id)?.state === 'failed', 'its move tried');
    await station.stop();
    stations.splice(stations.indexOf(station), 1);
    // As if the station had died between the link and the start of the move: no move on record.
    const store = openStore(path.join(h, 'station.db'));
    store.db.prepare('DELETE FROM filing_moves WHERE capture_id = ?').run(id);
    store.close();
    fs.rmSync(blocker);

    ({ station } = await start(h));
    await waitFor(() => station.linker.links.move(id)?.state === 'done', 'filed on start');
    expect(filesUnder(library)).toEqual(['OBJ-4/OBJ-4_01.tif']);
    await waitFor(() => uploaded(share).length === 1, 'uploaded once filed');
    expect(uploaded(share)).toEqual([expect.stringMatching(/OBJ-4\/OBJ-4_01\.tif$/)]);
  });

  it('raises an alarm at start when the library cannot take files, and keeps running', async () => {
    const { home: h, library } = home();
    fs.writeFileSync(library, 'a file, not a folder');
    const { station, alarms } = await start(h);
    expect(alarms).toEqual([expect.stringMatching(/^Captures cannot be filed: the library .*Library cannot be used: .*Library is not a folder\./)]);
    const store = openStore(station.config.locations.database);
    try {
      expect(store.db.prepare(`SELECT data_json FROM events WHERE type = 'library.unavailable'`).all()).toHaveLength(1);
    } finally {
      store.close();
    }
    expect(station.status().linking.enabled).toBe(true);
  });

  it('with libraryMountCheck, does not file into an unmounted library: captures wait in the hot folder, with an alarm, until it is mounted', async () => {
    const { home: h, library } = home({ libraryMountCheck: true });
    // The mount point exists (as an empty folder does while the share is not mounted).
    fs.mkdirSync(library);
    const { station, alarms } = await start(h);
    expect(alarms).toEqual([expect.stringMatching(/^Captures cannot be filed: the library .* looks unmounted: it is an ordinary folder/)]);
    station.linker.scan('OBJ-3');
    await writeGoodTiff(path.join(h, 'Inbox', 'c.tif'), 4);
    await waitFor(() => station.store.list({ limit: 1 }).length === 1, 'recorded');
    const id = station.store.list({ limit: 1 })[0]!.id;
    await waitFor(() => station.linker.links.move(id)?.state === 'failed', 'not filed');
    expect(station.linker.links.move(id)?.error).toMatch(/^Not filed: the library .* looks unmounted/);
    expect(alarms[1]).toMatch(/^c\.tif could not be filed \(Not filed: the library/);
    expect(fs.readdirSync(library)).toEqual([]);
    expect(fs.existsSync(path.join(h, 'Inbox', 'c.tif'))).toBe(true);

    // "Mounted": here, the operator marks the folder as meant to be the library.
    fs.writeFileSync(path.join(library, '.capture-station-library'), '');
    await waitFor(() => station.linker.links.move(id)?.state === 'done', 'filed once mounted');
    expect(filesUnder(library)).toEqual(['.capture-station-library', 'OBJ-3/OBJ-3_01.tif']);
  });
});
