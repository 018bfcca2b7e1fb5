/** Fixing links after the fact, through the contract: every edit renames the filed files, is logged, and undoes. */
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { addLogSink, type LogRecord } from '../../src/log/logger.js';
import { writeGoodTiff } from '../helpers/images.js';
import { linkingStation, stopLinkingStations } from '../helpers/linking-station.js';
import { filesUnder, waitFor } from '../helpers/station-home.js';

afterEach(stopLinkingStations);

/** A station with object A holding three filed shots (the second a RAW + TIFF pair). */
async function stationWithObject() {
  const { station, client, library, inbox, id } = await linkingStation();
  expect(await client.scanBarcode({ code: 'A' })).toMatchObject({ result: { kind: 'object' } });
  await writeGoodTiff(path.join(inbox, 's1.tif'), 1);
  await waitFor(() => filesUnder(library).length === 1, 'shot 1');
  await writeGoodTiff(path.join(inbox, 's2.tif'), 20);
  await waitFor(() => filesUnder(library).length === 2, 'shot 2');
  // Same stem, another extension: the pair's second file (its content does not matter here).
  await writeGoodTiff(path.join(inbox, 's2.jpg'), 33);
  await waitFor(() => filesUnder(library).length === 3, 'shot 2, second file');
  await writeGoodTiff(path.join(inbox, 's3.tif'), 40);
  await waitFor(() => filesUnder(library).length === 4, 'shot 3');
  await station.linker.settled();
  const objectA = station.linker.links.linkOf(id('s1.tif'))!.objectId;
  return { station, client, library, id, objectA };
}

