/**
 * What the reviewer's day on the rig found missing: alarms kept in the event log (and shown in the
 * capture's timeline), a rejected object's files set aside under _rejected/, no empty barcode
 * folders left by the station's own moves, and an export that says what is on disk and at each target.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { loadConfig } from '../../src/config/load.js';
import type { StationConfigInput } from '../../src/config/schema.js';
import { Station } from '../../src/station/station.js';
import { openStore } from '../../src/store/open.js';
import { writeGoodTiff } from '../helpers/images.js';
import { capture } from '../helpers/output.js';
import { corpus, filesUnder, makeHome, waitFor } from '../helpers/station-home.js';

const cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn();
});

async function start(input: StationConfigInput) {
  const home = makeHome({ station: { id: 'rig-7' }, ingest: { stableWindowMs: 200, rescanIntervalSec: 0 }, ...input });
  cleanup.push(() => fs.rmSync(home, { recursive: true, force: true }));
  for (const t of input.targets ?? []) if (t.kind === 'folder') fs.mkdirSync(path.join(home, t.path), { recursive: true });
  const config = loadConfig({ home });
  const station = new Station(config);
  await station.start();
  let stopped = false;
  const stop = async () => {
    if (!stopped) await station.stop();
    stopped = true;
  };
  cleanup.push(stop);
  const inbox = path.join(home, 'Inbox');
  const library = config.locations.library;
  /** The newest capture of `relPath`. */
  const idOf = (relPath: string) => Math.max(...station.store.list({ limit: 100 }).filter((c) => c.relPath === relPath).map((c) => c.id));
  /** Writes a good image and waits until it is filed (or recorded, when nothing is open). */
  const shoot = async (name: string, seed: number) => {
    const before = station.store.counts().total;
    await writeGoodTiff(path.join(inbox, name), seed);
    await waitFor(() => station.store.counts().total === before + 1, `${name} recorded`);
    await station.linker.settled();
    return idOf(name);
  };
  /** A second connection to the station's database, as the CLI would open it. */
  const db = () => {
    const store = openStore(config.locations.database);
    cleanup.push(() => store.close());
    return store.db;
  };
  return { home, station, inbox, library, shoot, idOf, stop, db };
}

/** Every folder below `dir`, relative, sorted. */
function foldersUnder(dir: string): string[] {
  return (fs.readdirSync(dir, { recursive: true }) as string[]).filter((f) => fs.statSync(path.join(dir, f)).isDirectory()).sort();
}

describe('alarms in the event log', () => {
  it('keeps an incomplete object, a failed shot and a control code with nothing open as events; the capture timeline shows its object\'s', async () => {
    const s = await start({ linking: { enabled: true, template: '{barcode}/{barcode}_{seq:03}{ext}', views: ['front', 'back'], expectedShots: 2 } });
    s.station.linker.scan('A-1');
    const a1 = await s.shoot('a1.tif', 1);
    const objectA = s.station.linker.links.linkOf(a1)!.objectId;
    s.station.linker.scan('B-1');
    fs.copyFileSync(path.join(corpus, 'tiff/pillow/crash-2020-10-test.tif'), path.join(s.inbox, 'broken.tif'));
    await waitFor(() => s.station.store.counts().fail === 1, 'broken recorded');
    const broken = s.idOf('broken.tif');
    s.station.linker.scan('%%END%%');
    const outcome = s.station.linker.scan('%%END%%');
    expect(outcome.alarms).toEqual(['END was scanned, but no object is open: scan an object barcode first.']);

    const rows = s
      .db()
      .prepare(`SELECT type, capture_id AS captureId, object_id AS objectId, source_id AS sourceId, data_json AS data FROM events WHERE type IN ('alarm', 'object.incomplete') ORDER BY id`)
      .all() as { type: string; captureId: number | null; objectId: number | null; sourceId: string; data: string }[];
    const objectB = s.station.linker.links.latestObject('B-1', 'inbox')!.id;
    expect(rows.map((r) => ({ ...r, data: JSON.parse(r.data) as unknown }))).toEqual([
      { type: 'object.incomplete', captureId: null, objectId: objectA, sourceId: 'inbox', data: { barcode: 'A-1', objectId: objectA, message: 'Object A-1 is incomplete: 1 of 2 views (missing back).', missing: ['1 of 2 views (missing back)'] } },
      {
        type: 'alarm',
        captureId: broken,
        objectId: objectB,
        sourceId: 'inbox',
        data: { barcode: 'B-1', objectId: objectB, message: expect.stringMatching(/^broken\.tif failed QC: it is not linked to object B-1 and is flagged for re-shoot; its number is given back/) },
      },
      { type: 'object.incomplete', captureId: null, objectId: objectB, sourceId: 'inbox', data: expect.objectContaining({ barcode: 'B-1', missing: ['0 of 2 views (missing front, back)'] }) },
      { type: 'alarm', captureId: null, objectId: null, sourceId: 'inbox', data: { barcode: null, message: 'END was scanned, but no object is open: scan an object barcode first.' } },
    ]);
    // The History timeline of a1 (the command behind it reads the capture's detail) shows its object's alarm.
    const timeline = s.station.store.detail(a1)!.events;
    expect(timeline.filter((e) => e.type === 'object.incomplete').map((e) => e.data)).toEqual([expect.objectContaining({ barcode: 'A-1', missing: ['1 of 2 views (missing back)'] })]);
    expect(timeline.findIndex((e) => e.type === 'object.incomplete')).toBeGreaterThan(timeline.findIndex((e) => e.type === 'capture.linked'));
    expect(s.station.store.detail(broken)!.events.map((e) => e.type)).toContain('alarm');
  });
});

