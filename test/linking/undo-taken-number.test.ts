/**
 * An undo after the open object gave a vacated number to a new shot: the capture it puts back never
 * shares that number with the other exposure; it comes back after the object's last shot, and says so.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { linkingStation, stopLinkingStations } from '../helpers/linking-station.js';
import { filesUnder } from '../helpers/station-home.js';

afterEach(stopLinkingStations);

const linking = { views: ['front', 'back'], expectedShots: 2, template: '{barcode}/{barcode}_{seq:03}_{view}{ext}' };

describe('undo after the vacated number went to a new shot', () => {
  it('a split undone puts the shot back after the object\'s last shot; UNDO on the rig then takes only it', async () => {
    const { station, client, library, shoot } = await linkingStation(linking);
    await client.scanBarcode({ code: 'F' });
    const f1 = await shoot('f1.tif', 1);
    const f2 = await shoot('f2.tif', 2);
    await client.splitObject({ objectId: station.linker.links.linkOf(f1)!.objectId, fromSeq: 2, barcode: 'G' });
    const f3 = await shoot('f3.tif', 3);
    expect(station.linker.links.linkOf(f3)).toMatchObject({ barcode: 'F', seq: 2, view: 'back' });

    const undone = await client.undoLinkEdit({});
    expect(undone).toMatchObject({ result: { kind: 'split', message: expect.stringContaining('f2.tif came back as shot 3 of F: shot 2 has been taken by f3.tif since') } });
    expect(station.linker.links.linkOf(f2)).toMatchObject({ barcode: 'F', seq: 3, view: null });
    expect(station.linker.links.linkOf(f3)).toMatchObject({ barcode: 'F', seq: 2, view: 'back' });
    expect(filesUnder(library)).toEqual(['F/F_001_front.tif', 'F/F_002_back.tif', 'F/F_003_.tif']);
    const logged = station.store.detail(f2)!.events.filter((e) => e.type === 'capture.relinked').at(-1);
    expect(logged).toMatchObject({ data: expect.objectContaining({ why: 'undo', barcode: 'F', seq: 3 }) });
    expect(station.linker.current()).toEqual({ inbox: { barcode: 'F', shots: 3 } });

    await client.scanBarcode({ code: '%%UNDO%%' });
    await station.linker.settled();
    expect(station.linker.links.linkOf(f2)).toBeNull();
    expect(station.linker.links.linkOf(f3)).toMatchObject({ barcode: 'F', seq: 2 });
    expect(filesUnder(library)).toEqual(['F/F_001_front.tif', 'F/F_002_back.tif', '_reshoot/F/f2.tif']);
  });

  it('a relink undone after the object was scanned again and shot: the two exposures keep two numbers, and a re-shoot flag takes one', async () => {
    const { station, client, library, shoot } = await linkingStation(linking);
    await client.scanBarcode({ code: 'A' });
    await shoot('a1.tif', 1);
    const a2 = await shoot('a2.tif', 2);
    await client.scanBarcode({ code: '%%END%%' });
    await client.relinkCaptures({ captureIds: [a2], barcode: 'B' });
    await client.scanBarcode({ code: 'A' });
    const a3 = await shoot('a3.tif', 3);
    expect(station.linker.links.linkOf(a3)).toMatchObject({ barcode: 'A', seq: 2 });

    expect(await client.undoLinkEdit({})).toMatchObject({ result: { message: expect.stringContaining('a2.tif came back as shot 3 of A: shot 2 has been taken by a3.tif since') } });
    expect(station.linker.links.linkOf(a2)).toMatchObject({ barcode: 'A', seq: 3 });
    expect(filesUnder(library)).toEqual(['A/A_001_front.tif', 'A/A_002_back.tif', 'A/A_003_.tif']);

    await client.setReshoot({ captureId: a3, reshoot: true });
    expect(station.linker.links.flaggedForReshoot(a2)).toBe(false);
    expect(filesUnder(library)).toEqual(['A/A_001_front.tif', 'A/A_003_.tif', '_reshoot/A/a3.tif']);
  });
});
