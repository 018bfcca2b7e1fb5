/**
 * A shot's files (a RAW and its JPEG) are filed together under one stem even when the template
 * names them by {date}/{time} and the second file arrives seconds after the first: the shot is
 * named by its first file's time. Edits, their undo and a restart keep the pair together.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createLocalClient } from '../../src/contract/client.js';
import { loadConfig } from '../../src/config/load.js';
import { createHandlers } from '../../src/station/handlers.js';
import { Station } from '../../src/station/station.js';
import { goodJpegBuffer } from '../helpers/images.js';
import { corpus, filesUnder, makeHome, waitFor } from '../helpers/station-home.js';

const homes: string[] = [];
const stations: Station[] = [];
afterEach(async () => {
  for (const s of stations.splice(0)) await s.stop();
  for (const h of homes.splice(0)) fs.rmSync(h, { recursive: true, force: true });
});

const template = '{project}/{date}_{time}/{barcode}/{barcode}_{seq:03}_{view}_{original}{ext}';

function stationHome(linking: Record<string, unknown> = {}): string {
  const home = makeHome({
    ingest: { stableWindowMs: 200, rescanIntervalSec: 0 },
    linking: { enabled: true, project: 'Herb', views: ['front', 'back'], template, barcode: { pattern: '[A-Z0-9]+' }, ...linking },
  });
  homes.push(home);
  return home;
}

async function start(home: string) {
  const config = loadConfig({ home });
  const station = new Station(config);
  stations.push(station);
  await station.start();
  const inbox = path.join(home, 'Inbox');
  const id = (rel: string) => station.store.list({ limit: 100 }).find((c) => c.relPath === rel)!.id;
  /** Writes `name` into the hot folder as a tethering program does, and waits until it is recorded and filing has settled. */
  const drop = async (name: string, bytes: Buffer) => {
    const before = station.store.counts().total;
    fs.writeFileSync(path.join(inbox, `${name}.part`), bytes);
    fs.renameSync(path.join(inbox, `${name}.part`), path.join(inbox, name));
    await waitFor(() => station.store.counts().total === before + 1, `${name} recorded`);
    await new Promise((resolve) => setImmediate(resolve));
    await station.linker.settled();
    return id(name);
  };
  return { station, client: createLocalClient(createHandlers(station)), library: config.locations.library, inbox, drop };
}

const nef = () => fs.readFileSync(path.join(corpus, 'raw/exiftool/Nikon.nef'));

/** Resolves once the local clock shows another second than `iso` (so a {time} rendered now differs from it). */
async function nextSecond(iso: string): Promise<void> {
  const second = Math.floor(Date.parse(iso) / 1000);
  await waitFor(() => Math.floor(Date.now() / 1000) !== second, 'the next second');
}

/** The library's files, without the mount marker. */
const filed = (library: string) => filesUnder(library).filter((f) => f !== '.capture-station-library');

/** The one folder and stem all of `files` share, or a failure naming them. */
function oneStem(files: string[]): string {
  const stems = new Set(files.map((f) => f.slice(0, f.length - path.extname(f).length)));
  expect([...stems], files.join(', ')).toHaveLength(1);
  return [...stems][0]!;
}

describe('a RAW and its JPEG under a {date}_{time} template', () => {
  it('are filed under one stem although the JPEG came seconds later, and stay together through relink, split, merge and undo', async () => {
    const { station, client, library, drop } = await start(stationHome());
    await client.scanBarcode({ code: 'PAIR1' });
    const raw = await drop('p1.nef', nef());
    await nextSecond(station.store.get(raw)!.detectedAt);
    const jpg = await drop('p1.jpg', await goodJpegBuffer(1));
    const first = filed(library);
    expect(first).toHaveLength(2);
    const stem = oneStem(first);
    expect(stem).toMatch(/^Herb\/\d{4}-\d{2}-\d{2}_\d{6}\/PAIR1\/PAIR1_001_front_p1$/);
    // Named by the shot's first file: the RAW's time.
    const at = new Date(station.store.get(raw)!.detectedAt);
    const pad = (n: number) => String(n).padStart(2, '0');
    expect(stem).toContain(`_${pad(at.getHours())}${pad(at.getMinutes())}${pad(at.getSeconds())}/`);

    await client.relinkCaptures({ captureIds: [jpg], barcode: 'PAIR2' });
    expect(oneStem(filed(library))).toMatch(/\/PAIR2\/PAIR2_001_front_p1$/);
    await client.undoLinkEdit({});
    expect(filed(library)).toEqual(first);

    const object = station.linker.links.linkOf(raw)!.objectId;
    await client.splitObject({ objectId: object, fromSeq: 1, barcode: 'PAIR3' });
    const split = filed(library);
    expect(oneStem(split)).toMatch(/\/PAIR3\/PAIR3_001_front_p1$/);
    await client.mergeObjects({ objectId: station.linker.links.linkOf(jpg)!.objectId, intoObjectId: object });
    expect(filed(library)).toEqual(first);
    await client.undoLinkEdit({});
    expect(filed(library)).toEqual(split);
    await client.relinkObject({ objectId: station.linker.links.linkOf(raw)!.objectId, barcode: 'PAIR4' });
    expect(oneStem(filed(library))).toMatch(/\/PAIR4\/PAIR4_001_front_p1$/);
    await client.undoLinkEdit({});
    expect(filed(library)).toEqual(split);
  });

  it('a JPEG filed only after a restart joins its RAW', async () => {
    const home = stationHome({ libraryMountCheck: true });
    const library = loadConfig({ home }).locations.library;
    const marker = path.join(library, '.capture-station-library');
    fs.mkdirSync(library, { recursive: true });
    fs.writeFileSync(marker, '');
    const s1 = await start(home);
    await s1.client.scanBarcode({ code: 'PAIR1' });
    const raw = await s1.drop('p1.nef', nef());
    const rawDetected = s1.station.store.get(raw)!.detectedAt;
    expect(filed(library)).toHaveLength(1);
    // The library "unmounted": the JPEG is linked, but waits in the hot folder.
    fs.rmSync(marker);
    await nextSecond(rawDetected);
    await s1.drop('p1.jpg', await goodJpegBuffer(2));
    expect(filesUnder(s1.inbox)).toEqual(['p1.jpg']);
    await s1.station.stop();
    stations.splice(0);

    fs.writeFileSync(marker, '');
    const s2 = await start(home);
    await waitFor(() => filed(library).length === 2, 'the JPEG filed at start');
    await s2.station.linker.settled();
    expect(oneStem(filed(library))).toMatch(/\/PAIR1\/PAIR1_001_front_p1$/);
  });
});
