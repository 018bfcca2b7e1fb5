/**
 * Copies the station left at its targets under names a link edit took from their captures: removed
 * once the capture's new copy is verified and their bytes are proven the station's own; a copy
 * someone replaced is left alone and reported; an upload whose key holds such a copy removes it
 * first instead of dying. Real targets: a folder, moto_server (S3).
 */
import fs from 'node:fs';
import path from 'node:path';
import { DeleteObjectCommand, GetObjectCommand, ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import type { StationConfigInput } from '../../src/config/schema.js';
import { loadConfig } from '../../src/config/load.js';
import { addLogSink, type LogRecord } from '../../src/log/logger.js';
import { Station } from '../../src/station/station.js';
import { StaleCopies } from '../../src/upload/stale-copies.js';
import { writeGoodTiff } from '../helpers/images.js';
import { capture } from '../helpers/output.js';
import { filesUnder, makeHome, waitFor } from '../helpers/station-home.js';
import { sha256, sha256OfFile } from './fixture.js';
import { motoCredentials, motoMissing, startMoto } from './moto.js';

const cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn();
});

/** What is at a target: its keys, and the sha256 of the bytes under one. */
interface Remote {
  keys(): Promise<string[]>;
  sha256Of(key: string): Promise<string>;
  /** Someone else writes `bytes` under `key` (replacing what is there). */
  replace(key: string, bytes: Buffer): Promise<void>;
  prefix: string;
}

async function startStation(target: StationConfigInput['targets'], extra: Partial<StationConfigInput> = {}) {
  const home = makeHome({
    station: { id: 'stand-1' },
    ingest: { stableWindowMs: 200, rescanIntervalSec: 0 },
    linking: { enabled: true, mode: 'scan-before-capture', template: '{barcode}/{barcode}_{seq:02}{ext}' },
    targets: target,
    upload: { probeIntervalSec: 0.2, backoff: { baseMs: 50, maxMs: 300 } },
    ...extra,
  });
  cleanup.push(() => fs.rmSync(home, { recursive: true, force: true }));
  const config = loadConfig({ home });
  const station = new Station(config);
  await station.start();
  cleanup.push(() => station.stop());
  // The test reads the station's tables through a connection of its own.
  const db = new Database(config.locations.database, { readonly: true, fileMustExist: true });
  cleanup.push(() => void db.close());
  return { home, station, db };
}

/** Shoots one image of `barcode` and closes the object; resolves with its capture id once recorded. */
async function shoot(home: string, station: Station, barcode: string, name: string, seed: number): Promise<number> {
  const before = station.store.counts().total;
  station.linker.scan(barcode);
  await writeGoodTiff(path.join(home, 'Inbox', name), seed);
  await waitFor(() => station.store.counts().total === before + 1, `${name} recorded`);
  station.linker.scan('%%END%%');
  return station.store.list({ limit: 1 })[0]!.id;
}

const settled = (station: Station) => {
  const t = station.uploader.status().targets[0]!;
  return t.counts.queued === 0 && t.counts.leased === 0 && station.uploader.active === 0;
};

function folderRemote(home: string): Remote {
  const share = path.join(home, 'share');
  return {
    prefix: '',
    keys: async () => filesUnder(share).filter((f) => !path.basename(f).startsWith('.')),
    sha256Of: async (key) => sha256OfFile(path.join(share, key)),
    replace: async (key, bytes) => fs.writeFileSync(path.join(share, key), bytes),
  };
}

/**
 * The reviewer's day: capture A relinked to the object B is (wrongly), the edit undone, then B
 * relinked to it (the real object) while A's old copy is still under that name. B's job finds A's
 * bytes at its key, waits until A's copy is back under A's name, removes A's superseded copy after
 * proving its bytes, and uploads B: the archive ends with each image exactly once, under its
 * object, and no stale copy, no dead job.
 */
