/**
 * scan-after-capture: a shot whose wait for its barcode expires while its file is still being
 * checked, and the station stops before the check ends. Its alarm is raised once: the next start
 * finds the file in the hot folder, sees in the event log that it was alarmed about, and neither
 * alarms again nor calls it "written while the station was not watching". A file changed after
 * the alarm is another version and is alarmed about. The linker's clock is the station's
 * injectable one, moved on by the test; nothing depends on how long anything takes.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import { Station } from '../../src/station/station.js';
import { openStore } from '../../src/store/open.js';
import { writeGoodTiff } from '../helpers/images.js';
import { makeHome, waitFor } from '../helpers/station-home.js';

const homes: string[] = [];
const stations: Station[] = [];
afterEach(async () => {
  for (const s of stations.splice(0)) await s.stop();
  for (const h of homes.splice(0)) fs.rmSync(h, { recursive: true, force: true });
});

/** The clock the linkers of a test run on: real time plus what the test moved it on by. */
function testClock() {
  let ahead = 0;
  return { now: () => Date.now() + ahead, advance: (ms: number) => void (ahead += ms) };
}

async function start(home: string, now: () => number) {
  const station = new Station(loadConfig({ home }), { now });
  const alarms: string[] = [];
  station.on('link.effect', ({ effect }) => effect.type === 'alarm' && alarms.push(effect.message));
  await station.start();
  stations.push(station);
  // A rescan resolves once every file in the hot folder has been looked at: the linker has heard of each arrival.
  await station.rescan();
  return { station, alarms };
}

async function stop(station: Station): Promise<void> {
  stations.splice(stations.indexOf(station), 1);
  await station.stop();
}

/** Every alarm in the event log that names `file`, with the capture it is on (null: the source). */
function alarmsNaming(home: string, file: string): { captureId: number | null }[] {
  const store = openStore(loadConfig({ home }).locations.database);
  try {
    return store.db.prepare(`SELECT capture_id AS captureId FROM events WHERE type = 'alarm' AND instr(json_extract(data_json, '$.message'), ?) > 0 ORDER BY id`).all(file) as { captureId: number | null }[];
  } finally {
    store.close();
  }
}

describe('scan after capture: a wait that expired while the file was still being checked', () => {
  it('alarms once across restarts, the start-up pass seeing the alarm in the event log; a file changed since is alarmed about', async () => {
    const home = makeHome({ linking: { enabled: true, mode: 'scan-after-capture', idleTimeoutSec: 5 }, ingest: { stableWindowMs: 200, rescanIntervalSec: 0 } });
    homes.push(home);
    const inbox = path.join(home, 'Inbox');
    const clock = testClock();
    let s = await start(home, clock.now);
    // An empty file is seen arriving and never settles, so it is still "being checked" for linking.
    fs.writeFileSync(path.join(inbox, 'B1.tif'), '');
    fs.writeFileSync(path.join(inbox, 'B2.tif'), '');
    await waitFor(() => (s.station.linker.waitingShots().inbox ?? []).length === 2, 'B1 and B2 waiting for their barcode');
    clock.advance(6_000);
    await waitFor(() => s.alarms.length > 0, 'the wait expired');
    expect(s.alarms).toEqual(['No barcode was scanned within 5 s of the last shot: B1.tif, B2.tif are not linked; link them with a relink, or shoot them again and scan.']);
    await stop(s.station);
    // B2 is written (a new version) while the station is down; B1 is the very file the alarm named.
    await writeGoodTiff(path.join(inbox, 'B2.tif'), 2);

    for (const run of [1, 2]) {
      s = await start(home, clock.now);
      if (run === 1) {
        await waitFor(() => s.station.store.counts().total === 1, 'B2 recorded');
        expect(s.alarms).toEqual(['B2.tif was written while the station was not watching: it does not join the next scan; link it with a relink once it is checked.']);
        // B1 gets its data at last: recorded, not linked, for the reason the alarm gave.
        await writeGoodTiff(path.join(inbox, 'B1.tif'), 1);
        await waitFor(() => s.station.store.counts().total === 2, 'B1 recorded');
      }
      expect(s.station.linker.waitingShots()).toEqual({});
      await stop(s.station);
      if (run === 1) expect(s.alarms).toHaveLength(1);
      else expect(s.alarms).toEqual([]);
    }

    expect(alarmsNaming(home, 'B1.tif')).toEqual([{ captureId: null }]);
    const store = openStore(loadConfig({ home }).locations.database);
    try {
      const reasons = store.db
        .prepare(`SELECT c.rel_path AS relPath, json_extract(e.data_json, '$.reason') AS reason FROM events e JOIN captures c ON c.id = e.capture_id WHERE e.type = 'capture.not-linked' ORDER BY c.rel_path`)
        .all();
      expect(reasons).toEqual([
        { relPath: 'B1.tif', reason: 'no barcode scanned in time' },
        { relPath: 'B2.tif', reason: 'written while the station was not watching' },
      ]);
    } finally {
      store.close();
    }
  });

  it('an empty file still unchecked at several starts is not alarmed about at any of them', async () => {
    const home = makeHome({ linking: { enabled: true, mode: 'scan-after-capture', idleTimeoutSec: 5 }, ingest: { stableWindowMs: 200, rescanIntervalSec: 0 } });
    homes.push(home);
    const clock = testClock();
    let s = await start(home, clock.now);
    fs.writeFileSync(path.join(home, 'Inbox', 'E1.tif'), '');
    await waitFor(() => (s.station.linker.waitingShots().inbox ?? []).length === 1, 'E1 waiting for its barcode');
    clock.advance(6_000);
    await waitFor(() => s.alarms.length === 1, 'the wait expired');
    await stop(s.station);
    for (let run = 0; run < 2; run++) {
      s = await start(home, clock.now);
      expect(s.station.linker.waitingShots()).toEqual({});
      await stop(s.station);
      expect(s.alarms).toEqual([]);
    }
    expect(alarmsNaming(home, 'E1.tif')).toHaveLength(1);
  });
});