describe('the station\'s own moves in the library', () => {
  it('sets a rejected object\'s files aside under _rejected/<barcode>/, and leaves no folder its moves emptied', async () => {
    const s = await start({ linking: { enabled: true, template: '{barcode}/{barcode}_{seq:03}{ext}' } });
    s.station.linker.scan('R-1');
    const r1 = await s.shoot('r1.tif', 1);
    await s.shoot('r2.tif', 2);
    expect(filesUnder(s.library)).toEqual(['R-1/R-1_001.tif', 'R-1/R-1_002.tif']);
    expect(s.station.linker.scan('%%REJECT%%').closed).toMatchObject({ barcode: 'R-1', reason: 'rejected' });
    await waitFor(() => filesUnder(s.library).length === 2 && filesUnder(s.library).every((f) => f.startsWith('_rejected/')), 'rejected files set aside');
    await s.station.linker.settled();
    expect(filesUnder(s.library)).toEqual(['_rejected/R-1/r1.tif', '_rejected/R-1/r2.tif']);
    expect(foldersUnder(s.library)).toEqual(['_rejected', '_rejected/R-1']);
    expect(s.station.store.get(r1)!.path).toBe(path.join(s.library, '_rejected/R-1/r1.tif'));
    expect(s.station.store.detail(r1)!.events.filter((e) => e.type === 'capture.filed').at(-1)?.data).toEqual({ from: path.join(s.library, 'R-1/R-1_001.tif'), to: path.join(s.library, '_rejected/R-1/r1.tif') });

    // UNDO of an object's only shot: set aside for re-shoot, its barcode folder goes.
    s.station.linker.scan('U-1');
    await s.shoot('u1.tif', 3);
    s.station.linker.scan('%%UNDO%%');
    await waitFor(() => filesUnder(s.library).includes('_reshoot/U-1/u1.tif'), 'undone shot set aside');
    await s.station.linker.settled();
    expect(foldersUnder(s.library)).toEqual(['_rejected', '_rejected/R-1', '_reshoot', '_reshoot/U-1']);

    // A merge empties the merged object's folder; its undo fills it again and empties nothing else.
    s.station.linker.scan('M-1');
    const m1 = await s.shoot('m1.tif', 4);
    s.station.linker.scan('M-2');
    const m2 = await s.shoot('m2.tif', 5);
    s.station.linker.scan('%%END%%');
    const [objectM1, objectM2] = [m1, m2].map((id) => s.station.linker.links.linkOf(id)!.objectId);
    await s.station.linker.editor.mergeObjects(objectM2!, objectM1!);
    expect(filesUnder(path.join(s.library, 'M-1'))).toEqual(['M-1_001.tif', 'M-1_002.tif']);
    expect(fs.existsSync(path.join(s.library, 'M-2'))).toBe(false);
    await s.station.linker.editor.undoLast();
    expect(filesUnder(s.library).filter((f) => f.startsWith('M-'))).toEqual(['M-1/M-1_001.tif', 'M-2/M-2_001.tif']);
    expect(foldersUnder(s.library)).toEqual(['M-1', 'M-2', '_rejected', '_rejected/R-1', '_reshoot', '_reshoot/U-1']);
  });
});

