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
import { labelled } from '../helpers/images.js';
import { corpus, filesUnder, makeHome, waitFor } from '../helpers/station-home.js';

const cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn();
});

const first = 'BR0000000000017';
const next = 'BR0000000000024';
const third = 'BR0000000000031';

async function start() {
  // The synthetic label's white paper clips by design; exposure is not what this test is about.
  const home = makeHome({
    ingest: { stableWindowMs: 200, rescanIntervalSec: 0 },
    linking: { enabled: true, linkFromImage: true, barcode: { pattern: 'BR\\d{13}' }, template: '{barcode}_{seq:03}{ext}' },
    profiles: { default: { exposure: { severity: 'off' } } },
  });
  cleanup.push(() => fs.rmSync(home, { recursive: true, force: true }));
  const config = loadConfig({ home });
  const station = new Station(config);
  await station.start();
  cleanup.push(() => station.stop());
  const inbox = path.join(home, 'Inbox');
  const drop = async (name: string, write: (file: string) => Promise<void>) => {
    const before = station.store.counts().total;
    await write(path.join(inbox, name));
    await waitFor(() => station.store.counts().total === before + 1, `${name} recorded`);
    await new Promise((resolve) => setImmediate(resolve));
    await station.linker.settled();
    return station.store.list({ limit: 100 }).find((c) => c.relPath === name)!.id;
  };
  const sheet = (name: string, codes: string | string[], seed: number) => drop(name, (file) => labelled(file, codes, seed));
  const raw = (name: string) => drop(name, async (file) => fs.copyFileSync(path.join(corpus, 'raw/exiftool/Nikon.nef'), file));
  return { station, client: createLocalClient(createHandlers(station)), inbox, library: config.locations.library, sheet, raw };
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
});
