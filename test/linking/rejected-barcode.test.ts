/**
 * A barcode whose object was REJECTed: the rejected object stays rejected, closed and as it was.
 * A shot relinked or split off to that barcode goes to a new object of it and is filed by the
 * template (not set aside with the rejected shots), a merge into the rejected object is refused
 * naming the rejection, a new scan opens a new object numbered as if the rejected shots were never
 * taken, and undo puts everything back exactly.
 */
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { linkingStation, stopLinkingStations } from '../helpers/linking-station.js';
import { filesUnder, waitFor } from '../helpers/station-home.js';

afterEach(stopLinkingStations);

describe('a barcode whose object was rejected', () => {
  it('keeps the rejected object closed; relink, split and a new scan use a new object, a merge into it is refused, and undo restores exactly', async () => {
    const { station, client, library, shoot } = await linkingStation();
    const links = station.linker.links;
    station.linker.scan('R');
    const r1 = await shoot('r1.tif', 1);
    expect(station.linker.scan('%%REJECT%%')).toMatchObject({ closed: { barcode: 'R', reason: 'rejected' } });
    await waitFor(() => filesUnder(library).includes('_rejected/R/r1.tif'), 'r1 set aside');
    const rejected = links.linkOf(r1)!.objectId;

    station.linker.scan('A');
    const a1 = await shoot('a1.tif', 2);
    station.linker.scan('%%END%%');
    await station.linker.settled();
    const objectA = links.linkOf(a1)!.objectId;
    const before = filesUnder(library);
    expect(before).toEqual(['A/001.tif', '_rejected/R/r1.tif']);
    const rejectedAsItWas = links.object(rejected);
    const unchanged = () => {
      expect(links.object(rejected)).toEqual(rejectedAsItWas);
      expect(links.capturesOf(rejected)).toEqual([r1]);
    };

    // Relink: a new object of R takes the shot, numbered from 1 (the rejected shot is no shot), and it is filed by the template.
    expect(await client.relinkCaptures({ captureIds: [a1], barcode: 'R' })).toMatchObject({ result: { kind: 'relink' } });
    const relinkedTo = links.linkOf(a1)!;
    expect(relinkedTo).toMatchObject({ barcode: 'R', seq: 1 });
    expect(relinkedTo.objectId).not.toBe(rejected);
    expect(links.object(relinkedTo.objectId)!.state).toBe('closed');
    expect(filesUnder(library)).toEqual(['R/001.tif', '_rejected/R/r1.tif']);
    unchanged();
    expect(await client.undoLinkEdit({})).toMatchObject({ result: { kind: 'relink', captureIds: [a1] } });
    expect(filesUnder(library)).toEqual(before);
    expect(links.linkOf(a1)).toMatchObject({ objectId: objectA, barcode: 'A', seq: 1 });
    expect(station.store.get(a1)!.path).toBe(path.join(library, 'A/001.tif'));
    unchanged();

    // Merge into the rejected object: refused, naming the rejection and what to do instead; nothing changes.
    const merged = await client.mergeObjects({ objectId: objectA, intoObjectId: rejected });
    expect(merged).toMatchObject({ error: { code: 'INVALID_ARGUMENT', message: expect.stringMatching(/^Object R \(\d+\) was rejected \(REJECT\): .*relink them to R: a new object of that barcode takes them\.$/) } });
    expect(filesUnder(library)).toEqual(before);
    expect(links.linkOf(a1)).toMatchObject({ objectId: objectA, seq: 1 });
    unchanged();

    // Split off to R: its own new object, filed by the template; undo puts it back.
    expect(await client.splitObject({ objectId: objectA, fromSeq: 1, barcode: 'R' })).toMatchObject({ result: { kind: 'split' } });
    expect(links.linkOf(a1)).toMatchObject({ barcode: 'R', seq: 1 });
    expect(links.linkOf(a1)!.objectId).not.toBe(rejected);
    expect(filesUnder(library)).toEqual(['R/001.tif', '_rejected/R/r1.tif']);
    unchanged();
    expect(await client.undoLinkEdit({})).toMatchObject({ result: { kind: 'split' } });
    expect(filesUnder(library)).toEqual(before);
    expect(links.linkOf(a1)).toMatchObject({ objectId: objectA, barcode: 'A', seq: 1 });
    unchanged();

    // Scanned again: a new object with no shots, whose first shot is R/001.
    expect(station.linker.scan('R')).toMatchObject({ current: { barcode: 'R', shots: 0 } });
    const r2 = await shoot('r2.tif', 3);
    expect(links.linkOf(r2)).toMatchObject({ barcode: 'R', seq: 1 });
    expect(links.linkOf(r2)!.objectId).not.toBe(rejected);
    expect(station.linker.scan('%%END%%')).toMatchObject({ closed: { barcode: 'R', shots: 1 }, alarms: [] });
    await station.linker.settled();
    expect(filesUnder(library)).toEqual(['A/001.tif', 'R/001.tif', '_rejected/R/r1.tif']);
    unchanged();
  });

  it("a rejected object's shots stay set aside through a rename of it, and come back there when a relink out of it is undone", async () => {
    const { station, client, library, shoot } = await linkingStation();
    const links = station.linker.links;
    station.linker.scan('R');
    const r1 = await shoot('r1.tif', 1);
    station.linker.scan('%%REJECT%%');
    await waitFor(() => filesUnder(library).includes('_rejected/R/r1.tif'), 'r1 set aside');
    const rejected = links.linkOf(r1)!.objectId;

    // Renamed (a misread label): still rejected, set aside under its new barcode; undo puts it back.
    expect(await client.relinkObject({ objectId: rejected, barcode: 'S' })).toMatchObject({ result: { kind: 'barcode' } });
    expect(filesUnder(library)).toEqual(['_rejected/S/r1.tif']);
    expect(links.object(rejected)!.state).toBe('rejected');
    expect(await client.undoLinkEdit({})).toMatchObject({ result: { kind: 'barcode' } });
    expect(filesUnder(library)).toEqual(['_rejected/R/r1.tif']);

    // Relinked out of it (the REJECT was wrong for this shot): filed by the template; undo sets it aside again.
    expect(await client.relinkCaptures({ captureIds: [r1], barcode: 'A' })).toMatchObject({ result: { kind: 'relink' } });
    expect(filesUnder(library)).toEqual(['A/001.tif']);
    expect(await client.undoLinkEdit({})).toMatchObject({ result: { kind: 'relink' } });
    expect(filesUnder(library)).toEqual(['_rejected/R/r1.tif']);
    expect(links.linkOf(r1)).toMatchObject({ objectId: rejected, barcode: 'R', seq: 1 });
    expect(station.store.get(r1)!.path).toBe(path.join(library, '_rejected/R/r1.tif'));
  });
});