async function relinkUndoRelink(home: string, station: Station, db: Database.Database, remote: Remote): Promise<void> {
  const p = remote.prefix;
  const a = await shoot(home, station, 'OBJ-1', 'a.tif', 3);
  const b = await shoot(home, station, 'OBJ-2', 'b.tif', 4);
  await waitFor(async () => (await remote.keys()).length === 2 && settled(station), 'both uploaded');
  const shaA = station.store.detail(a)!.sha256!;
  const shaB = station.store.detail(b)!.sha256!;
  expect(await remote.sha256Of(`${p}stand-1/OBJ-1/OBJ-1_01.tif`)).toBe(shaA);

  await station.linker.editor.relinkCaptures([a], 'OBJ-3');
  await waitFor(async () => (await remote.keys()).includes(`${p}stand-1/OBJ-3/OBJ-3_01.tif`), 'A uploaded under the wrong object');
  // The undo and the relink of the real object follow at once: A's copy under OBJ-3 is still there.
  await station.linker.editor.undoLast();
  await station.linker.editor.relinkCaptures([b], 'OBJ-3');
  await waitFor(async () => settled(station) && new StaleCopies(db).remaining().length === 0 && (await remote.keys()).length === 2, 'everything settled', 60_000);

  expect(await remote.keys()).toEqual([`${p}stand-1/OBJ-1/OBJ-1_01.tif`, `${p}stand-1/OBJ-3/OBJ-3_01.tif`]);
  expect(await remote.sha256Of(`${p}stand-1/OBJ-1/OBJ-1_01.tif`)).toBe(shaA);
  expect(await remote.sha256Of(`${p}stand-1/OBJ-3/OBJ-3_01.tif`)).toBe(shaB);
  const status = station.uploader.status().targets[0]!;
  expect(status).toMatchObject({ counts: { dead: 0, done: 2 }, staleCount: 0, stale: [] });
  // Every removal is in the event log, with what was proven.
  const removed = db.prepare("SELECT capture_id AS captureId, json_extract(data_json, '$.remoteKey') AS key FROM events WHERE type = 'upload.stale.removed' ORDER BY id").all() as { captureId: number; key: string }[];
  expect(removed).toEqual(
    expect.arrayContaining([
      { captureId: a, key: `${p}stand-1/OBJ-3/OBJ-3_01.tif` },
      { captureId: b, key: `${p}stand-1/OBJ-2/OBJ-2_01.tif` },
    ]),
  );
  // A's copy under OBJ-1 was either removed and sent again after the undo, or dropped from removal
  // when A took its name back before the removal ran; either way it is recorded.
  const rows = db.prepare('SELECT capture_id AS c, remote_key AS k, state FROM stale_copies ORDER BY id').all() as { c: number; k: string; state: string }[];
  expect(rows.every((r) => r.state === 'removed' || r.state === 'dropped')).toBe(true);
  expect(rows.map((r) => `${r.c} ${r.k}`)).toEqual(
    expect.arrayContaining([`${a} ${p}stand-1/OBJ-1/OBJ-1_01.tif`, `${a} ${p}stand-1/OBJ-3/OBJ-3_01.tif`, `${b} ${p}stand-1/OBJ-2/OBJ-2_01.tif`]),
  );
}

/**
 * Two objects whose labels were swapped, fixed after both were uploaded, while the share is away
 * (uploads back up): each object is relabelled (through a spare barcode, as no two objects can hold
 * one name at once). When the share is back, the two images swap names there: each upload finds the
 * other's old copy at its key, whose capture has no copy under its new name yet. The archive ends
 * with each image exactly once, under its real object, and no stale copy, no dead job.
 */
async function swappedLabels(home: string, station: Station, db: Database.Database, remote: Remote, away: (gone: boolean) => void): Promise<void> {
  const a = await shoot(home, station, 'OBJ-1', 'a.tif', 5);
  const b = await shoot(home, station, 'OBJ-2', 'b.tif', 6);
  await waitFor(async () => (await remote.keys()).length === 2 && settled(station), 'both uploaded');
  away(true);
  await waitFor(() => station.uploader.status().targets[0]!.online === false, 'the share away');
  const objectOf = (id: number) => station.linker.links.linkOf(id)!.objectId;
  await station.linker.editor.relinkObject(objectOf(a), 'SPARE');
  await station.linker.editor.relinkObject(objectOf(b), 'OBJ-1');
  await station.linker.editor.relinkObject(objectOf(a), 'OBJ-2');
  expect(station.uploader.status().targets[0]!.counts).toMatchObject({ queued: 2, done: 0 });
  away(false);
  await waitFor(async () => settled(station) && new StaleCopies(db).remaining().length === 0 && (await remote.keys()).length === 2, 'everything settled', 20_000);

  expect(await remote.keys()).toEqual(['stand-1/OBJ-1/OBJ-1_01.tif', 'stand-1/OBJ-2/OBJ-2_01.tif']);
  expect(await remote.sha256Of('stand-1/OBJ-1/OBJ-1_01.tif')).toBe(station.store.detail(b)!.sha256);
  expect(await remote.sha256Of('stand-1/OBJ-2/OBJ-2_01.tif')).toBe(station.store.detail(a)!.sha256);
  expect(station.uploader.status().targets[0]).toMatchObject({ counts: { dead: 0, done: 2 }, staleCount: 0, stale: [] });
}

