/**
 * No capture is ever linked to a barcode that a pattern-valid code in its own image contradicts,
 * on a real station with the Meise herbarium sheets (each sheet's label barcode is its file name):
 * a linking edit or undo that would do it is refused before anything moves, and a shot waiting for
 * its barcode (scan-after-capture) that the scan contradicts takes no number or view.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import type { StationConfigInput } from '../../src/config/schema.js';
import { Station } from '../../src/station/station.js';
import { labelled, writeGoodTiff } from '../helpers/images.js';
import { corpus, filesUnder, makeHome, waitFor } from '../helpers/station-home.js';

const cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn();
});

const sheetA = 'BR0000013087944';
const sheetB = 'BR0000019933597';
/** The Meise sheet of sheetA also carries this label barcode (pattern-valid, check digit right). */
const alsoOnA = 'BR0000013087937';
const barcode = { pattern: 'BR(?<checked>\\d{13})', checkDigit: 'gs1-mod10' as const };

async function start(linking: StationConfigInput['linking'], more: Omit<StationConfigInput, 'linking'> = {}) {
  const home = makeHome({ station: { id: 'rig-7' }, ingest: { stableWindowMs: 200, rescanIntervalSec: 0 }, linking: { enabled: true, barcode, ...linking }, ...more });
  cleanup.push(() => fs.rmSync(home, { recursive: true, force: true }));
  fs.mkdirSync(path.join(home, 'Share'));
  const config = loadConfig({ home });
  const station = new Station(config);
  await station.start();
  cleanup.push(() => station.stop());
  const inbox = path.join(home, 'Inbox');
  /** Filing is queued once the scan's transaction has finished: waits for it. */
  const filed = async () => {
    await new Promise((resolve) => setImmediate(resolve));
    await station.linker.settled();
  };
  /** Drops a file into the hot folder as a tethering program does, and waits until it is recorded and filing has settled. */
  const drop = async (name: string, write: (file: string) => Promise<void>) => {
    const before = station.store.counts().total;
    await write(path.join(inbox, name));
    await waitFor(() => station.store.counts().total === before + 1, `${name} recorded`);
    await filed();
    return station.store.list({ limit: 100 }).find((c) => c.relPath === name)!.id;
  };
  const sheet = (code: string) => drop(`${code}.jpg`, async (file) => {
    fs.copyFileSync(path.join(corpus, 'museum/dissco/meise', `${code}.jpg`), `${file}.part`);
    fs.renameSync(`${file}.part`, file);
  });
  const tiff = (name: string, seed: number) => drop(name, (file) => writeGoodTiff(file, seed));
  /** A camera RAW (no barcode is read from it) named `name`. */
  const raw = (name: string) => drop(name, async (file) => fs.copyFileSync(path.join(corpus, 'raw/exiftool/Nikon.nef'), file));
  const uploaded = () => filesUnder(path.join(home, 'Share')).filter((f) => !path.basename(f).startsWith('.'));
  return { station, home, inbox, library: config.locations.library, drop, sheet, tiff, raw, filed, uploaded };
}