describe('linking edits', () => {
  it('relinks a whole shot to another barcode, renaming its files, and undoes it', async () => {
    const { station, client, library, id } = await stationWithObject();
    expect(filesUnder(library)).toEqual(['A/001.tif', 'A/002.jpg', 'A/002.tif', 'A/003.tif']);

    const relinked = await client.relinkCaptures({ captureIds: [id('s2.tif')], barcode: 'B' });
    expect(relinked).toMatchObject({ result: { kind: 'relink' } });
    // The JPEG of the same shot went with it, and kept sharing its number.
    expect(filesUnder(library)).toEqual(['A/001.tif', 'A/003.tif', 'B/001.jpg', 'B/001.tif']);
    expect(station.store.get(id('s2.jpg'))!.path).toBe(path.join(library, 'B/001.jpg'));
    expect(station.store.detail(id('s2.tif'))!.events.map((e) => e.type)).toContain('capture.relinked');

    expect(await client.undoLinkEdit({})).toMatchObject({ result: { kind: 'relink' } });
    expect(filesUnder(library)).toEqual(['A/001.tif', 'A/002.jpg', 'A/002.tif', 'A/003.tif']);
    expect(station.linker.links.linkOf(id('s2.tif'))).toMatchObject({ barcode: 'A', seq: 2 });
    expect(await client.undoLinkEdit({})).toEqual({ error: { code: 'NOT_FOUND', message: 'There is no linking edit to undo.' } });
  });

  it('splits an object, merges it back, renames an object, marks a re-shoot', async () => {
    const { station, client, library, id, objectA } = await stationWithObject();
    await client.splitObject({ objectId: objectA, fromSeq: 2, barcode: 'C' });
    expect(filesUnder(library)).toEqual(['A/001.tif', 'C/001.jpg', 'C/001.tif', 'C/002.tif']);

    const objectC = station.linker.links.linkOf(id('s3.tif'))!.objectId;
    await client.mergeObjects({ objectId: objectC, intoObjectId: objectA });
    expect(filesUnder(library)).toEqual(['A/001.tif', 'A/002.jpg', 'A/002.tif', 'A/003.tif']);

    await client.relinkObject({ objectId: objectA, barcode: 'D' });
    expect(filesUnder(library)).toEqual(['D/001.tif', 'D/002.jpg', 'D/002.tif', 'D/003.tif']);
    await client.undoLinkEdit({});
    expect(filesUnder(library)).toEqual(['A/001.tif', 'A/002.jpg', 'A/002.tif', 'A/003.tif']);

    await client.setReshoot({ captureId: id('s1.tif'), reshoot: true });
    expect(station.store.detail(id('s1.tif'))!.events.slice(-2).map((e) => e.type)).toEqual(['capture.relinked', 'capture.filed']);
    expect(filesUnder(library)).toEqual(['A/002.jpg', 'A/002.tif', 'A/003.tif', '_reshoot/A/s1.tif']);
  });

  it('refuses an invalid barcode, a control code and bad arguments, changing nothing', async () => {
    const { client, library, id, objectA } = await stationWithObject();
    expect(await client.relinkCaptures({ captureIds: [id('s1.tif')], barcode: 'lower' })).toMatchObject({ error: { code: 'INVALID_ARGUMENT', message: expect.stringMatching(/"lower" was refused: it does not match the project's pattern/) } });
    expect(await client.relinkObject({ objectId: objectA, barcode: '%%END%%' })).toMatchObject({ error: { message: expect.stringMatching(/is a control code/) } });
    expect(await client.mergeObjects({ objectId: objectA, intoObjectId: objectA })).toMatchObject({ error: { message: 'Object A cannot be merged into itself; nothing was changed.' } });
    expect(await client.splitObject({ objectId: objectA, fromSeq: 0, barcode: 'C' })).toMatchObject({ error: { code: 'INVALID_ARGUMENT' } });
    expect(await client.relinkCaptures({ captureIds: [], barcode: 'C' })).toMatchObject({ error: { code: 'INVALID_ARGUMENT' } });
    expect(filesUnder(library)).toEqual(['A/001.tif', 'A/002.jpg', 'A/002.tif', 'A/003.tif']);
  });
});

describe('an edit to where the shots already are', () => {
  it('is refused, naming the shot, and changes nothing: a relink to its own object, a rename to its own barcode, a split or merge into itself', async () => {
    const { station, client, library, id, objectA } = await stationWithObject();
    const files = ['A/001.tif', 'A/002.jpg', 'A/002.tif', 'A/003.tif'];
    const events = () => station.store.detail(id('s1.tif'))!.events.length;
    const before = events();
    expect(await client.relinkCaptures({ captureIds: [id('s1.tif')], barcode: 'A' })).toEqual({
      error: { code: 'INVALID_ARGUMENT', message: `s1.tif (capture ${id('s1.tif')}) is already shot 1 of A; nothing was changed.` },
    });
    // A whole shot is named, both its files.
    expect(await client.relinkCaptures({ captureIds: [id('s2.jpg')], barcode: 'A' })).toMatchObject({
      error: { message: `s2.tif (capture ${id('s2.tif')}) and s2.jpg (capture ${id('s2.jpg')}) are already shot 2 of A; nothing was changed.` },
    });
    expect(await client.relinkObject({ objectId: objectA, barcode: 'A' })).toEqual({ error: { code: 'INVALID_ARGUMENT', message: 'Object A already has barcode A; nothing was changed.' } });
    expect(await client.splitObject({ objectId: objectA, fromSeq: 2, barcode: 'A' })).toMatchObject({ error: { message: 'Shots 2… of A already have barcode A; nothing was changed. Split them off as the barcode they belong to.' } });
    expect(await client.mergeIntoBarcode({ objectId: objectA, barcode: 'A' })).toMatchObject({ error: { message: 'Object A has no other object with its barcode to merge into; nothing was changed.' } });
    expect(filesUnder(library)).toEqual(files);
    expect(station.linker.links.linkOf(id('s1.tif'))).toMatchObject({ barcode: 'A', seq: 1 });
    expect(events()).toBe(before);
    expect(await client.lastLinkEdit({})).toEqual({ result: null });
  });

  it('of several captures, only some already there, is refused whole, naming those and the others to relink alone', async () => {
    const { station, client, library, id, objectA } = await stationWithObject();
    await client.splitObject({ objectId: objectA, fromSeq: 3, barcode: 'B' });
    expect(filesUnder(library)).toEqual(['A/001.tif', 'A/002.jpg', 'A/002.tif', 'B/001.tif']);
    const s3 = id('s3.tif');
    expect(await client.relinkCaptures({ captureIds: [id('s1.tif'), s3], barcode: 'A' })).toEqual({
      error: { code: 'INVALID_ARGUMENT', message: `s1.tif (capture ${id('s1.tif')}) is already shot 1 of A; nothing was changed. To move the others, relink only them: capture ${s3}.` },
    });
    expect(filesUnder(library)).toEqual(['A/001.tif', 'A/002.jpg', 'A/002.tif', 'B/001.tif']);
    expect(await client.relinkCaptures({ captureIds: [s3], barcode: 'A' })).toMatchObject({ result: { kind: 'relink' } });
    expect(filesUnder(library)).toEqual(['A/001.tif', 'A/002.jpg', 'A/002.tif', 'A/003.tif']);
    expect(station.linker.links.linkOf(id('s1.tif'))).toMatchObject({ barcode: 'A', seq: 1 });
  });
});

describe('linking edits on a library that rounds mtimes (FAT, exFAT)', () => {
  it('renames a filed file whose mtime the library rounded, and still refuses one whose bytes changed', async () => {
    const { station, client, library, inbox, shoot } = await linkingStation();
    await client.scanBarcode({ code: 'A' });
    const s1 = await shoot('s1.tif', 1);
    const s2 = await shoot('s2.tif', 2);
    expect(filesUnder(inbox)).toEqual([]);
    // As a FAT library keeps it: the mtime QC checked, to an even second (2 s off at most).
    const roundedOnFat = (captureId: number) => {
      const capture = station.store.get(captureId)!;
      const checkedMs = capture.mtimeUs / 1000;
      let fat = Math.floor(checkedMs / 2000) * 2000;
      if (checkedMs - fat <= 1) fat -= 2000;
      fs.utimesSync(capture.path, fat / 1000, fat / 1000);
      return capture.path;
    };
    roundedOnFat(s1);
    const objectA = station.linker.links.linkOf(s1)!.objectId;
    expect(await client.splitObject({ objectId: objectA, fromSeq: 1, barcode: 'B' })).toMatchObject({ result: { kind: 'split' } });
    expect(filesUnder(library)).toEqual(['B/001.tif', 'B/002.tif']);

    // Same size and a rounded mtime, other bytes: a changed file, never renamed as the checked one.
    const file = roundedOnFat(s2);
    const bytes = fs.readFileSync(file);
    bytes[bytes.length - 1] = bytes[bytes.length - 1]! ^ 0xff;
    const { mtime } = fs.statSync(file);
    fs.writeFileSync(file, bytes);
    fs.utimesSync(file, mtime, mtime);
    expect(await client.relinkObject({ objectId: station.linker.links.linkOf(s1)!.objectId, barcode: 'C' })).toMatchObject({ error: { message: expect.stringMatching(/changed after it was checked/) } });
    expect(filesUnder(library)).toEqual(['B/001.tif', 'B/002.tif']);
    expect(station.linker.links.linkOf(s1)).toMatchObject({ barcode: 'B' });
  });
});

describe('linking edits and the object open on the rig', () => {
  it('a shot relinked to the open object takes a number there, and the next shot from the rig the one after it', async () => {
    const { station, client, library, shoot } = await linkingStation();
    await client.scanBarcode({ code: 'D' });
    const stray = await shoot('d1.tif', 1);
    await client.scanBarcode({ code: 'E' });
    await shoot('e1.tif', 2);
    expect(await client.relinkCaptures({ captureIds: [stray], barcode: 'E' })).toMatchObject({ result: { kind: 'relink' } });
    expect(station.linker.current()).toEqual({ inbox: { barcode: 'E', shots: 2 } });
    await shoot('e2.tif', 3);
    expect(filesUnder(library)).toEqual(['E/001.tif', 'E/002.tif', 'E/003.tif']);
    expect(station.linker.links.linkOf(station.linker.links.capturesOf(station.linker.links.linkOf(stray)!.objectId).at(-1)!)).toMatchObject({ barcode: 'E', seq: 3 });
  });

  it('UNDO on the rig takes off the open object\'s own last shot, not one relinked away to another object', async () => {
    const { station, client, library, shoot } = await linkingStation();
    await client.scanBarcode({ code: 'F' });
    const first = await shoot('f1.tif', 1);
    const second = await shoot('f2.tif', 2);
    await client.relinkCaptures({ captureIds: [second], barcode: 'G' });
    expect(station.linker.current()).toEqual({ inbox: { barcode: 'F', shots: 1 } });
    await client.scanBarcode({ code: '%%UNDO%%' });
    expect(station.linker.links.linkOf(second)).toMatchObject({ barcode: 'G', seq: 1 });
    expect(station.linker.links.linkOf(first)).toBeNull();
    expect(filesUnder(library)).toContain('G/001.tif');
  });

  it('an open object renamed takes its new barcode on the rig: scanning it keeps it open, and undo gives the old one back', async () => {
    const { station, client, library, shoot } = await linkingStation();
    await client.scanBarcode({ code: 'R' });
    const first = await shoot('r1.tif', 1);
    const objectId = station.linker.links.linkOf(first)!.objectId;
    await client.relinkObject({ objectId, barcode: 'S' });
    expect(station.linker.current()).toEqual({ inbox: { barcode: 'S', shots: 1 } });
    // Scanning the new barcode is the same object scanned again: no second S.
    expect(await client.scanBarcode({ code: 'S' })).toMatchObject({ result: { closed: null, current: { barcode: 'S', shots: 1 } } });
    await shoot('r2.tif', 2);
    expect(filesUnder(library)).toEqual(['S/001.tif', 'S/002.tif']);
    expect(station.linker.links.linkOf(station.linker.links.capturesOf(objectId).at(-1)!)).toMatchObject({ objectId, barcode: 'S', seq: 2 });

    await client.undoLinkEdit({});
    expect(station.linker.current()).toEqual({ inbox: { barcode: 'R', shots: 2 } });
    await shoot('r3.tif', 3);
    expect(filesUnder(library)).toEqual(['R/001.tif', 'R/002.tif', 'R/003.tif']);
  });
});

describe('linking edits and numbers a barcode already has', () => {
  it('shots split off to a barcode shot before are numbered after its shots', async () => {
    const { client, library, shoot, station } = await linkingStation();
    await client.scanBarcode({ code: 'A' });
    await shoot('a1.tif', 1);
    await client.scanBarcode({ code: 'B' });
    const b1 = await shoot('b1.tif', 2);
    await shoot('b2.tif', 3);
    await client.scanBarcode({ code: '%%END%%' });
    await client.splitObject({ objectId: station.linker.links.linkOf(b1)!.objectId, fromSeq: 2, barcode: 'A' });
    expect(filesUnder(library)).toEqual(['A/001.tif', 'A/002.tif', 'B/001.tif']);
  });
});

describe('linking a capture shot with no object open', () => {
  it('warns and logs it; relinking links it to the barcode\'s object (made, closed), files it by the template, and undo puts it back', async () => {
    const { station, client, library, inbox, shoot } = await linkingStation();
    const records: LogRecord[] = [];
    const removeSink = addLogSink((r) => records.push(r));
    const stray = await shoot('x1.tif', 1).finally(removeSink);
    expect(station.linker.links.linkOf(stray)).toBeNull();
    expect(records.filter((r) => r.module === 'linking' && r.level === 'warn')).toEqual([expect.objectContaining({ message: expect.stringMatching(/^capture not linked: no object was open/) })]);
    expect(station.store.detail(stray)!.events).toContainEqual(expect.objectContaining({ type: 'capture.not-linked', data: { reason: 'no object open' } }));

    expect(await client.relinkCaptures({ captureIds: [stray], barcode: 'K' })).toMatchObject({ result: { kind: 'link', captureIds: [stray] } });
    await station.linker.settled();
    expect(filesUnder(library)).toEqual(['K/001.tif']);
    expect(filesUnder(inbox)).toEqual([]);
    const link = station.linker.links.linkOf(stray)!;
    expect(link).toMatchObject({ barcode: 'K', seq: 1 });
    expect(station.linker.links.object(link.objectId)).toMatchObject({ state: 'closed' });
    expect(station.store.detail(stray)!.events).toContainEqual(expect.objectContaining({ type: 'capture.relinked', data: expect.objectContaining({ why: 'link', barcode: 'K', seq: 1 }) }));

    expect(await client.undoLinkEdit({})).toMatchObject({ result: { kind: 'link', captureIds: [stray] } });
    expect(station.linker.links.linkOf(stray)).toBeNull();
    expect(filesUnder(library)).toEqual([]);
    expect(filesUnder(inbox)).toEqual(['x1.tif']);
    expect(station.store.get(stray)!.path).toBe(path.join(inbox, 'x1.tif'));

    // Linked again from where undo put it: filed again, still the one capture.
    await client.relinkCaptures({ captureIds: [stray], barcode: 'K' });
    await station.linker.settled();
    expect(filesUnder(library)).toEqual(['K/001.tif']);
    expect(station.store.counts().total).toBe(1);
  });

  it('brings the shot\'s other file (same hot-folder name, also not linked) along under one number', async () => {
    const { station, client, library, shoot, id } = await linkingStation();
    await shoot('p.tif', 1);
    const jpeg = await shoot('p.jpg', 2);
    await shoot('q.tif', 3);
    const linked = await client.relinkCaptures({ captureIds: [jpeg], barcode: 'M' });
    expect(linked).toMatchObject({ result: { kind: 'link' } });
    expect('result' in linked && [...linked.result.captureIds].sort()).toEqual([id('p.tif'), jpeg].sort());
    await station.linker.settled();
    expect(filesUnder(library)).toEqual(['M/001.jpg', 'M/001.tif']);
    expect(station.linker.links.linkOf(id('q.tif'))).toBeNull();
  });

  it('an edit reports what it did: split, merge, and undo of each', async () => {
    const { client, objectA, id, station } = await stationWithObject();
    expect(await client.splitObject({ objectId: objectA, fromSeq: 3, barcode: 'C' })).toMatchObject({ result: { kind: 'split' } });
    const objectC = station.linker.links.linkOf(id('s3.tif'))!.objectId;
    expect(await client.mergeObjects({ objectId: objectC, intoObjectId: objectA })).toMatchObject({ result: { kind: 'merge' } });
    expect(await client.undoLinkEdit({})).toMatchObject({ result: { kind: 'merge' } });
    expect(await client.undoLinkEdit({})).toMatchObject({ result: { kind: 'split' } });
  });
});

describe('renaming an object to a barcode that already has one', () => {
  it('is refused, naming that object\'s shots and pointing to Merge; merging by barcode numbers after its last shot, and undo puts it back exactly', async () => {
    const { station, client, library, shoot } = await linkingStation();
    await client.scanBarcode({ code: 'B' });
    const b1 = await shoot('b1.tif', 1);
    await shoot('b2.tif', 2);
    await client.scanBarcode({ code: 'Z' });
    const z1 = await shoot('z1.tif', 3);
    await client.scanBarcode({ code: '%%END%%' });
    await station.linker.settled();
    const objectZ = station.linker.links.linkOf(z1)!.objectId;
    expect(filesUnder(library)).toEqual(['B/001.tif', 'B/002.tif', 'Z/001.tif']);

    expect(await client.relinkObject({ objectId: objectZ, barcode: 'B' })).toEqual({
      error: {
        code: 'INVALID_ARGUMENT',
        message: 'Object B already exists (2 shots): renamed, Z would be a second object B numbered from 1 again. To add Z\'s 1 shot to B, use Merge into B (they are numbered after its last shot).',
      },
    });
    expect(filesUnder(library)).toEqual(['B/001.tif', 'B/002.tif', 'Z/001.tif']);
    expect(station.linker.links.object(objectZ)).toMatchObject({ barcode: 'Z' });
    expect(await client.lastLinkEdit({})).toEqual({ result: null });

    expect(await client.mergeIntoBarcode({ objectId: objectZ, barcode: 'B' })).toMatchObject({ result: { kind: 'merge', captureIds: [z1] } });
    expect(filesUnder(library)).toEqual(['B/001.tif', 'B/002.tif', 'B/003.tif']);
    expect(station.linker.links.linkOf(z1)).toMatchObject({ objectId: station.linker.links.linkOf(b1)!.objectId, barcode: 'B', seq: 3 });
    expect(await client.lastLinkEdit({})).toMatchObject({ result: { kind: 'merge', summary: 'merge Z (z1.tif) → B', captureIds: [z1] } });

    expect(await client.undoLinkEdit({})).toMatchObject({ result: { kind: 'merge', message: 'Undid "merge Z (z1.tif) → B": z1.tif is shot 1 of Z.' } });
    expect(filesUnder(library)).toEqual(['B/001.tif', 'B/002.tif', 'Z/001.tif']);
    expect(station.linker.links.linkOf(z1)).toMatchObject({ objectId: objectZ, barcode: 'Z', seq: 1 });

    // A barcode with no object: merging is refused, pointing to Rename, which then works.
    expect(await client.mergeIntoBarcode({ objectId: objectZ, barcode: 'Q' })).toEqual({ error: { code: 'NOT_FOUND', message: 'There is no object Q to merge Z into. To give Z that barcode instead, use Rename object.' } });
    expect(await client.relinkObject({ objectId: objectZ, barcode: 'Q' })).toMatchObject({ result: { kind: 'barcode' } });
    expect(await client.lastLinkEdit({})).toMatchObject({ result: { kind: 'barcode', summary: 'rename Z → Q (1 capture)' } });
    expect(await client.undoLinkEdit({})).toMatchObject({ result: { message: 'Undid "rename Z → Q (1 capture)": object Z has its barcode back (1 capture named under it again).' } });
    expect(filesUnder(library)).toEqual(['B/001.tif', 'B/002.tif', 'Z/001.tif']);
  });

  it('undoing a rename is refused the same way once the old barcode has an object again', async () => {
    const { station, client, library, shoot } = await linkingStation();
    await client.scanBarcode({ code: 'Z' });
    const z1 = await shoot('z1.tif', 1);
    await client.scanBarcode({ code: '%%END%%' });
    await station.linker.settled();
    const objectZ = station.linker.links.linkOf(z1)!.objectId;
    expect(await client.relinkObject({ objectId: objectZ, barcode: 'Q' })).toMatchObject({ result: { kind: 'barcode' } });
    // Z scanned again: a new object Z, numbered from 1.
    await client.scanBarcode({ code: 'Z' });
    const n1 = await shoot('n1.tif', 2);
    await station.linker.settled();
    expect(filesUnder(library)).toEqual(['Q/001.tif', 'Z/001.tif']);

    expect(await client.undoLinkEdit({})).toEqual({
      error: {
        code: 'INVALID_ARGUMENT',
        message: 'Object Z already exists (1 shot, open on the rig): with the rename undone, Q would be a second object Z numbered from 1 again. To add Q\'s 1 shot to Z, use Merge into Z (they are numbered after its last shot).',
      },
    });
    expect(filesUnder(library)).toEqual(['Q/001.tif', 'Z/001.tif']);
    expect(station.linker.links.linkOf(z1)).toMatchObject({ objectId: objectZ, barcode: 'Q', seq: 1 });
    expect(station.linker.links.linkOf(n1)).toMatchObject({ barcode: 'Z', seq: 1 });
  });

  it('names the captures and barcodes of a relink, a first link and a re-shoot flag, and what undo left', async () => {
    const { station, client, shoot } = await linkingStation();
    const stray = await shoot('x1.tif', 1);
    await client.relinkCaptures({ captureIds: [stray], barcode: 'K' });
    expect(await client.lastLinkEdit({})).toMatchObject({ result: { kind: 'link', summary: 'link x1.tif → K' } });
    await client.relinkCaptures({ captureIds: [stray], barcode: 'L' });
    expect(await client.lastLinkEdit({})).toMatchObject({ result: { kind: 'relink', summary: 'relink x1.tif: K → L' } });
    await client.setReshoot({ captureId: stray, reshoot: true });
    expect(await client.lastLinkEdit({})).toMatchObject({ result: { kind: 'reshoot', summary: 'flag x1.tif for re-shoot' } });
    expect(await client.undoLinkEdit({})).toMatchObject({ result: { message: 'Undid "flag x1.tif for re-shoot": x1.tif is no longer flagged for re-shoot.' } });
    expect(await client.undoLinkEdit({})).toMatchObject({ result: { message: 'Undid "relink x1.tif: K → L": x1.tif is shot 1 of K.' } });
    expect(await client.undoLinkEdit({})).toMatchObject({ result: { message: 'Undid "link x1.tif → K": x1.tif is not linked, back where it was found.' } });
    await station.linker.settled();
  });
});

describe('how refusals of object edits count the shots there are', () => {
  it('a rename refusal counts the shots flagged for re-shoot, and says how many are flagged', async () => {
    const { station, client, library, shoot } = await linkingStation();
    await client.scanBarcode({ code: 'U' });
    const u1 = await shoot('u1.tif', 1);
    await client.scanBarcode({ code: 'Z' });
    const z1 = await shoot('z1.tif', 2);
    await shoot('z2.tif', 3);
    await client.scanBarcode({ code: '%%END%%' });
    await station.linker.settled();
    await client.setReshoot({ captureId: u1, reshoot: true });
    const objectZ = station.linker.links.linkOf(z1)!.objectId;
    expect(filesUnder(library)).toEqual(['Z/001.tif', 'Z/002.tif', '_reshoot/U/u1.tif']);

    expect(await client.relinkObject({ objectId: objectZ, barcode: 'U' })).toEqual({
      error: {
        code: 'INVALID_ARGUMENT',
        message: 'Object U already exists (1 shot, 1 flagged for re-shoot): renamed, Z would be a second object U numbered from 1 again. To add Z\'s 2 shots to U, use Merge into U (they are numbered after its last shot).',
      },
    });
    // The renamed object's own flagged shots are named the same way.
    await client.setReshoot({ captureId: z1, reshoot: true });
    expect(await client.relinkObject({ objectId: objectZ, barcode: 'U' })).toMatchObject({
      error: { message: expect.stringContaining('To add Z\'s 2 shots (1 flagged for re-shoot) to U, use Merge into U (') },
    });
    expect(station.linker.links.object(objectZ)).toMatchObject({ barcode: 'Z' });
  });

  it('a rename refusal for an object open on the rig with no shot yet says "no shots"', async () => {
    const { station, client, shoot } = await linkingStation();
    await client.scanBarcode({ code: 'Z' });
    const z1 = await shoot('z1.tif', 1);
    await client.scanBarcode({ code: 'U' });
    await station.linker.settled();
    const objectZ = station.linker.links.linkOf(z1)!.objectId;
    expect(await client.relinkObject({ objectId: objectZ, barcode: 'U' })).toMatchObject({
      error: { message: 'Object U already exists (no shots, open on the rig): renamed, Z would be a second object U numbered from 1 again. To add Z\'s 1 shot to U, use Merge into U (they are numbered after its last shot).' },
    });
  });
});

describe('merging into a barcode whose object has no shots left', () => {
  it('merges into that object, numbered from its barcode\'s next free number, and undo puts it back', async () => {
    const { station, client, library, shoot } = await linkingStation();
    await client.scanBarcode({ code: 'B' });
    const b1 = await shoot('b1.tif', 1);
    await client.scanBarcode({ code: 'Z' });
    const z1 = await shoot('z1.tif', 2);
    await client.scanBarcode({ code: '%%END%%' });
    await station.linker.settled();
    const [objectB, objectZ] = [station.linker.links.linkOf(b1)!.objectId, station.linker.links.linkOf(z1)!.objectId];
    // B's only shot moves away: object B is left with none.
    await client.relinkCaptures({ captureIds: [b1], barcode: 'K' });
    expect(station.linker.links.capturesOf(objectB)).toEqual([]);
    expect(filesUnder(library)).toEqual(['K/001.tif', 'Z/001.tif']);

    expect(await client.mergeIntoBarcode({ objectId: objectZ, barcode: 'B' })).toMatchObject({ result: { kind: 'merge', captureIds: [z1] } });
    expect(station.linker.links.linkOf(z1)).toMatchObject({ objectId: objectB, barcode: 'B', seq: 1 });
    expect(filesUnder(library)).toEqual(['B/001.tif', 'K/001.tif']);
    expect(await client.undoLinkEdit({})).toMatchObject({ result: { message: 'Undid "merge Z (z1.tif) → B": z1.tif is shot 1 of Z.' } });
    expect(filesUnder(library)).toEqual(['K/001.tif', 'Z/001.tif']);

    // The relink undone, b1 is shot 1 of B again: a merge now numbers after it.
    await client.undoLinkEdit({});
    expect(await client.mergeIntoBarcode({ objectId: objectZ, barcode: 'B' })).toMatchObject({ result: { kind: 'merge' } });
    expect(station.linker.links.linkOf(z1)).toMatchObject({ objectId: objectB, seq: 2 });
    expect(filesUnder(library)).toEqual(['B/001.tif', 'B/002.tif']);
  });

  it('prefers the object with shots over a newer empty one of the barcode', async () => {
    const { station, client, shoot } = await linkingStation();
    await client.scanBarcode({ code: 'B' });
    const b1 = await shoot('b1.tif', 1);
    await client.scanBarcode({ code: 'Z' });
    const z1 = await shoot('z1.tif', 2);
    await client.scanBarcode({ code: 'B' });
    const b2 = await shoot('b2.tif', 3);
    await client.scanBarcode({ code: '%%END%%' });
    await station.linker.settled();
    const newerB = station.linker.links.linkOf(b2)!.objectId;
    expect(newerB).not.toBe(station.linker.links.linkOf(b1)!.objectId);
    // The newer B's only shot moves away: it is left empty, the older B keeps b1.
    await client.relinkCaptures({ captureIds: [b2], barcode: 'K' });
    await client.mergeIntoBarcode({ objectId: station.linker.links.linkOf(z1)!.objectId, barcode: 'B' });
    expect(station.linker.links.linkOf(z1)).toMatchObject({ objectId: station.linker.links.linkOf(b1)!.objectId, seq: 2 });
  });
});

describe('moving the shots of an object that has none', () => {
  it('a rename refusal does not point an object with no shots to Merge, and a merge of it is refused, not failed', async () => {
    const { station, client, shoot } = await linkingStation();
    await client.scanBarcode({ code: 'U' });
    await shoot('u1.tif', 1);
    // Z scanned by mistake and still open, with no shot.
    await client.scanBarcode({ code: 'Z' });
    await station.linker.settled();
    const objectZ = station.linker.links.latestObject('Z', 'inbox')!.id;
    expect(await client.relinkObject({ objectId: objectZ, barcode: 'U' })).toEqual({
      error: {
        code: 'INVALID_ARGUMENT',
        message: 'Object U already exists (1 shot): renamed, Z would be a second object U numbered from 1 again. Z has no shots yet, so nothing needs to move to U: to shoot U now, scan U (its shots are numbered after its last shot).',
      },
    });
    expect(await client.mergeIntoBarcode({ objectId: objectZ, barcode: 'U' })).toEqual({
      error: { code: 'INVALID_ARGUMENT', message: 'Object Z has no shots yet, so nothing needs to move to U: to shoot U now, scan U (its shots are numbered after its last shot).' },
    });
    await client.scanBarcode({ code: '%%END%%' });
    expect(await client.mergeIntoBarcode({ objectId: objectZ, barcode: 'U' })).toEqual({ error: { code: 'INVALID_ARGUMENT', message: 'Object Z has no shots, so nothing needs to move to U.' } });
    expect(await client.lastLinkEdit({})).toEqual({ result: null });
  });
});

describe('merging into a barcode whose objects cannot take the shots', () => {
  it('says the object was rejected, or holds shots of another project only, and points to Rename', async () => {
    const { station, client, shoot } = await linkingStation();
    await client.scanBarcode({ code: 'R' });
    await shoot('r1.tif', 1);
    await client.scanBarcode({ code: '%%REJECT%%' });
    expect(await client.startSession({ operator: 'Ana', project: 'Insects' })).toMatchObject({ result: {} });
    await client.scanBarcode({ code: 'P' });
    await shoot('p1.tif', 2);
    await client.scanBarcode({ code: '%%END%%' });
    await client.endSession({});
    await client.scanBarcode({ code: 'Z' });
    const z1 = await shoot('z1.tif', 3);
    await client.scanBarcode({ code: '%%END%%' });
    await station.linker.settled();
    const objectZ = station.linker.links.linkOf(z1)!.objectId;
    const project = station.linker.links.linkOf(z1)!.project;

    expect(await client.mergeIntoBarcode({ objectId: objectZ, barcode: 'R' })).toEqual({
      error: {
        code: 'NOT_FOUND',
        message: 'Object R was rejected (REJECT): it takes no more shots, as its files are set aside in _rejected/ and never uploaded. To give Z that barcode instead, use Rename object: it becomes a new object R.',
      },
    });
    expect(await client.mergeIntoBarcode({ objectId: objectZ, barcode: 'P' })).toEqual({
      error: { code: 'NOT_FOUND', message: `Object P has shots only in other projects than Z's (${project}): each project numbers its shots apart. To give Z that barcode instead, use Rename object.` },
    });
    // Both renames the messages point to go through.
    expect(await client.relinkObject({ objectId: objectZ, barcode: 'P' })).toMatchObject({ result: { kind: 'barcode' } });
    expect(await client.relinkObject({ objectId: objectZ, barcode: 'R' })).toMatchObject({ result: { kind: 'barcode' } });
  });
});
