/**
 * A link change commits first and renames its filed files afterwards. A station that stops in
 * between (simulated: the rename that follows the commit does nothing) puts each file where its
 * link says at the next start (linking/reconcile.ts), through the journaled move, and says so.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import { addLogSink, type LogRecord } from '../../src/log/logger.js';
import { Station } from '../../src/station/station.js';
import { imageLinkStation, sheetCodes } from '../helpers/image-link-station.js';
import { linkingStation, stopLinkingStations } from '../helpers/linking-station.js';
import { filesUnder } from '../helpers/station-home.js';

const cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn();
  await stopLinkingStations();
});

/** The station "dies" after its link changes commit: the renames queued after them never run. */
function renamesNeverRun(station: Station): void {
  Object.assign(station.linker, { refile: () => undefined });
  Object.assign(station.linker.editor, { renameFiled: () => Promise.resolve([]) });
}

/** Stops `station` and starts a new one on its home; returns it once the start's moves are done, with its log. */
async function restart(station: Station): Promise<{ station: Station; log: LogRecord[] }> {
  await station.stop();
  const log: LogRecord[] = [];
  const removeSink = addLogSink((r) => log.push(r));
  const again = new Station(loadConfig({ home: station.config.locations.home! }));
  cleanup.push(() => again.stop());
  try {
    await again.start();
    await again.linker.settled();
  } finally {
    removeSink();
  }
  return { station: again, log };
}

const recovered = (log: LogRecord[]) => log.filter((r) => r.module === 'linking.reconcile' && r.message.startsWith('recovered at start'));
const eventsOf = (station: Station, id: number, type: string) => station.store.detail(id)!.events.filter((e) => e.type === type);

describe('an object opened from an image that gave way, the station stopped before the RAW moved', () => {
  const { first, next, third } = sheetCodes;
  const start = () => imageLinkStation(cleanup);

  it('the RAW linked to the next sheet\'s object is filed under its name at the next start', async () => {
    const s = await start();
    await s.sheet('S1.tif', first, 1);
    const nef = await s.raw('S2.NEF');
    renamesNeverRun(s.station);
    await s.sheet('S2.tif', next, 2);
    expect(s.station.linker.links.linkOf(nef)).toMatchObject({ barcode: next, seq: 1 });
    expect(filesUnder(s.library)).toEqual([`${first}_001.tif`, `${first}_002.NEF`, `${next}_001.tif`]);

    const { station, log } = await restart(s.station);
    expect(filesUnder(s.library)).toEqual([`${first}_001.tif`, `${next}_001.NEF`, `${next}_001.tif`]);
    expect(station.store.get(nef)!.path).toBe(path.join(s.library, `${next}_001.NEF`));
    // The give-way took the RAW's filing back in its own transaction (so no upload carries the old
    // name): the start files it as a linked capture not yet filed, not as a recovered rename.
    expect(eventsOf(station, nef, 'capture.filed').at(-1)).toMatchObject({ data: { to: path.join(s.library, `${next}_001.NEF`) } });
    expect(recovered(log)).toHaveLength(0);
    expect(station.linker.links.relinkedFiled()).toEqual([]);
  });

  it('the RAW of a sheet showing several codes, linked to no object, goes back to the hot folder at the next start', async () => {
    const s = await start();
    await s.sheet('S6.tif', first, 1);
    const nef = await s.raw('S7.NEF');
    renamesNeverRun(s.station);
    await s.sheet('S7.tif', [next, third], 2);
    expect(s.station.linker.links.linkOf(nef)).toBeNull();
    expect(filesUnder(s.library)).toEqual([`${first}_001.tif`, `${first}_002.NEF`]);

    const { station, log } = await restart(s.station);
    expect(filesUnder(s.library)).toEqual([`${first}_001.tif`]);
    expect(filesUnder(s.inbox)).toEqual(['S7.NEF', 'S7.tif']);
    expect(station.store.get(nef)!.path).toBe(path.join(s.inbox, 'S7.NEF'));
    // Not filed any more: a relink files it like a new one.
    expect(station.linker.links.move(nef)).toBeNull();
    expect(recovered(log)).toHaveLength(1);
  });

  it('a file of the same name in the hot folder is neither overwritten nor deleted: the RAW goes to _unlinked, with one alarm, never under the old object\'s name', async () => {
    const s = await start();
    await s.sheet('S6.tif', first, 1);
    const nef = await s.raw('S7.NEF');
    renamesNeverRun(s.station);
    await s.sheet('S7.tif', [next, third], 2);
    await s.station.stop();
    fs.writeFileSync(path.join(s.inbox, 'S7.NEF'), 'another file');

    const { station } = await restart(s.station);
    const set = path.join(s.library, '_unlinked', 'inbox', 'S7.NEF');
    expect(filesUnder(s.library)).toEqual([`${first}_001.tif`, '_unlinked/inbox/S7.NEF']);
    expect(station.store.get(nef)!.path).toBe(set);
    expect(fs.readFileSync(path.join(s.inbox, 'S7.NEF'), 'utf8')).toBe('another file');
    expect(eventsOf(station, nef, 'alarm')).toHaveLength(1);
    expect(eventsOf(station, nef, 'alarm')[0]).toMatchObject({ data: { message: expect.stringMatching(/could not go back where it was found, as a different file has its name/) } });
    // Not filed any more (as the running station leaves it): no journal row, nothing to check again.
    expect(station.linker.links.move(nef)).toBeNull();

    const last = await restart(station);
    expect(last.station.store.get(nef)!.path).toBe(set);
    expect(eventsOf(last.station, nef, 'alarm')).toHaveLength(1);
  });

  it('an undo cut short for a RAW relinked from _unlinked puts it back in _unlinked, not in the hot folder', async () => {
    const s = await start();
    await s.sheet('S6.tif', first, 1);
    const nef = await s.raw('S7.NEF');
    renamesNeverRun(s.station);
    await s.sheet('S7.tif', [next, third], 2);
    await s.station.stop();
    fs.writeFileSync(path.join(s.inbox, 'S7.NEF'), 'another file');
    const { station } = await restart(s.station);
    const set = path.join(s.library, '_unlinked', 'inbox', 'S7.NEF');
    expect(station.store.get(nef)!.path).toBe(set);

    await station.linker.editor.relinkCaptures([nef], next);
    await station.linker.settled();
    expect(station.store.get(nef)!.path).toBe(path.join(s.library, `${next}_001.NEF`));
    renamesNeverRun(station);
    await station.linker.editor.undoLast();
    expect(station.linker.links.linkOf(nef)).toBeNull();

    const last = await restart(station);
    expect(last.station.store.get(nef)!.path).toBe(set);
    expect(fs.readFileSync(path.join(s.inbox, 'S7.NEF'), 'utf8')).toBe('another file');
    expect(recovered(last.log).some((r) => r.fields?.captureId === nef)).toBe(true);
  });
});

