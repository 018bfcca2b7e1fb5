/**
 * An object's completeness alarm in a running station: it comes even when a file of the object
 * never settles, it survives a restart once (never twice), and a barcode scanned again counts only
 * the shots it really has.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import type { StationConfigInput } from '../../src/config/schema.js';
import { createLocalClient } from '../../src/contract/client.js';
import { addLogSink, type LogRecord } from '../../src/log/logger.js';
import { createHandlers } from '../../src/station/handlers.js';
import { Station } from '../../src/station/station.js';
import { writeGoodTiff } from '../helpers/images.js';
import { filesUnder, makeHome, waitFor } from '../helpers/station-home.js';

const homes: string[] = [];
const stations: Station[] = [];
afterEach(async () => {
  for (const s of stations.splice(0)) await s.stop();
  for (const h of homes.splice(0)) fs.rmSync(h, { recursive: true, force: true });
});

function home(linking: StationConfigInput['linking']): string {
  const h = makeHome({ ingest: { stableWindowMs: 200, rescanIntervalSec: 0 }, linking: { enabled: true, template: '{barcode}_{seq:02}{ext}', ...linking } });
  homes.push(h);
  return h;
}

/** Starts the station of `h`, collecting its alarms from the first one on (start-up alarms included). */
async function start(h: string) {
  const station = new Station(loadConfig({ home: h }));
  const alarms: string[] = [];
  station.on('link.effect', ({ effect }) => effect.type === 'alarm' && alarms.push(effect.message));
  await station.start();
  stations.push(station);
  const inbox = path.join(h, 'Inbox');
  const library = loadConfig({ home: h }).locations.library;
  return { station, alarms, inbox, library };
}

async function stop(station: Station): Promise<void> {
  stations.splice(stations.indexOf(station), 1);
  await station.stop();
}

/** An empty file: the watcher sees it arrive, but it never becomes stable (cameras create, then fill), so it is never checked. */
const emptyFile = (file: string) => fs.writeFileSync(file, '');

describe('a closed object with a file that never settles', () => {
  it('is judged completenessWaitSec after it closed, the unchecked file counted as missing; checked at last, it is linked and the verdict corrected', async () => {
    const s = await start(home({ expectedShots: 2, views: ['front', 'back'], idleTimeoutSec: 0, completenessWaitSec: 1 }));
    s.station.linker.scan('A-1');
    await writeGoodTiff(path.join(s.inbox, 'a.tif'), 1);
    await waitFor(() => filesUnder(s.library).length === 1, 'a.tif filed');
    emptyFile(path.join(s.inbox, 'empty.tif'));
    await waitFor(() => s.station.linker.barcodeFor('inbox', 'empty.tif') === 'A-1', 'empty.tif placed in A-1');
    expect(s.station.linker.scan('%%END%%')).toMatchObject({ closed: { barcode: 'A-1', shots: 2 }, alarms: [] });

    await waitFor(() => s.alarms.length > 0, 'the completeness alarm');
    expect(s.alarms).toEqual([
      'Object A-1 is incomplete: 1 of 2 views (missing back). empty.tif is still not checked 1 s after the object closed and counted as missing; the station says so if this changes when checking ends.',
    ]);
    expect(s.station.linker.links.unjudgedObjects()).toEqual([]);

    await writeGoodTiff(path.join(s.inbox, 'empty.tif'), 2);
    await waitFor(() => filesUnder(s.library).length === 2, 'the late file filed');
    expect(filesUnder(s.library)).toEqual(['A-1_01.tif', 'A-1_02.tif']);
    expect(s.alarms.slice(1)).toEqual(['Object A-1 is complete after all: empty.tif finished checking after the object was judged.']);
    // The late file's History timeline has its object's alarms, the one raised before it was recorded first.
    const late = s.station.store.list({ limit: 10 }).find((c) => c.relPath === 'empty.tif')!.id;
    const timeline = s.station.store.detail(late)!.events.map((e) => e.type);
    expect(timeline.slice(0, 3)).toEqual(['object.incomplete', 'capture.recorded', 'capture.linked']);
    expect(timeline).toContain('alarm');
  });

  it('an object the station stopped before judging is judged at the next start, once; so is one it left open', async () => {
    const h = home({ expectedShots: 2, views: ['front', 'back'], completenessWaitSec: 3600 });
    let s = await start(h);
    s.station.linker.scan('A-1');
    await writeGoodTiff(path.join(s.inbox, 'a.tif'), 3);
    await waitFor(() => filesUnder(s.library).length === 1, 'a.tif filed');
    emptyFile(path.join(s.inbox, 'empty.tif'));
    await waitFor(() => s.station.linker.barcodeFor('inbox', 'empty.tif') === 'A-1', 'empty.tif placed in A-1');
    s.station.linker.scan('B-1');
    expect(s.station.linker.links.unjudgedObjects()).toMatchObject([{ object: { barcode: 'A-1' }, files: ['empty.tif'] }]);
    await stop(s.station);
    expect(s.alarms).toEqual([]);

    s = await start(h);
    expect(s.alarms).toEqual([
      'Object B-1 is incomplete: 0 of 2 views (missing front, back); it was open when the station stopped; scan it again to add shots.',
      'Object A-1 is incomplete: 1 of 2 views (missing back); empty.tif was still being checked when the station stopped and is counted as missing (link it with a relink if it belongs to it).',
    ]);
    expect(s.station.linker.links.unjudgedObjects()).toEqual([]);
    await stop(s.station);

    s = await start(h);
    expect(s.alarms).toEqual([]);
  });
});

