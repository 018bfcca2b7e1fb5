/**
 * A library on another disk than the hot folder: filing copies (no hard link across devices), and
 * the filed copy must still be recognised as the version QC checked when an edit renames it.
 * The library is put on /dev/shm (tmpfs) when that is another device than the temp folder, so the
 * cross-device path is the real one, not a simulated EXDEV.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createLocalClient } from '../../src/contract/client.js';
import { loadConfig } from '../../src/config/load.js';
import { createHandlers } from '../../src/station/handlers.js';
import { Station } from '../../src/station/station.js';
import { writeGoodTiff } from '../helpers/images.js';
import { filesUnder, makeHome, waitFor } from '../helpers/station-home.js';

const cleanup: string[] = [];
const stations: Station[] = [];
afterEach(async () => {
  for (const s of stations.splice(0)) await s.stop();
  for (const d of cleanup.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

const otherDisk = fs.existsSync('/dev/shm') && fs.statSync('/dev/shm').dev !== fs.statSync(os.tmpdir()).dev ? '/dev/shm' : null;

async function stationWithLibraryOn(disk: string) {
  const library = fs.mkdtempSync(path.join(disk, 'cs-library-'));
  const home = makeHome({ paths: { library }, ingest: { stableWindowMs: 200, rescanIntervalSec: 0 }, linking: { enabled: true, template: '{barcode}/{barcode}_{seq:03}{ext}', barcode: { pattern: 'X-\\d' } } });
  cleanup.push(library, home);
  const station = new Station(loadConfig({ home }));
  stations.push(station);
  await station.start();
  const client = createLocalClient(createHandlers(station));
  await client.scanBarcode({ code: 'X-1' });
  // An mtime well before the copy, as a camera file has: a copy without it would get "now".
  const shot = path.join(home, 'Inbox', 's1.tif');
  await writeGoodTiff(shot, 1);
  fs.utimesSync(shot, 1_700_000_000, 1_700_000_000);
  await waitFor(() => filesUnder(library).length === 1, 'shot filed');
  await station.linker.settled();
  const id = station.store.list({ limit: 10 })[0]!.id;
  return { station, client, library, id };
}

describe.skipIf(!otherDisk)('a library on another disk', () => {
  it('files by a verified copy that keeps the mtime, so an edit can rename the filed file', async () => {
    const { station, client, library, id } = await stationWithLibraryOn(otherDisk!);
    expect(filesUnder(library)).toEqual(['X-1/X-1_001.tif']);
    expect(fs.statSync(path.join(library, 'X-1/X-1_001.tif')).mtimeMs).toBe(1_700_000_000_000);

    expect(await client.relinkCaptures({ captureIds: [id], barcode: 'X-2' })).toMatchObject({ result: { kind: 'relink' } });
    expect(filesUnder(library)).toEqual(['X-2/X-2_001.tif']);
    expect(station.store.get(id)!.path).toBe(path.join(library, 'X-2/X-2_001.tif'));
    expect(station.linker.links.linkOf(id)).toMatchObject({ barcode: 'X-2' });
  });
});

describe('an edit whose rename fails', () => {
  it('is rolled back: the links, the journal and the file agree, and undo does not see it', async () => {
    const { station, client, library, id } = await stationWithLibraryOn(os.tmpdir());
    const filed = path.join(library, 'X-1/X-1_001.tif');
    // Someone touched the filed file: the rename refuses to carry a version QC did not check.
    fs.utimesSync(filed, 1_800_000_000, 1_800_000_000);

    const reply = await client.relinkCaptures({ captureIds: [id], barcode: 'X-2' });
    expect(reply).toMatchObject({ error: { message: expect.stringMatching(/^The edit was not made, as a filed file could not be renamed: .*changed after it was checked.* The links are as they were\.$/) } });
    expect(station.linker.links.linkOf(id)).toMatchObject({ barcode: 'X-1', seq: 1 });
    expect(filesUnder(library)).toEqual(['X-1/X-1_001.tif']);
    expect(station.store.get(id)!.path).toBe(filed);
    expect(station.linker.links.move(id)).toMatchObject({ state: 'done', toPath: filed });
    expect(station.store.detail(id)!.events.map((e) => e.type)).toEqual(expect.arrayContaining(['capture.filing-failed', 'capture.relinked']));
    expect(await client.undoLinkEdit({})).toMatchObject({ error: { code: 'NOT_FOUND' } });
  });

  it('of an object barcode is rolled back too, renaming back the files already renamed', async () => {
    const { station, client, library, id } = await stationWithLibraryOn(os.tmpdir());
    await writeGoodTiff(path.join(station.config.sources[0]!.path, 's2.tif'), 2);
    await waitFor(() => filesUnder(library).length === 2, 'second shot filed');
    await station.linker.settled();
    fs.utimesSync(path.join(library, 'X-1/X-1_002.tif'), 1_800_000_000, 1_800_000_000);
    const objectId = station.linker.links.linkOf(id)!.objectId;

    expect(await client.relinkObject({ objectId, barcode: 'X-3' })).toMatchObject({ error: { message: expect.stringMatching(/^The edit was not made/) } });
    expect(station.linker.links.object(objectId)).toMatchObject({ barcode: 'X-1' });
    expect(filesUnder(library)).toEqual(['X-1/X-1_001.tif', 'X-1/X-1_002.tif']);
    expect(station.store.get(id)!.path).toBe(path.join(library, 'X-1/X-1_001.tif'));
  });
});