describe('a REJECT cut short', () => {
  it('sets the rejected object\'s files aside on the next start when the station stopped before their moves were journaled', async () => {
    const s = await start({ linking: { enabled: true, template: '{barcode}/{barcode}_{seq:03}{ext}' } });
    s.station.linker.scan('R-9');
    const r1 = await s.shoot('r1.tif', 1);
    await s.stop();
    // What REJECT commits (src/linking/store.ts closeObject), with the station gone before filing ran.
    const db = s.db();
    db.prepare(`UPDATE objects SET state = 'rejected', close_reason = 'rejected', closed_at = ? WHERE barcode = 'R-9'`).run(new Date().toISOString());
    expect(filesUnder(s.library)).toEqual(['R-9/R-9_001.tif']);

    const again = new Station(loadConfig({ home: s.home }));
    cleanup.push(() => again.stop());
    await again.start();
    await waitFor(() => filesUnder(s.library).includes('_rejected/R-9/r1.tif'), 'set aside on start');
    await again.linker.settled();
    expect(filesUnder(s.library)).toEqual(['_rejected/R-9/r1.tif']);
    expect(foldersUnder(s.library)).toEqual(['_rejected', '_rejected/R-9']);
    expect(again.store.get(r1)!.path).toBe(path.join(s.library, '_rejected/R-9/r1.tif'));
  });
});

describe('export against the disk', () => {
  it('says which files retention removed and which a re-shoot wrote over, what each target holds, and the project and operator the names were made from', async () => {
    const s = await start({
      linking: { enabled: true, project: 'Herbarium', operator: 'ana', template: '{project}/{barcode}/{barcode}_{seq:03}{ext}' },
      targets: [{ id: 'nas', kind: 'folder', path: 'Share', mountCheck: false, required: true }],
      upload: { probeIntervalSec: 0.2, backoff: { baseMs: 50, maxMs: 500 } },
      retention: { deleteLocal: true, keepDays: 0, checkIntervalSec: 1 },
    });
    // Shot with no object open: it fails, stays in the hot folder, and its name is shot again.
    fs.copyFileSync(path.join(corpus, 'tiff/pillow/crash-2020-10-test.tif'), path.join(s.inbox, 'IMG_1.tif'));
    await waitFor(() => s.station.store.counts().fail === 1, 'IMG_1 v1 failed');
    const v1 = s.idOf('IMG_1.tif');
    s.station.linker.scan('P-1');
    const v2 = await s.shoot('IMG_1.tif', 7);
    s.station.linker.scan('%%END%%');
    await waitFor(() => s.station.store.detail(v2)!.events.some((e) => e.type === 'capture.local-removed'), 'v2 uploaded and removed locally');
    await s.stop();

    const out = capture();
    expect(await main(['export', '--home', s.home], out)).toBe(0);
    const rows = JSON.parse(out.stdout) as Record<string, unknown>[];
    const filed = path.join(s.library, 'Herbarium/P-1/P-1_001.tif');
    expect(rows.find((r) => r.id === v1)).toMatchObject({ path: path.join(s.inbox, 'IMG_1.tif'), fileState: 'overwritten', replacedBy: v2, localRemovedAt: null, uploads: { nas: { state: null, key: null } } });
    expect(rows.find((r) => r.id === v2)).toMatchObject({
      path: filed,
      fileState: 'removed',
      localRemovedAt: expect.stringMatching(/^\d{4}-/),
      replacedBy: null,
      project: 'Herbarium',
      operator: 'ana',
      barcode: 'P-1',
      uploads: { nas: { state: 'done', key: 'rig-7/Herbarium/P-1/P-1_001.tif' } },
    });
    expect(fs.existsSync(filed)).toBe(false);
    expect(fs.existsSync(path.join(s.home, 'Share/rig-7/Herbarium/P-1/P-1_001.tif'))).toBe(true);

    const csv = capture();
    expect(await main(['export', '--format', 'csv', '--home', s.home], csv)).toBe(0);
    const [header, ...lines] = csv.stdout.trim().split('\r\n');
    expect(header!.split(',').slice(-5)).toEqual(['fileState', 'localRemovedAt', 'replacedBy', 'upload.nas.state', 'upload.nas.key']);
    expect(lines.find((l) => l.startsWith(`${v2},`))).toMatch(/,removed,\d{4}-[^,]+,,done,rig-7\/Herbarium\/P-1\/P-1_001\.tif$/);
  });
});