describe('an object scanned by mistake', () => {
  it('closed with no shot by the next scan raises no alarm, only an info line; one whose only shot was undone still alarms', async () => {
    const s = await start(home({ expectedShots: 2, views: ['front', 'back'], idleTimeoutSec: 0 }));
    const records: LogRecord[] = [];
    const removeSink = addLogSink((r) => records.push(r));
    try {
      s.station.linker.scan('WRONG-1');
      expect(s.station.linker.scan('A-1')).toMatchObject({ closed: { barcode: 'WRONG-1', shots: 0 }, alarms: [] });
    } finally {
      removeSink();
    }
    expect(records.filter((r) => r.module === 'linking' && r.message.includes('WRONG-1'))).toEqual([
      expect.objectContaining({ level: 'info', message: 'object WRONG-1 was closed with no shots (scanned by mistake?): no completeness alarm for it' }),
    ]);

    await writeGoodTiff(path.join(s.inbox, 'a.tif'), 1);
    await waitFor(() => filesUnder(s.library).length === 1, 'a.tif filed');
    expect(s.station.linker.scan('%%UNDO%%')).toMatchObject({ alarms: [] });
    expect(s.station.linker.scan('B-1').alarms).toEqual(['Object A-1 is incomplete: 0 of 2 views (missing front, back).']);
    expect(s.alarms).not.toContainEqual(expect.stringContaining('WRONG-1'));
  });
});

describe('a barcode scanned again', () => {
  it('counts the shots it really has: a shot relinked away leaves a gap, not a shot', async () => {
    const s = await start(home({ expectedShots: 3, views: ['front', 'back', 'label'] }));
    const client = createLocalClient(createHandlers(s.station));
    s.station.linker.scan('OBJ-1');
    for (const [i, name] of ['s1.tif', 's2.tif', 's3.tif'].entries()) {
      await writeGoodTiff(path.join(s.inbox, name), 10 + i);
      await waitFor(() => filesUnder(s.library).length === i + 1, `${name} filed`);
    }
    expect(s.station.linker.scan('%%END%%')).toMatchObject({ closed: { barcode: 'OBJ-1', shots: 3 }, alarms: [] });
    const s2 = s.station.store.list({ limit: 10 }).find((c) => c.relPath === 's2.tif')!.id;
    expect(await client.relinkCaptures({ captureIds: [s2], barcode: 'OBJ-2' })).toMatchObject({ result: { kind: 'relink' } });

    // OBJ-1 keeps shots 1 and 3; its next shot is 4, and it has two, not three.
    expect(s.station.linker.scan('OBJ-1')).toMatchObject({ current: { barcode: 'OBJ-1', shots: 2 } });
    const ended = s.station.linker.scan('%%END%%');
    expect(ended).toMatchObject({ closed: { barcode: 'OBJ-1', shots: 2 } });
    expect(ended.alarms).toEqual(['Object OBJ-1 is incomplete: 2 of 3 views (missing back).']);

    s.station.linker.scan('OBJ-1');
    await writeGoodTiff(path.join(s.inbox, 's4.tif'), 20);
    await waitFor(() => filesUnder(s.library).length === 4, 's4.tif filed');
    expect(filesUnder(s.library)).toEqual(['OBJ-1_01.tif', 'OBJ-1_03.tif', 'OBJ-1_04.tif', 'OBJ-2_01.tif']);
    // Three shots now, yet the back view's number is still a gap.
    expect(s.station.linker.scan('%%END%%').alarms).toEqual(['Object OBJ-1 is incomplete: 3 shots but no back view.']);
  });
});