describe('superseded copies at a folder target', () => {
  it('two objects whose labels were swapped, relabelled while the share was away: each image ends under its real object, no stale copy, no dead job', async () => {
    const { home, station, db } = await startStation([{ id: 'nas', kind: 'folder', path: 'share', mountCheck: true }]);
    // The share counts as mounted while it holds its marker file.
    const marker = path.join(home, 'share', '.capture-station-target');
    fs.mkdirSync(path.join(home, 'share'));
    fs.writeFileSync(marker, '');
    await swappedLabels(home, station, db, folderRemote(home), (gone) => (gone ? fs.rmSync(marker) : fs.writeFileSync(marker, '')));
  });

  it('relink → undo → relink of the real object ends with exactly the right bytes under each name and no stale copy', async () => {
    const { home, station, db } = await startStation([{ id: 'nas', kind: 'folder', path: 'share', mountCheck: false }]);
    fs.mkdirSync(path.join(home, 'share'));
    await relinkUndoRelink(home, station, db, folderRemote(home));
  });

  it('leaves a superseded copy someone replaced alone, and the queue, its --json and doctor report it', async () => {
    const { home, station, db } = await startStation([{ id: 'nas', kind: 'folder', path: 'share', mountCheck: false }]);
    fs.mkdirSync(path.join(home, 'share'));
    const remote = folderRemote(home);
    const a = await shoot(home, station, 'OBJ-1', 'a.tif', 3);
    await waitFor(async () => (await remote.keys()).length === 1 && settled(station), 'uploaded');
    const foreign = Buffer.from('a curator saved another file under this name');
    await remote.replace('stand-1/OBJ-1/OBJ-1_01.tif', foreign);

    await station.linker.editor.relinkCaptures([a], 'OBJ-2');
    await waitFor(() => new StaleCopies(db).remaining()[0]?.status === 'kept', 'the replaced copy kept');
    expect(await remote.keys()).toEqual(['stand-1/OBJ-1/OBJ-1_01.tif', 'stand-1/OBJ-2/OBJ-2_01.tif']);
    expect(await remote.sha256Of('stand-1/OBJ-1/OBJ-1_01.tif')).toBe(sha256(foreign));
    expect(await remote.sha256Of('stand-1/OBJ-2/OBJ-2_01.tif')).toBe(station.store.detail(a)!.sha256);
    const live = station.uploader.status().targets[0]!;
    expect(live.staleCount).toBe(1);
    expect(live.stale[0]).toMatchObject({ captureId: a, remoteKey: 'stand-1/OBJ-1/OBJ-1_01.tif', state: 'kept' });
    expect(live.stale[0]!.note).toMatch(/someone replaced it, so it is left alone/);
    expect(station.store.detail(a)!.events.map((e) => e.type)).toContain('upload.stale.kept');
    await station.stop();

    const q = capture();
    expect(await main(['queue', '--home', home], q)).toBe(0);
    expect(q.stdout).toMatch(/stale copies at nas: 1 under names their captures no longer have \(0 to be removed by the station, 1 left there\)/);
    expect(q.stdout).toContain('stale: nas stand-1/OBJ-1/OBJ-1_01.tif (capture');
    const j = capture();
    expect(await main(['queue', '--home', home, '--json'], j)).toBe(0);
    expect(JSON.parse(j.stdout).targets[0]).toMatchObject({ staleCount: 1, stale: [{ remoteKey: 'stand-1/OBJ-1/OBJ-1_01.tif', state: 'kept' }] });
    const d = capture();
    await main(['doctor', '--home', home, '--json'], d);
    const finding = (JSON.parse(d.stdout) as { findings: { what: string; status: string; detail: string }[] }).findings.find((f) => f.what === 'stale copies at "nas"');
    expect(finding).toMatchObject({ status: 'warn' });
    expect(finding!.detail).toContain('stand-1/OBJ-1/OBJ-1_01.tif');
  });

  it('a capture relinked after retention removed its local file keeps its only copy under the old name, listed as kept with a WARN', async () => {
    const { home, station, db } = await startStation([{ id: 'nas', kind: 'folder', path: 'share', mountCheck: false }], { retention: { deleteLocal: true, keepDays: 0, checkIntervalSec: 1 } });
    fs.mkdirSync(path.join(home, 'share'));
    const remote = folderRemote(home);
    const a = await shoot(home, station, 'OBJ-1', 'a.tif', 3);
    const removedAt = () => (db.prepare('SELECT local_deleted_at AS at FROM captures WHERE id = ?').get(a) as { at: string | null }).at;
    await waitFor(() => removedAt() !== null, 'the local file removed by retention');

    const warnings: LogRecord[] = [];
    const removeSink = addLogSink((r) => void (r.level === 'warn' && warnings.push(r)));
    await station.linker.editor.relinkCaptures([a], 'OBJ-2').finally(removeSink);
    const kept = new StaleCopies(db).remaining();
    expect(kept).toMatchObject([{ captureId: a, remoteKey: 'stand-1/OBJ-1/OBJ-1_01.tif', status: 'kept' }]);
    expect(kept[0]!.note).toMatch(/relinked to OBJ-2 after retention removed its local file: this copy is its only one/);
    expect(await remote.keys()).toEqual(['stand-1/OBJ-1/OBJ-1_01.tif']);
    expect(station.uploader.status().targets[0]).toMatchObject({ staleCount: 1, counts: { done: 1, queued: 0, dead: 0 } });
    expect(warnings.map((w) => w.message)).toContain('a relinked capture whose local file retention removed cannot be uploaded again: its copy at the target keeps the old name');
    // Undone, nothing is recorded twice.
    await station.linker.editor.undoLast();
    expect(new StaleCopies(db).remaining()).toHaveLength(1);
  });

  it('a different file at the key that the station did not write stays a dead job with its message', async () => {
    const { home, station } = await startStation([{ id: 'nas', kind: 'folder', path: 'share', mountCheck: false }]);
    const share = path.join(home, 'share');
    fs.mkdirSync(path.join(share, 'stand-1', 'OBJ-1'), { recursive: true });
    fs.writeFileSync(path.join(share, 'stand-1', 'OBJ-1', 'OBJ-1_01.tif'), 'not the station\'s');
    await shoot(home, station, 'OBJ-1', 'a.tif', 3);
    await waitFor(() => station.uploader.status().targets[0]!.counts.dead === 1, 'dead');
    expect(station.uploader.status().targets[0]!.dead[0]!.error).toMatch(/A different file is already at .*OBJ-1_01\.tif/);
    expect(fs.readFileSync(path.join(share, 'stand-1', 'OBJ-1', 'OBJ-1_01.tif'), 'utf8')).toBe('not the station\'s');
  });
});

