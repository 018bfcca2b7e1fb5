/**
 * An undo that puts back several shots after a vacated number went to a new shot: each shot an undo
 * renumbers holds its new number against the ones put back after it, so no two exposures ever share
 * a number, and the answer and the log say every renumbering. A rejected object's shots have no
 * number that counts (they are set aside under their own names): they come back as they were.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { linkingStation, stopLinkingStations } from '../helpers/linking-station.js';
import { filesUnder } from '../helpers/station-home.js';

afterEach(stopLinkingStations);

const linking = { views: ['front', 'back', 'label'], expectedShots: 3, template: '{barcode}/{barcode}_{seq:03}_{view}{ext}' };

describe('an undo putting back several shots after their first number was taken', () => {
  it('a split of two shots undone: they come back as shots 3 and 4, in their order, and both renumberings are said', async () => {
    const { station, client, library, shoot } = await linkingStation(linking);
    const links = station.linker.links;
    await client.scanBarcode({ code: 'F' });
    const f1 = await shoot('f1.tif', 1);
    const f2 = await shoot('f2.tif', 2);
    const f3 = await shoot('f3.tif', 3);
    await client.splitObject({ objectId: links.linkOf(f1)!.objectId, fromSeq: 2, barcode: 'G' });
    const f4 = await shoot('f4.tif', 4);
    expect(links.linkOf(f4)).toMatchObject({ barcode: 'F', seq: 2 });

    const undone = await client.undoLinkEdit({});
    expect(undone).toMatchObject({
      result: {
        kind: 'split',
        message:
          'Undid "split f2.tif, f3.tif off F → G": f2.tif is shot 3 of F; f3.tif is shot 4 of F ' +
          '(f2.tif came back as shot 3 of F: shot 2 has been taken by f4.tif since; f3.tif came back as shot 4 of F: shot 3 went to f2.tif in this undo).',
      },
    });
    await station.linker.settled();
    expect(links.linkOf(f2)).toMatchObject({ barcode: 'F', seq: 3, view: 'label' });
    expect(links.linkOf(f3)).toMatchObject({ barcode: 'F', seq: 4, view: null });
    expect(filesUnder(library)).toEqual(['F/F_001_front.tif', 'F/F_002_back.tif', 'F/F_003_label.tif', 'F/F_004_.tif']);
    expect(new Set([f1, f2, f3, f4].map((id) => links.linkOf(id)!.seq)).size).toBe(4);

    const undoEvent = station.store.detail(f3)!.events.filter((e) => e.type === 'capture.relinked').at(-1);
    expect(undoEvent).toMatchObject({ data: expect.objectContaining({ why: 'undo', barcode: 'F', seq: 4, takenBy: [f2] }) });
  });

  it('a split of three shots undone: each comes back one after the other, none sharing a number', async () => {
    const { station, client, library, shoot } = await linkingStation({ ...linking, expectedShots: 4 });
    const links = station.linker.links;
    await client.scanBarcode({ code: 'F' });
    const f1 = await shoot('f1.tif', 1);
    const f2 = await shoot('f2.tif', 2);
    const f3 = await shoot('f3.tif', 3);
    const f4 = await shoot('f4.tif', 4);
    await client.splitObject({ objectId: links.linkOf(f1)!.objectId, fromSeq: 2, barcode: 'G' });
    const f5 = await shoot('f5.tif', 5);
    const f6 = await shoot('f6.tif', 6);
    expect([links.linkOf(f5)!.seq, links.linkOf(f6)!.seq]).toEqual([2, 3]);

    const { result } = (await client.undoLinkEdit({})) as { result: { message: string } };
    expect(result.message).toContain('f2.tif came back as shot 4 of F: shot 2 has been taken by f5.tif since');
    expect(result.message).toContain('f3.tif came back as shot 5 of F: shot 3 has been taken by f6.tif since');
    expect(result.message).toContain('f4.tif came back as shot 6 of F: shot 4 went to f2.tif in this undo');
    await station.linker.settled();
    expect([f2, f3, f4].map((id) => links.linkOf(id)!.seq)).toEqual([4, 5, 6]);
    expect(new Set([f1, f2, f3, f4, f5, f6].map((id) => links.linkOf(id)!.seq)).size).toBe(6);
    expect(filesUnder(library)).toEqual(['F/F_001_front.tif', 'F/F_002_back.tif', 'F/F_003_label.tif', 'F/F_004_.tif', 'F/F_005_.tif', 'F/F_006_.tif']);

    const undoEvents = [f2, f3, f4].map((id) => station.store.detail(id)!.events.filter((e) => e.type === 'capture.relinked').at(-1)!.data);
    expect(undoEvents).toMatchObject([
      { why: 'undo', seq: 4, takenBy: [f5] },
      { why: 'undo', seq: 5, takenBy: [f6] },
      { why: 'undo', seq: 6, takenBy: [f2] },
    ]);
  });
});

describe('an undo putting a shot back into a rejected object', () => {
  it('brings it back set aside as it was, not renumbered, though the barcode shot anew has used its number', async () => {
    const { station, client, library, shoot } = await linkingStation();
    const links = station.linker.links;
    await client.scanBarcode({ code: 'R' });
    const r1 = await shoot('r1.tif', 1);
    const r2 = await shoot('r2.tif', 2);
    await client.scanBarcode({ code: '%%REJECT%%' });
    await station.linker.settled();
    const rejected = links.linkOf(r1)!.objectId;
    await client.relinkCaptures({ captureIds: [r2], barcode: 'N' });
    // R shot anew: a rejected object's numbers are free again, so its shots take 1 and 2.
    await client.scanBarcode({ code: 'R' });
    await shoot('n1.tif', 3);
    const n2 = await shoot('n2.tif', 4);
    expect(links.linkOf(n2)).toMatchObject({ barcode: 'R', seq: 2 });

    const undone = await client.undoLinkEdit({});
    expect(undone).toMatchObject({ result: { message: 'Undid "relink r2.tif: R → N": r2.tif is back in rejected object R, set aside in _rejected/R.' } });
    await station.linker.settled();
    expect(links.linkOf(r2)).toMatchObject({ objectId: rejected, seq: 2 });
    expect(filesUnder(library)).toEqual(['R/001.tif', 'R/002.tif', '_rejected/R/r1.tif', '_rejected/R/r2.tif']);
    // Put back, not renumbered: no renumbering logged for it.
    expect(station.store.detail(r2)!.events.filter((e) => e.type === 'capture.relinked').map((e) => (e.data as { why: string }).why)).toEqual(['relink']);
  });

  it('one whose number a later shot of the object took before the REJECT: two exposures never share it, and no number is claimed in words', async () => {
    const { station, client, library, shoot } = await linkingStation();
    const links = station.linker.links;
    await client.scanBarcode({ code: 'R' });
    const r1 = await shoot('r1.tif', 1);
    const r2 = await shoot('r2.tif', 2);
    await client.relinkCaptures({ captureIds: [r2], barcode: 'N' });
    const r3 = await shoot('r3.tif', 3);
    expect(links.linkOf(r3)).toMatchObject({ barcode: 'R', seq: 2 });
    await client.scanBarcode({ code: '%%REJECT%%' });
    await station.linker.settled();

    const undone = await client.undoLinkEdit({});
    expect(undone).toMatchObject({ result: { message: 'Undid "relink r2.tif: R → N": r2.tif is back in rejected object R, set aside in _rejected/R.' } });
    await station.linker.settled();
    expect(new Set([r1, r2, r3].map((id) => links.linkOf(id)!.seq)).size).toBe(3);
    expect(filesUnder(library)).toEqual(['_rejected/R/r1.tif', '_rejected/R/r2.tif', '_rejected/R/r3.tif']);
  });
});