describe('the object open on the rig after a linking edit', () => {
  const template = '{barcode}/{barcode}_{seq:03}_{view}{ext}';
  const shots = (s: Awaited<ReturnType<typeof start>>) => s.station.store.list({ limit: 10 });
  /** OBJ-A scanned, shot twice (s1.tif, s2.tif, both filed) and ended; a client for the edits. */
  const objectAShot = async (s: Awaited<ReturnType<typeof start>>) => {
    s.station.linker.scan('OBJ-A');
    for (const [i, name] of ['s1.tif', 's2.tif'].entries()) {
      await writeGoodTiff(path.join(s.inbox, name), 10 + i);
      await waitFor(() => filesUnder(s.library).length === i + 1, `${name} filed`);
    }
    s.station.linker.scan('%%END%%');
    return createLocalClient(createHandlers(s.station));
  };

  it('counts, numbers and judges as the database says after a relink is undone', async () => {
    const s = await start(home({ template, expectedShots: 2, views: ['front', 'back'] }));
    const client = await objectAShot(s);
    const s2 = shots(s).find((c) => c.relPath === 's2.tif')!.id;
    await client.relinkCaptures({ captureIds: [s2], barcode: 'OBJ-B' });
    expect(s.station.linker.scan('OBJ-B')).toMatchObject({ current: { barcode: 'OBJ-B', shots: 1 } });
    // Shot 2 goes back to OBJ-A: OBJ-B, open on the rig, has nothing.
    await client.undoLinkEdit({});
    expect(Object.values(s.station.linker.current())).toEqual([{ barcode: 'OBJ-B', shots: 0 }]);
    await writeGoodTiff(path.join(s.inbox, 's3.tif'), 30);
    await waitFor(() => filesUnder(s.library).length === 3, 's3.tif filed');
    const ended = s.station.linker.scan('%%END%%');
    expect(ended).toMatchObject({ closed: { barcode: 'OBJ-B', shots: 1 } });
    expect(ended.alarms).toEqual(['Object OBJ-B is incomplete: 1 of 2 views (missing back).']);
    expect(filesUnder(s.library)).toEqual(['OBJ-A/OBJ-A_001_front.tif', 'OBJ-A/OBJ-A_002_back.tif', 'OBJ-B/OBJ-B_001_front.tif']);
  });

  it('a barcode scanned again whose last shot is relinked away: the next shot takes its number and view', async () => {
    const s = await start(home({ template, expectedShots: 2, views: ['front', 'back'] }));
    const client = await objectAShot(s);
    expect(s.station.linker.scan('OBJ-A')).toMatchObject({ current: { barcode: 'OBJ-A', shots: 2 } });
    await client.relinkCaptures({ captureIds: [shots(s).find((c) => c.relPath === 's2.tif')!.id], barcode: 'OBJ-C' });
    expect(Object.values(s.station.linker.current())).toEqual([{ barcode: 'OBJ-A', shots: 1 }]);
    await writeGoodTiff(path.join(s.inbox, 's3.tif'), 30);
    await waitFor(() => filesUnder(s.library).length === 3, 's3.tif filed');
    expect(s.station.linker.scan('%%END%%')).toMatchObject({ closed: { barcode: 'OBJ-A', shots: 2 }, alarms: [] });
    expect(filesUnder(s.library)).toEqual(['OBJ-A/OBJ-A_001_front.tif', 'OBJ-A/OBJ-A_002_back.tif', 'OBJ-C/OBJ-C_001_front.tif']);
    expect(s.station.linker.links.linkOf(shots(s).find((c) => c.relPath === 's3.tif')!.id)).toMatchObject({ barcode: 'OBJ-A', seq: 2, view: 'back' });
  });
});