describe.skipIf(motoMissing !== null)('superseded copies at an S3 target (moto_server)', () => {
  async function s3Station() {
    const moto = await startMoto();
    cleanup.push(() => moto.stop());
    await moto.createBucket('scans');
    const { home, station, db } = await startStation([{ id: 'bucket', kind: 's3', endpoint: moto.endpoint, region: 'us-east-1', bucket: 'scans', prefix: 'p', forcePathStyle: true, ...motoCredentials }]);
    const remote: Remote = {
      prefix: 'p/',
      keys: async () => ((await moto.client.send(new ListObjectsV2Command({ Bucket: 'scans' }))).Contents ?? []).map((o) => o.Key!).sort(),
      sha256Of: async (key) => sha256(Buffer.from(await (await moto.client.send(new GetObjectCommand({ Bucket: 'scans', Key: key }))).Body!.transformToByteArray())),
      replace: async (key, bytes) => {
        await moto.client.send(new DeleteObjectCommand({ Bucket: 'scans', Key: key }));
        await moto.client.send(new PutObjectCommand({ Bucket: 'scans', Key: key, Body: bytes }));
      },
    };
    return { home, station, db, remote };
  }

  it('relink → undo → relink of the real object ends with exactly the right bytes under each key and no stale copy', async () => {
    const { home, station, db, remote } = await s3Station();
    await relinkUndoRelink(home, station, db, remote);
  });

  it('leaves an object someone replaced under a superseded key alone and reports it', async () => {
    const { home, station, db, remote } = await s3Station();
    const a = await shoot(home, station, 'OBJ-1', 'a.tif', 3);
    await waitFor(async () => (await remote.keys()).length === 1 && settled(station), 'uploaded');
    await remote.replace('p/stand-1/OBJ-1/OBJ-1_01.tif', Buffer.from('someone else\'s object'));
    await station.linker.editor.relinkCaptures([a], 'OBJ-2');
    await waitFor(() => new StaleCopies(db).remaining()[0]?.status === 'kept', 'the replaced object kept');
    expect(await remote.keys()).toEqual(['p/stand-1/OBJ-1/OBJ-1_01.tif', 'p/stand-1/OBJ-2/OBJ-2_01.tif']);
    expect(await remote.sha256Of('p/stand-1/OBJ-1/OBJ-1_01.tif')).toBe(sha256(Buffer.from('someone else\'s object')));
    expect(station.uploader.status().targets[0]!.stale[0]!.note).toMatch(/someone replaced it, so it is left alone/);
  });
});
