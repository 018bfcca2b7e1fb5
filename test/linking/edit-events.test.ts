/**
 * Every linking edit, its undo and a rolled-back edit tell the screens which captures moved
 * (`capture.changed`), once each capture's file is where its new link says, so a screen that
 * fetches it on the event shows its new object and name.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { writeGoodTiff } from '../helpers/images.js';
import { startInProcessStation, type InProcessStation } from '../helpers/in-process-station.js';
import { waitFor } from '../helpers/station-home.js';

const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn();
});

describe('capture.changed after linking edits', () => {
  it('is sent for each moved capture of a relink, split, merge, rename and undo, with its file already renamed', async () => {
    const s: InProcessStation = await startInProcessStation({ ingest: { stableWindowMs: 200, rescanIntervalSec: 0 }, linking: { enabled: true, imageBarcodes: false, template: '{barcode}_{seq:02}{ext}' } });
    cleanup.push(s.stop);
    const inbox = path.join(s.home, 'Inbox');
    fs.mkdirSync(inbox, { recursive: true });
    await s.client.scanBarcode({ code: 'A-1' });
    for (const [i, name] of ['a.tif', 'b.tif'].entries()) {
      await writeGoodTiff(path.join(inbox, name), i + 1);
      await waitFor(() => s.station.store.counts().total === i + 1, name);
    }
    await s.client.scanBarcode({ code: '%%END%%' });
    await s.station.linker.settled();
    const [b, a] = s.station.store.list({ limit: 2 }).map((c) => c.id) as [number, number];
    const objectA = s.station.linker.links.linkOf(a)!.objectId;

    /** The captures announced while `edit` ran, each with its path when it was announced. */
    const announced = async (edit: () => Promise<unknown>) => {
      const seen: [number, string][] = [];
      const off = s.station.on('capture.changed', ({ captureId }) => seen.push([captureId, path.basename(s.station.store.get(captureId)!.path)]));
      expect(await edit()).toHaveProperty('result');
      await s.station.linker.settled();
      off();
      return seen;
    };
    expect(await announced(() => s.client.relinkCaptures({ captureIds: [b], barcode: 'B-2' }))).toEqual([[b, 'B-2_01.tif']]);
    expect(await announced(() => s.client.undoLinkEdit({}))).toEqual([[b, 'A-1_02.tif']]);
    expect(await announced(() => s.client.splitObject({ objectId: objectA, fromSeq: 2, barcode: 'C-3' }))).toEqual([[b, 'C-3_01.tif']]);
    const objectC = s.station.linker.links.linkOf(b)!.objectId;
    expect(await announced(() => s.client.mergeObjects({ objectId: objectC, intoObjectId: objectA }))).toEqual([[b, 'A-1_02.tif']]);
    expect(await announced(() => s.client.relinkObject({ objectId: objectA, barcode: 'D-4' }))).toEqual([
      [a, 'D-4_01.tif'],
      [b, 'D-4_02.tif'],
    ]);
  });
});