describe('scan after capture: a wait for a barcode that expired', () => {
  it('alarms once, ever: after a restart the shot neither waits nor alarms again, and neither does a file found at the last start', async () => {
    const h = home({ mode: 'scan-after-capture', idleTimeoutSec: 1 });
    let s = await start(h);
    await writeGoodTiff(path.join(s.inbox, 'B1.tif'), 30);
    await waitFor(() => s.alarms.length > 0 && s.station.store.counts().total === 1, 'the waiting shot expired and B1 recorded');
    expect(s.alarms).toEqual(['No barcode was scanned within 1 s of the last shot: B1.tif is not linked; link them with a relink, or shoot them again and scan.']);
    const b1 = s.station.store.list({ limit: 10 }).find((c) => c.relPath === 'B1.tif')!.id;
    await stop(s.station);
    await writeGoodTiff(path.join(s.inbox, 'E1.tif'), 31);

    s = await start(h);
    await waitFor(() => s.station.store.counts().total === 2, 'E1 recorded');
    expect(s.alarms).toEqual(['E1.tif was written while the station was not watching: it does not join the next scan; link it with a relink once it is checked.']);
    await stop(s.station);

    s = await start(h);
    expect(s.station.linker.scan('C-1').alarms).toEqual(['C-1 was scanned, but no new capture is waiting for a barcode: shoot the object first, then scan.']);
    expect(s.alarms).toEqual([]);
    const notLinked = s.station.store.detail(b1)!.events.filter((e) => e.type === 'capture.not-linked');
    expect(notLinked.map((e) => e.data)).toEqual([{ reason: 'no barcode scanned in time' }]);
    const e1 = s.station.store.list({ limit: 10 }).find((c) => c.relPath === 'E1.tif')!.id;
    expect(s.station.store.detail(e1)!.events.filter((e) => e.type === 'capture.not-linked').map((e) => e.data)).toEqual([{ reason: 'written while the station was not watching' }]);
    expect(filesUnder(s.library)).toEqual([]);
  });

  it("shows the alarm in the timeline of a file it named while that file was still being checked, and not in a later version's", async () => {
    const s = await start(home({ mode: 'scan-after-capture', idleTimeoutSec: 1 }));
    emptyFile(path.join(s.inbox, 'B1.tif'));
    await waitFor(() => s.alarms.length > 0, 'the wait for a barcode expired');
    const said = 'No barcode was scanned within 1 s of the last shot: B1.tif is not linked; link them with a relink, or shoot them again and scan.';
    expect(s.alarms).toEqual([said]);
    await writeGoodTiff(path.join(s.inbox, 'B1.tif'), 32);
    await waitFor(() => s.station.store.counts().total === 1, 'B1 recorded');
    const b1 = s.station.store.list({ limit: 10 })[0]!.id;
    const timeline = s.station.store.detail(b1)!.events;
    // In time order: the alarm came before the file was recorded.
    expect(timeline.map((e) => e.type)).toEqual(['alarm', 'capture.recorded', 'capture.not-linked']);
    expect(timeline[0]!.data).toMatchObject({ message: said, unchecked: ['B1.tif'] });

    // B1.tif written again (a re-shot under the same name) is a capture of its own, not named by that alarm.
    await writeGoodTiff(path.join(s.inbox, 'B1.tif'), 33);
    await waitFor(() => s.station.store.counts().total === 2, 'the new B1 recorded');
    const again = s.station.store.list({ limit: 10 }).find((c) => c.id !== b1)!.id;
    expect(s.station.store.detail(again)!.events.filter((e) => e.data !== null && (e.data as { message?: string }).message === said)).toEqual([]);
    expect(s.station.store.detail(b1)!.events[0]!.type).toBe('alarm');
  });
});

describe('views and shots expected per source', () => {
  it('a source that sets its own views and shot count names and judges its objects by them; the others by linking.*', async () => {
    const h = makeHome({
      ingest: { stableWindowMs: 200, rescanIntervalSec: 0 },
      sources: [{ id: 'sheets', path: 'Sheets' }, { id: 'insects', path: 'Insects', views: ['dorsal', 'lateral', 'label'], expectedShots: 3 }],
      linking: { enabled: true, template: '{barcode}_{seq:02}_{view}{ext}', views: ['front', 'back'], expectedShots: 2, idleTimeoutSec: 0 },
    });
    homes.push(h);
    for (const dir of ['Sheets', 'Insects']) fs.mkdirSync(path.join(h, dir));
    const s = await start(h);
    expect(s.station.status().sources.map((x) => [x.id, x.views, x.expectedShots])).toEqual([
      ['sheets', ['front', 'back'], 2],
      ['insects', ['dorsal', 'lateral', 'label'], 3],
    ]);
    s.station.linker.scan('I-1', 'insects');
    s.station.linker.scan('S-1', 'sheets');
    await writeGoodTiff(path.join(h, 'Insects', 'i1.tif'), 1);
    await writeGoodTiff(path.join(h, 'Sheets', 's1.tif'), 2);
    await waitFor(() => filesUnder(s.library).length === 2, 'both filed');
    expect(filesUnder(s.library).map((f) => path.basename(f)).sort()).toEqual(['I-1_01_dorsal.tif', 'S-1_01_front.tif']);
    s.station.linker.scan('%%END%%', 'insects');
    s.station.linker.scan('%%END%%', 'sheets');
    await waitFor(() => s.alarms.length === 2, 'two completeness alarms');
    expect(s.alarms.sort()).toEqual([expect.stringMatching(/^Object I-1 is incomplete: 1 of 3 views \(missing lateral, label\)/), expect.stringMatching(/^Object S-1 is incomplete: 1 of 2 views \(missing back\)/)]);

    // Relinked, a shot stays with the rig that shot it (an object of the new barcode there), and takes that rig's view for its new number.
    const insect = s.station.store.list({ limit: 10 }).find((c) => c.relPath === 'i1.tif')!.id;
    await s.station.linker.editor.relinkCaptures([insect], 'S-1');
    await s.station.linker.settled();
    expect(s.station.linker.links.linkOf(insect)).toMatchObject({ barcode: 'S-1', seq: 2, view: 'lateral' });
  });
});
