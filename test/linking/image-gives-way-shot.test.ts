/**
 * linkFromImage: an object opened from an image gives way to the next sheet with the whole shot of
 * the image that showed the other code. Its RAW, already recorded, linked and filed under the object
 * opened before, moves to the next sheet's object (or, when that image shows several codes, joins
 * none and goes back where it was found, for a relink that brings both files along).
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createLocalClient } from '../../src/contract/client.js';
import { loadConfig } from '../../src/config/load.js';
import { addLogSink, type LogRecord } from '../../src/log/logger.js';
import { createHandlers } from '../../src/station/handlers.js';
import { Station } from '../../src/station/station.js';
import { imageLinkStation, sheetCodes } from '../helpers/image-link-station.js';
import { labelled } from '../helpers/images.js';
import { corpus, filesUnder, waitFor } from '../helpers/station-home.js';

const cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn();
});

const { first, next, third } = sheetCodes;

async function start(more: Record<string, unknown> = {}) {
  const s = await imageLinkStation(cleanup, more);
  return { ...s, client: createLocalClient(createHandlers(s.station)) };
}

describe('an object opened from an image gives way with the whole shot', () => {
  it('the next sheet\'s RAW, filed under the object before, moves to the next sheet\'s object and is filed again', async () => {
    const s = await start();
    const { linker } = s.station;
    await s.sheet('S1.tif', first, 1);
    expect(linker.current()).toEqual({ inbox: { barcode: first, shots: 1 } });
    const nef = await s.raw('S2.NEF');
    expect(linker.links.linkOf(nef)).toMatchObject({ barcode: first, seq: 2 });
    expect(filesUnder(s.library)).toEqual([`${first}_001.tif`, `${first}_002.NEF`]);

    const jpeg = await s.sheet('S2.tif', next, 2);
    await s.station.linker.settled();
    expect(linker.links.linkOf(jpeg)).toMatchObject({ barcode: next, seq: 1 });
    expect(linker.links.linkOf(nef)).toMatchObject({ barcode: next, seq: 1, objectId: linker.links.linkOf(jpeg)!.objectId });
    expect(filesUnder(s.library)).toEqual([`${first}_001.tif`, `${next}_001.NEF`, `${next}_001.tif`]);
    expect(s.station.store.get(nef)!.path).toBe(path.join(s.library, `${next}_001.NEF`));
    expect(s.station.store.detail(nef)!.events).toContainEqual(expect.objectContaining({ type: 'capture.relinked', data: expect.objectContaining({ why: 'image gave way', from: first, barcode: next, seq: 1 }) }));
    expect(linker.current()).toEqual({ inbox: { barcode: next, shots: 1 } });
  });

  it('with several codes in the image, its RAW leaves the object too and goes back to the hot folder; a relink of the image brings it along', async () => {
    const s = await start();
    const { linker } = s.station;
    await s.sheet('S6.tif', first, 1);
    const dng = await s.raw('S7.NEF');
    expect(filesUnder(s.library)).toEqual([`${first}_001.tif`, `${first}_002.NEF`]);

    const records: LogRecord[] = [];
    const removeSink = addLogSink((r) => records.push(r));
    const two = await s.sheet('S7.tif', [next, third], 2).finally(removeSink);
    await linker.settled();
    expect(linker.links.linkOf(two)).toBeNull();
    expect(linker.links.linkOf(dng)).toBeNull();
    expect(linker.current()).toEqual({ inbox: null });
    expect(filesUnder(s.library)).toEqual([`${first}_001.tif`]);
    expect(filesUnder(s.inbox)).toEqual(['S7.NEF', 'S7.tif']);
    expect(s.station.store.detail(dng)!.events.findLast((e) => e.type === 'capture.filed')!.data).toEqual({ from: path.join(s.library, `${first}_002.NEF`), to: path.join(s.inbox, 'S7.NEF'), unfiled: 'put back in the hot folder, not linked' });
    const notLinked = records.filter((r) => r.module === 'linking' && r.level === 'warn' && r.message.startsWith('capture not linked'));
    expect(notLinked.length).toBe(2);
    for (const r of notLinked) {
      expect(r.message).toMatch(/image shows several valid barcodes/);
      // The command names the very capture the line is about, ready to run with its barcode.
      expect(r.message).toContain(`capture-station relink capture:${String(r.fields?.captureId)} --to BARCODE`);
      expect(r.message).not.toMatch(/no object was open/);
    }
    expect(notLinked.map((r) => Number(/relink capture:(\d+) /.exec(r.message)?.[1])).sort((a, b) => a - b)).toEqual([two, dng].sort((a, b) => a - b));

    expect(await s.client.relinkCaptures({ captureIds: [two], barcode: next })).toMatchObject({ result: { kind: 'link', captureIds: expect.arrayContaining([two, dng]) } });
    await linker.settled();
    expect(filesUnder(s.library)).toEqual([`${first}_001.tif`, `${next}_001.NEF`, `${next}_001.tif`]);
  });

  it('the RAW that moves is never queued or uploaded under the name of the object it left', async () => {
    const s = await start({ targets: [{ id: 'nas', kind: 'folder', path: 'share', mountCheck: false, when: 'all' }], upload: { probeIntervalSec: 0.2, backoff: { baseMs: 50, maxMs: 500 } } });
    const share = path.join(s.home, 'share');
    fs.mkdirSync(share);
    await s.sheet('S1.tif', first, 1);
    const nef = await s.raw('S2.NEF');
    await s.sheet('S2.tif', next, 2);
    s.station.linker.scan('%%END%%');
    await waitFor(() => s.station.uploader.status().targets[0]?.counts.done === 3, 'all three uploaded');
    expect(filesUnder(share).filter((f) => !path.basename(f).startsWith('.')).map((f) => path.basename(f))).toEqual([`${first}_001.tif`, `${next}_001.NEF`, `${next}_001.tif`]);
    const uploads = s.station.store.detail(nef)!.events.filter((e) => e.type.startsWith('upload.'));
    expect(uploads.map((e) => e.type)).toContain('upload.done');
    expect(uploads.filter((e) => JSON.stringify(e.data).includes(first))).toEqual([]);
  });

  it('every exposure taken after the image that showed the next code goes with it, RAWs too, each shot under one number', async () => {
    const s = await start();
    const { linker } = s.station;
    await s.sheet('S1.tif', first, 1);
    // The next sheet shot twice, all four files written before S2.tif is checked.
    const tmp = fs.mkdtempSync(path.join(s.home, 'tmp-'));
    await labelled(path.join(tmp, 'S2.tif'), next, 2);
    await labelled(path.join(tmp, 'S3.tif'), next, 3);
    fs.copyFileSync(path.join(corpus, 'raw/exiftool/Nikon.nef'), path.join(s.inbox, 'S2.NEF'));
    fs.renameSync(path.join(tmp, 'S2.tif'), path.join(s.inbox, 'S2.tif'));
    fs.writeFileSync(path.join(tmp, 'S3.NEF'), Buffer.concat([fs.readFileSync(path.join(corpus, 'raw/exiftool/Nikon.nef')), Buffer.from('other bytes')]));
    fs.renameSync(path.join(tmp, 'S3.NEF'), path.join(s.inbox, 'S3.NEF'));
    fs.renameSync(path.join(tmp, 'S3.tif'), path.join(s.inbox, 'S3.tif'));
    await waitFor(() => s.station.store.counts().total === 5, 'all recorded');
    await waitFor(() => filesUnder(s.inbox).length === 0, 'all filed');
    await linker.settled();
    const all = s.station.store.list({ limit: 100 });
    const linkOf = (rel: string) => linker.links.linkOf(all.find((c) => c.relPath === rel)!.id);
    // In arrival order when S2.tif is checked first; when S3.tif is (two checks run at once), S2's
    // shot follows it late and is numbered after it (image-gives-way-late.test.ts).
    const s2 = linkOf('S2.tif')?.seq;
    const s3 = s2 === 1 ? 2 : 1;
    expect(['S2.NEF', 'S2.tif', 'S3.NEF', 'S3.tif'].map((rel) => [rel, linkOf(rel)?.barcode, linkOf(rel)?.seq])).toEqual([
      ['S2.NEF', next, s2],
      ['S2.tif', next, s2],
      ['S3.NEF', next, s3],
      ['S3.tif', next, s3],
    ]);
    expect(all.filter((c) => c.verdict === 'fail' || linker.links.flaggedForReshoot(c.id)).map((c) => c.relPath)).toEqual([]);
    expect(filesUnder(s.library)).toEqual([`${first}_001.tif`, `${next}_001.NEF`, `${next}_001.tif`, `${next}_002.NEF`, `${next}_002.tif`]);
    expect(linker.current()).toEqual({ inbox: { barcode: next, shots: 2 } });
  });

  it('a RAW flagged for re-shoot moves to the next sheet\'s _reshoot folder, journaled, and is filed under it once the flag is cleared', async () => {
    const s = await start();
    const { linker } = s.station;
    await s.sheet('S1.tif', first, 1);
    const nef = await s.raw('S2.NEF');
    await s.client.setReshoot({ captureId: nef, reshoot: true });
    await linker.settled();
    expect(filesUnder(s.library)).toEqual([`${first}_001.tif`, `_reshoot/${first}/S2.NEF`]);

    await s.sheet('S2.tif', next, 2);
    await linker.settled();
    expect(linker.links.linkOf(nef)).toMatchObject({ barcode: next, seq: 1 });
    expect(filesUnder(s.library)).toEqual([`${first}_001.tif`, `${next}_001.tif`, `_reshoot/${next}/S2.NEF`]);
    expect(linker.links.move(nef)).toMatchObject({ state: 'done', toPath: path.join(s.library, '_reshoot', next, 'S2.NEF') });
    expect(s.station.store.get(nef)!.path).toBe(path.join(s.library, '_reshoot', next, 'S2.NEF'));

    await s.client.setReshoot({ captureId: nef, reshoot: false });
    await linker.settled();
    expect(filesUnder(s.library)).toEqual([`${first}_001.tif`, `${next}_001.NEF`, `${next}_001.tif`]);
  });

  it('a RAW whose name a different file took in the hot folder meanwhile is never put over it: it is set aside in _unlinked, with an alarm', async () => {
    const s = await start();
    const { linker } = s.station;
    await s.sheet('S6.tif', first, 1);
    const nef = await s.raw('S7.NEF');
    // Another file of that name is written as S7.tif gives way, before its RAW can go back.
    const other = Buffer.concat([fs.readFileSync(path.join(corpus, 'raw/exiftool/Nikon.nef')), Buffer.from('a new shot')]);
    const records: LogRecord[] = [];
    const removeSink = addLogSink((r) => {
      records.push(r);
      if (r.message.includes('was closed: the image of S7.tif shows')) fs.writeFileSync(path.join(s.inbox, 'S7.NEF'), other);
    });
    await s.sheet('S7.tif', [next, third], 2).finally(removeSink);
    await linker.settled();
    // The new file is a new version of S7.NEF, joining no object (none is open): it stays where it is.
    await waitFor(() => s.station.store.counts().total === 4, 'the new S7.NEF recorded');
    expect(fs.readFileSync(path.join(s.inbox, 'S7.NEF')).equals(other)).toBe(true);
    expect(s.station.store.get(nef)!.path).toBe(path.join(s.library, '_unlinked', 'inbox', 'S7.NEF'));
    expect(filesUnder(s.library)).toEqual([`${first}_001.tif`, '_unlinked/inbox/S7.NEF']);
    expect(linker.links.move(nef)).toBeNull();
    const events = s.station.store.detail(nef)!.events;
    expect(events.findLast((e) => e.type === 'capture.filed')!.data).toMatchObject({ to: path.join(s.library, '_unlinked', 'inbox', 'S7.NEF'), unfiled: expect.stringMatching(/^set aside in _unlinked: a different file has its name in the hot folder/) });
    expect(events.some((e) => e.type === 'alarm' && JSON.stringify(e.data).includes('could not go back to the hot folder'))).toBe(true);
    expect(records.some((r) => r.level === 'warn' && r.message.startsWith('S7.NEF could not go back to the hot folder'))).toBe(true);
  });

  it('a RAW flagged for re-shoot whose next image shows several codes stays set aside in _reshoot, journaled, live and after a restart', async () => {
    const s = await start();
    const { linker } = s.station;
    await s.sheet('S1.tif', first, 1);
    const nef = await s.raw('S2.NEF');
    await s.client.setReshoot({ captureId: nef, reshoot: true });
    await linker.settled();
    const aside = path.join(s.library, '_reshoot', first, 'S2.NEF');
    expect(s.station.store.get(nef)!.path).toBe(aside);

    await s.sheet('S2.tif', [next, third], 2);
    await linker.settled();
    expect(linker.links.linkOf(nef)).toBeNull();
    expect(s.station.store.get(nef)!.path).toBe(aside);
    expect(filesUnder(s.library)).toEqual([`${first}_001.tif`, `_reshoot/${first}/S2.NEF`]);
    expect(linker.links.move(nef)).toMatchObject({ state: 'done', toPath: aside });
    // Settled live: nothing for the next start to do.
    expect(linker.links.relinkedFiled()).not.toContain(nef);
    expect(s.station.store.detail(nef)!.events.some((e) => e.type === 'capture.filed' && JSON.stringify(e.data).includes('put back'))).toBe(false);

    await s.station.stop();
    const again = new Station(loadConfig({ home: s.home }));
    cleanup.push(() => again.stop());
    await again.start();
    await again.linker.settled();
    expect(again.store.get(nef)!.path).toBe(aside);
    expect(again.store.detail(nef)!.events.some((e) => e.type === 'capture.recovered')).toBe(false);
  });

});