describe('a linking edit that contradicts the image is refused', () => {
  it('relinking a filed sheet to another barcode than its label is refused before anything moves; the right barcode is accepted', async () => {
    const s = await start({ template: '{barcode}/{barcode}_{seq:03}{ext}' }, { targets: [{ id: 'nas', kind: 'folder', path: 'Share', mountCheck: false }], upload: { probeIntervalSec: 0.2, backoff: { baseMs: 50, maxMs: 500 } } });
    const { linker, store } = s.station;
    linker.scan(sheetA);
    const id = await s.sheet(sheetA);
    linker.scan('%%END%%');
    await s.filed();
    expect(store.get(id)!.verdict).not.toBe('fail');
    await waitFor(() => s.uploaded().length === 1, 'uploaded under its filed name');
    expect(s.uploaded()).toEqual([`rig-7/${sheetA}/${sheetA}_001.jpg`]);
    const link = linker.links.linkOf(id);
    const filed = store.get(id)!.path;
    const objectA = link!.objectId;

    const refusal = new RegExp(`^Relinking to ${sheetB} was refused, and nothing was changed: ${sheetA}\\.jpg \\(capture ${id}\\) would be linked to ${sheetB}, but its image shows ${alsoOnA} and ${sheetA}\\. Relink it to ${alsoOnA} or ${sheetA} instead, or, if the label in the image is wrong, fix the label and re-shoot\\.$`);
    await expect(linker.editor.relinkCaptures([id], sheetB)).rejects.toThrow(refusal);
    // The other edits that would link it to the other barcode are refused the same way.
    await expect(linker.editor.relinkObject(objectA, sheetB)).rejects.toThrow(/^Renaming object BR0000013087944 to BR0000019933597 was refused, and nothing was changed: .* its image shows BR0000013087937 and BR0000013087944\./);
    await expect(linker.editor.splitObject(objectA, 1, sheetB)).rejects.toThrow(/was refused, and nothing was changed: .* would be linked to BR0000019933597, but its image shows BR0000013087937 and BR0000013087944\./);
    linker.scan(sheetB);
    await s.tiff('other.tif', 3);
    linker.scan('%%END%%');
    const objectB = linker.links.linkOf(store.list({ limit: 100 }).find((c) => c.relPath === 'other.tif')!.id)!.objectId;
    await expect(linker.editor.mergeObjects(objectA, objectB)).rejects.toThrow(/^Merging BR0000013087944 into BR0000019933597 was refused, and nothing was changed: /);
    await s.filed();

    expect(linker.links.linkOf(id)).toEqual(link);
    expect(store.get(id)!.path).toBe(filed);
    expect(fs.existsSync(filed)).toBe(true);
    expect(store.get(id)!.verdict).not.toBe('fail');
    expect(store.detail(id)!.reshoot).toBe(false);
    expect(store.detail(id)!.events.map((e) => e.type)).not.toContain('capture.relinked');
    await waitFor(() => s.uploaded().length === 2, 'the other object uploaded');
    expect(s.uploaded()).toEqual([`rig-7/${sheetA}/${sheetA}_001.jpg`, `rig-7/${sheetB}/${sheetB}_001.tif`]);

    // A barcode the image does not contradict is still accepted: a sheet with no readable code, or one it shows (to the
    // object it is already in, a relink is refused as changing nothing).
    await expect(linker.editor.relinkCaptures([id], sheetA)).rejects.toThrow(`${sheetA}.jpg (capture ${id}) is already shot 1 of ${sheetA}; nothing was changed.`);
    await expect(linker.editor.relinkCaptures([id], alsoOnA)).resolves.toMatchObject({ captureIds: [id] });
  });

  it('undoing a rename is refused when the object took a shot of the new barcode meanwhile', async () => {
    const s = await start({ template: '{barcode}_{seq:03}{ext}' });
    const { linker, store } = s.station;
    // The technician scanned a wrong code, shot a plain frame, renamed the object, then shot the sheet.
    linker.scan('BR0000005182879');
    const plain = await s.tiff('plain.tif', 1);
    const objectId = linker.links.linkOf(plain)!.objectId;
    await linker.editor.relinkObject(objectId, sheetA);
    expect(linker.current()).toEqual({ inbox: { barcode: sheetA, shots: 1 } });
    const id = await s.sheet(sheetA);
    expect(linker.links.linkOf(id)).toMatchObject({ objectId, barcode: sheetA, seq: 2 });
    linker.scan('%%END%%');
    await s.filed();
    expect(filesUnder(s.library)).toEqual([`${sheetA}_001.tif`, `${sheetA}_002.jpg`]);

    await expect(linker.editor.undoLast()).rejects.toThrow(
      new RegExp(`^Undoing the last linking edit was refused, and nothing was changed: ${sheetA}\\.jpg \\(capture ${id}\\) would be linked to BR0000005182879, but its image shows ${alsoOnA} and ${sheetA}\\. Relink it to ${alsoOnA} or ${sheetA} instead`),
    );
    await s.filed();
    expect(linker.links.linkOf(id)).toMatchObject({ barcode: sheetA, seq: 2 });
    expect(filesUnder(s.library)).toEqual([`${sheetA}_001.tif`, `${sheetA}_002.jpg`]);
    expect(store.get(id)!.verdict).not.toBe('fail');
  });
});