describe('a link edit, the station stopped before its files were renamed', () => {
  const linking = { views: ['front', 'back', 'label'], template: '{barcode}/{barcode}_{seq:03}_{view}{ext}' };

  it('a relink: the file takes its new name at the next start', async () => {
    const { station, client, library, shoot } = await linkingStation(linking);
    await client.scanBarcode({ code: 'A' });
    await shoot('a1.tif', 1);
    const a2 = await shoot('a2.tif', 2);
    renamesNeverRun(station);
    await client.relinkCaptures({ captureIds: [a2], barcode: 'B' });
    expect(filesUnder(library)).toEqual(['A/A_001_front.tif', 'A/A_002_back.tif']);

    const again = await restart(station);
    expect(filesUnder(library)).toEqual(['A/A_001_front.tif', 'B/B_001_front.tif']);
    expect(eventsOf(again.station, a2, 'capture.recovered')).toHaveLength(1);
    expect(recovered(again.log)).toHaveLength(1);
  });

  it('a split: the shots split off take the new object\'s names at the next start, the others stay', async () => {
    const { station, client, library, shoot } = await linkingStation(linking);
    await client.scanBarcode({ code: 'F' });
    const f1 = await shoot('f1.tif', 1);
    await shoot('f2.tif', 2);
    await shoot('f3.tif', 3);
    renamesNeverRun(station);
    await client.splitObject({ objectId: station.linker.links.linkOf(f1)!.objectId, fromSeq: 2, barcode: 'G' });
    expect(filesUnder(library)).toEqual(['F/F_001_front.tif', 'F/F_002_back.tif', 'F/F_003_label.tif']);

    const again = await restart(station);
    expect(filesUnder(library)).toEqual(['F/F_001_front.tif', 'G/G_001_front.tif', 'G/G_002_back.tif']);
    expect(recovered(again.log)).toHaveLength(2);
  });

  it('an undo: the files go back to the names of their old links at the next start', async () => {
    const { station, client, library, shoot } = await linkingStation(linking);
    await client.scanBarcode({ code: 'F' });
    const f1 = await shoot('f1.tif', 1);
    const f2 = await shoot('f2.tif', 2);
    await shoot('f3.tif', 3);
    await client.splitObject({ objectId: station.linker.links.linkOf(f1)!.objectId, fromSeq: 2, barcode: 'G' });
    expect(filesUnder(library)).toEqual(['F/F_001_front.tif', 'G/G_001_front.tif', 'G/G_002_back.tif']);
    renamesNeverRun(station);
    await client.undoLinkEdit({});
    expect(station.linker.links.linkOf(f2)).toMatchObject({ barcode: 'F', seq: 2 });
    expect(filesUnder(library)).toEqual(['F/F_001_front.tif', 'G/G_001_front.tif', 'G/G_002_back.tif']);

    const again = await restart(station);
    expect(filesUnder(library)).toEqual(['F/F_001_front.tif', 'F/F_002_back.tif', 'F/F_003_label.tif']);
    expect(again.station.store.get(f2)!.path).toBe(path.join(library, 'F/F_002_back.tif'));
    expect(recovered(again.log)).toHaveLength(2);
  });

  it('a rename of the object: its files take the new barcode\'s names at the next start', async () => {
    const { station, client, library, shoot } = await linkingStation(linking);
    await client.scanBarcode({ code: 'A' });
    const a1 = await shoot('a1.tif', 1);
    await shoot('a2.tif', 2);
    await client.scanBarcode({ code: '%%END%%' });
    renamesNeverRun(station);
    await client.relinkObject({ objectId: station.linker.links.linkOf(a1)!.objectId, barcode: 'C' });
    expect(filesUnder(library)).toEqual(['A/A_001_front.tif', 'A/A_002_back.tif']);

    const again = await restart(station);
    expect(filesUnder(library)).toEqual(['C/C_001_front.tif', 'C/C_002_back.tif']);
    expect(recovered(again.log)).toHaveLength(2);
  });

  it('UNDO scanned after the shot was filed: it is set aside for re-shoot at the next start', async () => {
    const { station, client, library, shoot } = await linkingStation(linking);
    await client.scanBarcode({ code: 'A' });
    await shoot('a1.tif', 1);
    const a2 = await shoot('a2.tif', 2);
    Object.assign(station.linker, { file: () => Promise.resolve() });
    await client.scanBarcode({ code: '%%UNDO%%' });
    await station.linker.settled();
    expect(station.linker.links.linkOf(a2)).toBeNull();
    expect(filesUnder(library)).toEqual(['A/A_001_front.tif', 'A/A_002_back.tif']);

    const again = await restart(station);
    expect(filesUnder(library)).toEqual(['A/A_001_front.tif', '_reshoot/A/a2.tif']);
    expect(recovered(again.log)).toHaveLength(1);
  });

  it('a start with nothing interrupted moves nothing, and the next one checks nothing', async () => {
    const { station, client, library, shoot } = await linkingStation(linking);
    await client.scanBarcode({ code: 'A' });
    await shoot('a1.tif', 1);
    const a2 = await shoot('a2.tif', 2);
    await client.relinkCaptures({ captureIds: [a2], barcode: 'B' });
    // Renamed live: its mark is cleared with it.
    expect(station.linker.links.relinkedFiled()).toEqual([]);

    const again = await restart(station);
    expect(filesUnder(library)).toEqual(['A/A_001_front.tif', 'B/B_001_front.tif']);
    expect(recovered(again.log)).toEqual([]);
    expect(again.station.linker.links.relinkedFiled()).toEqual([]);
  });

  it('a file renamed live is not renamed again at the next start, even when the template changed meanwhile', async () => {
    const { station, client, library, shoot } = await linkingStation(linking);
    await client.scanBarcode({ code: 'A' });
    await shoot('a1.tif', 1);
    const a2 = await shoot('a2.tif', 2);
    await shoot('a3.tif', 3);
    await client.relinkCaptures({ captureIds: [a2], barcode: 'B' });
    await station.linker.settled();
    expect(filesUnder(library)).toEqual(['A/A_001_front.tif', 'A/A_003_label.tif', 'B/B_001_front.tif']);
    await station.stop();
    const home = station.config.locations.home!;
    const config = JSON.parse(fs.readFileSync(path.join(home, 'station.json'), 'utf8')) as { linking: { template: string } };
    config.linking.template = '{barcode}-{seq:03}{ext}';
    fs.writeFileSync(path.join(home, 'station.json'), JSON.stringify(config));

    const again = await restart(station);
    // Filed names stay as filed: a new template names new files only.
    expect(filesUnder(library)).toEqual(['A/A_001_front.tif', 'A/A_003_label.tif', 'B/B_001_front.tif']);
    expect(recovered(again.log)).toEqual([]);
  });
});
