/**
 * "Mark for re-shoot" (setReshoot) sets a filed shot aside as the UNDO control code does — all its
 * files, to _reshoot/<barcode>/<original name> — while it stays linked; clearing the flag, or undoing
 * the edit, files it under its names again. Every step is a logged edit.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import { Station } from '../../src/station/station.js';
import { writeGoodTiff } from '../helpers/images.js';
import { linkingStation, stopLinkingStations } from '../helpers/linking-station.js';
import { filesUnder, waitFor } from '../helpers/station-home.js';

afterEach(stopLinkingStations);

/** Object A: shot 1 (s1.tif) and shot 2 (s2.tif + s2.jpg), filed. */
async function objectWithPair() {
  const s = await linkingStation();
  await s.client.scanBarcode({ code: 'A' });
  await s.shoot('s1.tif', 1);
  await s.shoot('s2.tif', 2);
  await writeGoodTiff(path.join(s.inbox, 's2.jpg'), 3);
  await waitFor(() => filesUnder(s.library).length === 3, 's2.jpg filed');
  await s.station.linker.settled();
  expect(filesUnder(s.library)).toEqual(['A/001.tif', 'A/002.jpg', 'A/002.tif']);
  return s;
}

const flagged = (station: Station, id: number) => station.store.detail(id)!.reshoot;

describe('setReshoot', () => {
  it('sets the whole shot aside under _reshoot/<barcode>/ like UNDO, keeps it linked, and its undo files it again', async () => {
    const { station, client, library, id } = await objectWithPair();
    const [tif, jpg] = [id('s2.tif'), id('s2.jpg')];

    expect(await client.setReshoot({ captureId: tif, reshoot: true })).toMatchObject({ result: { kind: 'reshoot', captureIds: expect.arrayContaining([tif, jpg]) } });
    expect(filesUnder(library)).toEqual(['A/001.tif', '_reshoot/A/s2.jpg', '_reshoot/A/s2.tif']);
    expect(station.store.get(jpg)!.path).toBe(path.join(library, '_reshoot/A/s2.jpg'));
    expect([flagged(station, tif), flagged(station, jpg)]).toEqual([true, true]);
    // Unlike UNDO, the shot keeps its object and number: marking it is a judgement, not a wrong link.
    expect(station.linker.links.linkOf(jpg)).toMatchObject({ barcode: 'A', seq: 2 });
    expect(station.store.detail(jpg)!.events.slice(-2)).toMatchObject([
      { type: 'capture.relinked', data: { why: 'reshoot', barcode: 'A', seq: 2 } },
      { type: 'capture.filed', data: { to: path.join(library, '_reshoot/A/s2.jpg') } },
    ]);
    expect(await client.lastLinkEdit({})).toMatchObject({ result: { summary: 'flag s2.tif, s2.jpg for re-shoot' } });

    expect(await client.undoLinkEdit({})).toMatchObject({ result: { message: 'Undid "flag s2.tif, s2.jpg for re-shoot": s2.tif, s2.jpg are no longer flagged for re-shoot.' } });
    expect(filesUnder(library)).toEqual(['A/001.tif', 'A/002.jpg', 'A/002.tif']);
    expect([flagged(station, tif), flagged(station, jpg)]).toEqual([false, false]);
  });

  it('clearing the flag files the shot under its names again; a flagged shot stays aside through a rename of its object and a restart', async () => {
    const { station, client, library, id } = await objectWithPair();
    await client.setReshoot({ captureId: id('s2.jpg'), reshoot: true });
    expect(filesUnder(library)).toEqual(['A/001.tif', '_reshoot/A/s2.jpg', '_reshoot/A/s2.tif']);

    await client.relinkObject({ objectId: station.linker.links.linkOf(id('s1.tif'))!.objectId, barcode: 'B' });
    expect(filesUnder(library)).toEqual(['B/001.tif', '_reshoot/B/s2.jpg', '_reshoot/B/s2.tif']);

    const config = station.config;
    const tif = id('s2.tif');
    await station.stop();
    const again = new Station(loadConfig({ home: config.locations.home! }));
    try {
      await again.start();
      await again.linker.settled();
      expect(filesUnder(library)).toEqual(['B/001.tif', '_reshoot/B/s2.jpg', '_reshoot/B/s2.tif']);
      await again.linker.editor.setReshoot(tif, false);
      expect(filesUnder(library)).toEqual(['B/001.tif', 'B/002.jpg', 'B/002.tif']);
    } finally {
      await again.stop();
    }
  });

  it('a filed file that cannot be set aside leaves the shot as it was', async () => {
    const { station, client, library, id } = await objectWithPair();
    // A file where the barcode's re-shoot folder must go: the move fails.
    fs.mkdirSync(path.join(library, '_reshoot'));
    fs.writeFileSync(path.join(library, '_reshoot', 'A'), 'in the way');
    expect(await client.setReshoot({ captureId: id('s2.tif'), reshoot: true })).toMatchObject({ error: { code: 'FILE_UNREADABLE' } });
    expect(filesUnder(library)).toEqual(['A/001.tif', 'A/002.jpg', 'A/002.tif', '_reshoot/A']);
    expect([flagged(station, id('s2.tif')), flagged(station, id('s2.jpg'))]).toEqual([false, false]);
  });
});