describe('scan after capture: a waiting shot the scan contradicts', () => {
  const linking = { views: ['front', 'back'], expectedShots: 2, template: '{barcode}/{barcode}_{seq:03}_{view}{ext}' };
  const sources = [{ id: 'rig', path: 'Inbox', scanMode: 'scan-after-capture' as const }];

  it('is not linked, takes no number or view, is flagged for re-shoot, and the scan counts only the real shots', async () => {
    const s = await start(linking, { sources });
    const { linker, store } = s.station;
    const front = await s.sheet(sheetA);
    const wrong = await s.sheet(sheetB);
    const back = await s.tiff('back.tif', 2);
    const outcome = linker.scan(sheetA);
    expect(outcome.closed).toEqual({ barcode: sheetA, shots: 2, reason: 'end' });
    expect(outcome.alarms).toEqual([
      expect.stringMatching(new RegExp(`^${sheetB}\\.jpg now FAILS QC: barcodeMismatch: .*reads ${sheetB}, but this capture was taken for object ${sheetA}.*\\. It is not linked to ${sheetA}, takes no number or view and is flagged for re-shoot: its barcode search stopped at the first label, so the rest of the image is being read for ${sheetA}: if it is there, the shot will be linked to ${sheetA}; if not, relink it to the barcode it shows, or re-shoot it\\.$`)),
    ]);
    // Read again for the scanned code, the sheet does not show it: the shot stays flagged, and says so.
    const alarmsOf = (id: number) => store.detail(id)!.events.filter((e) => e.type === 'alarm').map((e) => String((e.data as { message: string }).message));
    await waitFor(() => alarmsOf(wrong).length === 2, 'the outcome of reading the sheet again');
    expect(alarmsOf(wrong)[1]).toMatch(new RegExp(`^${sheetB}\\.jpg stays flagged for re-shoot, not linked to ${sheetA}: Relinking to ${sheetA} was refused, and nothing was changed: .*its image shows ${sheetB}`));
    await s.filed();
    expect(linker.links.linkOf(front)).toMatchObject({ barcode: sheetA, seq: 1, view: 'front' });
    expect(linker.links.linkOf(back)).toMatchObject({ barcode: sheetA, seq: 2, view: 'back' });
    expect(linker.links.linkOf(wrong)).toBeNull();
    expect(store.detail(wrong)!.reshoot).toBe(true);
    expect(store.get(wrong)!.verdict).toBe('fail');
    expect(store.results(wrong).find((r) => r.check === 'barcodeMismatch')).toMatchObject({ status: 'fail', value: { inImage: [sheetB], linked: sheetA } });
    // It stays in the hot folder; the object is complete and not reported otherwise.
    expect(filesUnder(s.library)).toEqual([`${sheetA}/${sheetA}_001_front.jpg`, `${sheetA}/${sheetA}_002_back.tif`]);
    expect(fs.existsSync(path.join(s.inbox, `${sheetB}.jpg`))).toBe(true);
    expect(store.detail(front)!.events.map((e) => e.type)).not.toContain('object.incomplete');

    // The wrong sheet relinked to the barcode it shows passes and is filed there.
    await linker.editor.relinkCaptures([wrong], sheetB);
    await s.filed();
    expect(store.get(wrong)!.verdict).not.toBe('fail');
    expect(filesUnder(s.library)).toContain(`${sheetB}/${sheetB}_001_front.jpg`);
  });

  it('scanned again for an object with two shots, the contradicted shot leaves it at two, and the next shot takes number 3', async () => {
    const s = await start(linking, { sources });
    const { linker, store } = s.station;
    await s.sheet(sheetA);
    await s.tiff('back.tif', 2);
    expect(linker.scan(sheetA).closed).toEqual({ barcode: sheetA, shots: 2, reason: 'end' });
    const wrong = await s.sheet(sheetB);
    const again = linker.scan(sheetA);
    expect(again.closed).toEqual({ barcode: sheetA, shots: 2, reason: 'end' });
    expect(again.alarms).toEqual([expect.stringMatching(new RegExp(`^${sheetB}\\.jpg now FAILS QC: .* It is not linked to ${sheetA}, takes no number or view`))]);
    expect(linker.links.linkOf(wrong)).toBeNull();
    expect(store.detail(wrong)!.reshoot).toBe(true);
    const extra = await s.tiff('extra.tif', 5);
    expect(linker.scan(sheetA).closed).toEqual({ barcode: sheetA, shots: 3, reason: 'end' });
    expect(linker.links.linkOf(extra)).toMatchObject({ barcode: sheetA, seq: 3, view: null });
    await s.filed();
    expect(filesUnder(s.library)).toEqual([`${sheetA}/${sheetA}_001_front.jpg`, `${sheetA}/${sheetA}_002_back.tif`, `${sheetA}/${sheetA}_003_.tif`]);
  });

  it('a shot is one exposure: the contradicted JPEG takes its partner of the same name off with it', async () => {
    const s = await start(linking, { sources });
    const { linker, store } = s.station;
    const good = await s.tiff('good.tif', 1);
    const jpeg = await s.sheet(sheetB);
    // A TIFF of the same name, shot with it: it shows no barcode and passes QC on its own.
    const partner = await s.tiff(`${sheetB}.tif`, 7);
    expect(store.get(partner)!.verdict).not.toBe('fail');
    const outcome = linker.scan(sheetA);
    expect(outcome.closed).toEqual({ barcode: sheetA, shots: 1, reason: 'end' });
    expect(outcome.alarms).toContainEqual(expect.stringMatching(new RegExp(`flagged for re-shoot \\(and so is ${sheetB}\\.tif, of the same shot\\)`)));
    expect(linker.links.linkOf(good)).toMatchObject({ seq: 1, view: 'front' });
    expect(linker.links.linkOf(jpeg)).toBeNull();
    expect(linker.links.linkOf(partner)).toBeNull();
    expect(store.detail(partner)!.reshoot).toBe(true);
  });

  it('a JPEG recorded after the scan that contradicts it takes its partner off too, even once filed', async () => {
    const s = await start(linking, { sources, targets: [{ id: 'nas', kind: 'folder', path: 'Share', mountCheck: false }], upload: { probeIntervalSec: 0.2, backoff: { baseMs: 50, maxMs: 500 } } });
    const { linker, store } = s.station;
    const good = await s.tiff('good.tif', 1);
    const partner = await s.tiff(`${sheetB}.tif`, 7);
    // The wrong sheet's JPEG arrives, and the barcode is scanned before QC has recorded it.
    const file = path.join(s.inbox, `${sheetB}.jpg`);
    fs.copyFileSync(path.join(corpus, 'museum/dissco/meise', `${sheetB}.jpg`), `${file}.part`);
    fs.renameSync(`${file}.part`, file);
    await waitFor(() => linker.waitingShots().rig?.some((w) => w.files.includes(`${sheetB}.jpg`)) === true, 'the JPEG seen');
    const before = store.counts().total;
    const outcome = linker.scan(sheetA);
    expect(store.counts().total).toBe(before);
    expect(outcome.closed).toEqual({ barcode: sheetA, shots: 2, reason: 'end' });
    await s.filed();
    expect(filesUnder(s.library)).toEqual([`${sheetA}/${sheetA}_001_front.tif`, `${sheetA}/${sheetA}_002_back.tif`]);

    await waitFor(() => store.counts().total === before + 1, 'the JPEG recorded');
    await s.filed();
    const jpeg = store.list({ limit: 100 }).find((c) => c.relPath === `${sheetB}.jpg`)!.id;
    expect(store.get(jpeg)!.verdict).toBe('fail');
    expect(linker.links.linkOf(good)).toMatchObject({ barcode: sheetA, seq: 1, view: 'front' });
    for (const id of [partner, jpeg]) {
      expect(linker.links.linkOf(id)).toBeNull();
      expect(store.detail(id)!.reshoot).toBe(true);
    }
    // The partner filed under the wrong barcode is moved out of the object, as UNDO moves it.
    expect(filesUnder(s.library)).toEqual([`${sheetA}/${sheetA}_001_front.tif`, expect.stringMatching(/^_reshoot\//)]);
    expect(fs.existsSync(path.join(s.inbox, `${sheetB}.jpg`))).toBe(true);
    const alarm = store.detail(jpeg)!.events.find((e) => e.type === 'alarm');
    expect(alarm?.data).toMatchObject({ message: `${sheetB}.jpg failed QC: its image shows another barcode than ${sheetA}, so shot 2 (${sheetB}) is taken off object ${sheetA} with all its files (${sheetB}.tif too), not linked and flagged for re-shoot; object ${sheetA} is closed: scan it again to re-shoot.` });
    expect(store.detail(partner)!.events.map((e) => e.type)).toContain('alarm');
    expect(store.detail(good)!.events.find((e) => e.type === 'object.incomplete')?.data).toMatchObject({ missing: ['1 of 2 views (missing back)'] });
    // No copy stays on the share under the wrong barcode: one uploaded before the take-off is removed.
    const uploadEnded = () => store.detail(partner)!.events.some((e) => e.type === 'upload.stale.removed' || e.type === 'upload.dead');
    await waitFor(() => s.uploaded().length === 1 && (uploadEnded() || !store.detail(partner)!.events.some((e) => e.type === 'upload.done')), 'the share settled');
    expect(s.uploaded()).toEqual([`rig-7/${sheetA}/${sheetA}_001_front.tif`]);
  });
});

describe('scan before capture: a shot whose file fails as a barcode mismatch', () => {
  it('is taken off whole: its RAW, linked and filed before, is unlinked, set aside for re-shoot and named in the alarm', async () => {
    const s = await start({ template: '{barcode}/{barcode}_{seq:03}{ext}' });
    const { linker, store } = s.station;
    linker.scan(sheetA);
    const good = await s.tiff('good.tif', 1);
    const rawId = await s.raw(`${sheetB}.nef`);
    expect(store.get(rawId)!.verdict).not.toBe('fail');
    expect(linker.links.linkOf(rawId)).toMatchObject({ barcode: sheetA, seq: 2 });
    expect(filesUnder(s.library)).toEqual([`${sheetA}/${sheetA}_001.tif`, `${sheetA}/${sheetA}_002.nef`]);
    const jpeg = await s.sheet(sheetB);
    expect(store.get(jpeg)!.verdict).toBe('fail');
    for (const id of [rawId, jpeg]) {
      expect(linker.links.linkOf(id)).toBeNull();
      expect(store.detail(id)!.reshoot).toBe(true);
    }
    expect(filesUnder(s.library)).toEqual([`${sheetA}/${sheetA}_001.tif`, expect.stringMatching(/^_reshoot\/.*\.nef$/)]);
    expect(store.detail(rawId)!.events.find((e) => e.type === 'alarm')?.data).toMatchObject({
      message: `${sheetB}.jpg failed QC: its image shows another barcode than ${sheetA}, so shot 2 (${sheetB}) is taken off object ${sheetA} with all its files (${sheetB}.nef too), not linked and flagged for re-shoot; its number is given back: the next shot is shot 2 of ${sheetA}.`,
    });
    // Its number goes to the next shot.
    const next = await s.tiff('next.tif', 3);
    expect(linker.links.linkOf(next)).toMatchObject({ barcode: sheetA, seq: 2 });
    expect(linker.links.linkOf(good)).toMatchObject({ barcode: sheetA, seq: 1 });
  });
});

describe('linkFromImage: an object opened from an image (a rig with no scanner)', () => {
  it('gives way to the next sheet, which is no barcode mismatch; a sheet\'s back stays with it; a scanned object stays strict', async () => {
    // The synthetic label's white paper clips by design; exposure is not what this test is about.
    const s = await start({ template: '{barcode}/{barcode}_{seq:03}{ext}' }, { profiles: { default: { exposure: { severity: 'off' } } } });
    const { linker, store } = s.station;
    const mismatch = (id: number) => store.results(id).find((r) => r.check === 'barcodeMismatch')!;

    const first = await s.sheet(sheetB);
    expect(linker.current()).toEqual({ inbox: { barcode: sheetB, shots: 1 } });
    // No code in the image: the sheet's back, of the object open.
    const back = await s.tiff('back.tif', 3);
    expect(linker.links.linkOf(back)).toMatchObject({ barcode: sheetB, seq: 2 });

    // The next sheet shows two valid codes, neither the open object's: it is another object, not a
    // mismatch; the object opened from the image closes, and with two codes the sheet joins none.
    const next = await s.sheet(sheetA);
    expect(mismatch(next).status).not.toBe('fail');
    expect(store.get(next)!.verdict).not.toBe('fail');
    expect(linker.links.linkOf(next)).toBeNull();
    expect(linker.current()).toEqual({ inbox: null });
    expect(linker.links.object(linker.links.linkOf(first)!.objectId)).toMatchObject({ state: 'closed', closeReason: 'next-object' });

    // A sheet showing one valid code opens its own object; the one after, with another, gives way again.
    const label = await s.drop('label.tif', (file) => labelled(file, alsoOnA, 4));
    expect(linker.links.linkOf(label)).toMatchObject({ barcode: alsoOnA, seq: 1 });
    expect(mismatch(label)).toMatchObject({ status: 'pass', value: { linked: alsoOnA } });
    const other = await s.drop('other.tif', (file) => labelled(file, sheetB, 5));
    expect(linker.links.linkOf(other)).toMatchObject({ barcode: sheetB, seq: 3 });
    expect(mismatch(other).status).toBe('pass');
    expect(linker.current()).toEqual({ inbox: { barcode: sheetB, shots: 3 } });
    await s.filed();
    expect(filesUnder(s.library)).toEqual([`${alsoOnA}/${alsoOnA}_001.tif`, `${sheetB}/${sheetB}_001.jpg`, `${sheetB}/${sheetB}_002.tif`, `${sheetB}/${sheetB}_003.tif`]);
    expect(filesUnder(s.inbox)).toEqual([`${sheetA}.jpg`]);

    // A scanned object does not give way: another code in the image is a barcode mismatch.
    linker.scan(sheetA);
    const wrong = await s.drop('wrong.tif', (file) => labelled(file, alsoOnA, 6));
    expect(mismatch(wrong).status).toBe('fail');
    expect(linker.links.linkOf(wrong)).toBeNull();
    expect(linker.current()).toEqual({ inbox: { barcode: sheetA, shots: 0 } });
  });
});
