/**
 * Removal of the station's own superseded copies through the uploader, on real targets: a tus
 * upload terminated at @tus/server (DELETE), a holder killed mid-removal and taken over, and an
 * upload whose key holds another capture's superseded copy waiting for that capture's new copy,
 * then removing the old one and uploading.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { TargetConfig } from '../../src/config/schema.js';
import { FolderTarget, type FolderTargetFaults } from '../../src/upload/folder-target.js';
import { addToManifest, manifestName, readManifest } from '../../src/upload/md5-manifest.js';
import { Outbox } from '../../src/upload/outbox.js';
import { StaleCopies } from '../../src/upload/stale-copies.js';
import { TusTarget } from '../../src/upload/tus-target.js';
import { Uploader } from '../../src/upload/uploader.js';
import { waitFor } from '../helpers/station-home.js';
import { randomBytes, settings, sha256OfFile } from './fixture.js';
import { tusBed } from './tus-bed.js';

const here = path.dirname(new URL(import.meta.url).pathname);
const repo = path.resolve(here, '../..');
const bed = tusBed();
const stops: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const stop of stops.splice(0).reverse()) await stop();
});

const fast = { backoff: { baseMs: 20, maxMs: 100 }, probeIntervalSec: 0.1 };
const library = () => path.join(bed.fx.dir, 'Library');

/** Files the capture into the library under `rel` (as filing or a link edit's rename does). */
function fileAs(captureId: number, rel: string): void {
  const c = bed.fx.store.captures.get(captureId)!;
  const to = path.join(library(), rel);
  fs.mkdirSync(path.dirname(to), { recursive: true });
  fs.renameSync(c.path, to);
  bed.fx.store.db.prepare('UPDATE captures SET path = ? WHERE id = ?').run(to, captureId);
}

function folderSetup(faults?: FolderTargetFaults, layout: 'mirror' | 'osprey' = 'mirror') {
  const share = path.join(bed.fx.dir, 'share');
  fs.mkdirSync(share, { recursive: true });
  const config: TargetConfig = { id: 'share', kind: 'folder', path: share, when: 'passed', required: true, layout, mountCheck: false };
  const target = () => new FolderTarget({ id: 'share', path: share, layout, stationId: 'st1', library: library(), mountCheck: false, ...(faults ? { faults } : {}) });
  return { share, config, target };
}

function start(config: TargetConfig, target: FolderTarget | TusTarget, extra: { leaseSec?: number; stopTimeoutMs?: number } = {}): Uploader {
  const uploader = new Uploader({ db: bed.fx.store.db, targetConfigs: [config], targets: [target], settings: settings({ ...fast, leaseSec: extra.leaseSec ?? 30 }), tickMs: 50, ...(extra.stopTimeoutMs ? { stopTimeoutMs: extra.stopTimeoutMs } : {}) });
  uploader.start();
  stops.push(() => uploader.stop());
  return uploader;
}

const stale = () => new StaleCopies(bed.fx.store.db);
const jobOf = (captureId: number) => new Outbox(bed.fx.store.db).jobsOfCapture(captureId)[0]!;
const eventsOf = (type: string) => bed.fx.store.db.prepare('SELECT capture_id AS captureId, data_json AS data FROM events WHERE type = ? ORDER BY id').all(type) as { captureId: number; data: string }[];

describe('removing superseded copies', () => {
  it('terminates the superseded tus upload (DELETE) once the new one is verified, after a HEAD proved it', async () => {
    const peer = await bed.server();
    const config: TargetConfig = { id: 'tus', kind: 'tus', endpoint: peer.endpoint, headers: {}, chunkSizeBytes: 1024 * 1024, when: 'passed', required: true };
    const c = bed.fx.addCapture('a.tif', randomBytes(300_000, 1));
    fileAs(c.id, 'OBJ-1/OBJ-1_01.tif');
    const uploader = start(config, new TusTarget({ id: 'tus', endpoint: peer.endpoint, headers: {}, chunkSizeBytes: 1024 * 1024, stationId: 'st1', library: library() }));
    uploader.backfill('tus', null);
    await waitFor(() => jobOf(c.id).state === 'done', 'uploaded');
    const oldUrl = (jobOf(c.id).resume as { url: string }).url;
    const oldId = oldUrl.slice(oldUrl.lastIndexOf('/') + 1);
    expect(sha256OfFile(path.join(bed.store, oldId))).toBe(c.sha256);

    fileAs(c.id, 'OBJ-2/OBJ-2_01.tif');
    uploader.renamed([c.id]);
    await waitFor(() => stale().get(1)?.status === 'removed', 'the old upload removed');
    const job = jobOf(c.id);
    expect(job).toMatchObject({ state: 'done', remoteKey: 'st1/OBJ-2/OBJ-2_01.tif' });
    const newUrl = (job.resume as { url: string }).url;
    expect(newUrl).not.toBe(oldUrl);
    expect(sha256OfFile(path.join(bed.store, newUrl.slice(newUrl.lastIndexOf('/') + 1)))).toBe(c.sha256);
    expect(fs.existsSync(path.join(bed.store, oldId))).toBe(false);
    const head = await fetch(oldUrl, { method: 'HEAD', headers: { 'Tus-Resumable': '1.0.0' } });
    expect([404, 410]).toContain(head.status);
    expect(stale().get(1)!.note).toMatch(/^removed .*confirmed by HEAD first/);
    expect(eventsOf('upload.stale.removed').map((e) => e.captureId)).toEqual([c.id]);
  });

  it('a holder stalled mid-removal past its lease is taken over: the next one proves the bytes again and removes them; the stalled one deletes nothing', async () => {
    let hold: (() => void) | null = null;
    const held = new Promise<void>((resolve) => (hold = resolve));
    let stalls = 0;
    const { share, config, target } = folderSetup();
    // The first holder stops for good between proving the bytes and removing them.
    const stalling = new FolderTarget({ id: 'share', path: share, layout: 'mirror', stationId: 'st1', library: library(), mountCheck: false, faults: { beforeRemove: () => (stalls++ === 0 ? held : undefined) } });
    const c = bed.fx.addCapture('a.tif', randomBytes(200_000, 2));
    fileAs(c.id, 'OBJ-1/OBJ-1_01.tif');
    const first = start(config, stalling, { leaseSec: 1, stopTimeoutMs: 50 });
    first.backfill('share', null);
    await waitFor(() => jobOf(c.id).state === 'done', 'uploaded');
    fileAs(c.id, 'OBJ-2/OBJ-2_01.tif');
    first.renamed([c.id]);
    await waitFor(() => stalls === 1, 'the first holder stalled mid-removal');
    const oldCopy = path.join(share, 'st1/OBJ-1/OBJ-1_01.tif');
    expect(fs.existsSync(oldCopy)).toBe(true);
    await first.stop(); // gives up waiting for the stalled removal: its lease stays until it expires

    const second = start(config, target(), { leaseSec: 1 });
    await waitFor(() => stale().get(1)?.status === 'removed', 'taken over and removed');
    expect(fs.existsSync(oldCopy)).toBe(false);
    expect(sha256OfFile(path.join(share, 'st1/OBJ-2/OBJ-2_01.tif'))).toBe(c.sha256);
    // A new file arrives under the old name; the stalled holder wakes up and must not touch it.
    fs.writeFileSync(oldCopy, 'a new file under the old name');
    hold!();
    await new Promise((r) => setTimeout(r, 200));
    expect(fs.readFileSync(oldCopy, 'utf8')).toBe('a new file under the old name');
    expect(eventsOf('upload.stale.removed')).toHaveLength(1);
    await second.stop();
  });

  it("with the Osprey layout, takes the removed copy's line out of its folder's checksums.md5 and leaves the other lines", async () => {
    const { share, config, target } = folderSetup(undefined, 'osprey');
    const c = bed.fx.addCapture('a.tif', randomBytes(120_000, 6));
    fileAs(c.id, 'OBJ-1/OBJ-1_01.tif');
    const uploader = start(config, target());
    uploader.backfill('share', null);
    await waitFor(() => jobOf(c.id).state === 'done', 'uploaded');
    const oldDir = path.join(share, 'st1/OBJ-1/tif');
    await addToManifest(oldDir, 'OBJ-1_02.tif', 'b'.repeat(32));
    expect([...(await readManifest(path.join(oldDir, manifestName))).keys()].sort()).toEqual(['OBJ-1_01.tif', 'OBJ-1_02.tif']);

    fileAs(c.id, 'OBJ-2/OBJ-2_01.tif');
    uploader.renamed([c.id]);
    await waitFor(() => stale().get(1)?.status === 'removed', 'the old copy removed');
    expect(fs.existsSync(path.join(oldDir, 'OBJ-1_01.tif'))).toBe(false);
    expect([...(await readManifest(path.join(oldDir, manifestName))).keys()]).toEqual(['OBJ-1_02.tif']);
    expect([...(await readManifest(path.join(share, 'st1/OBJ-2/tif', manifestName))).keys()]).toEqual(['OBJ-2_01.tif']);
  });

  it('an undo during the removal of the copy under the name it gives back: the upload waits for the removal, then sends the file again', async () => {
    let hold: (() => void) | null = null;
    const held = new Promise<void>((resolve) => (hold = resolve));
    let stalls = 0;
    const { share, config } = folderSetup();
    const target = new FolderTarget({ id: 'share', path: share, layout: 'mirror', stationId: 'st1', library: library(), mountCheck: false, faults: { beforeRemove: () => (stalls++ === 0 ? held : undefined) } });
    const c = bed.fx.addCapture('a.tif', randomBytes(100_000, 7));
    fileAs(c.id, 'OBJ-1/OBJ-1_01.tif');
    const uploader = start(config, target);
    uploader.backfill('share', null);
    await waitFor(() => jobOf(c.id).state === 'done', 'uploaded');
    fileAs(c.id, 'OBJ-2/OBJ-2_01.tif');
    uploader.renamed([c.id]);
    await waitFor(() => stalls === 1, 'removing the copy under OBJ-1, its bytes proven');
    // The undo: the capture takes the name OBJ-1 back while its old copy there is being removed.
    fileAs(c.id, 'OBJ-1/OBJ-1_01.tif');
    uploader.renamed([c.id]);
    await new Promise((r) => setTimeout(r, 300));
    expect(jobOf(c.id).state).toBe('queued');
    hold!();
    await waitFor(() => jobOf(c.id).state === 'done' && stale().remaining().length === 0 && stalls === 2, 'settled');
    expect(sha256OfFile(path.join(share, 'st1/OBJ-1/OBJ-1_01.tif'))).toBe(c.sha256);
    expect(fs.existsSync(path.join(share, 'st1/OBJ-2/OBJ-2_01.tif'))).toBe(false);
    expect(jobOf(c.id)).toMatchObject({ remoteKey: 'st1/OBJ-1/OBJ-1_01.tif', verifiedSha256: c.sha256 });
    expect(eventsOf('upload.stale.removed').map((e) => JSON.parse(e.data).remoteKey)).toEqual(['st1/OBJ-1/OBJ-1_01.tif', 'st1/OBJ-2/OBJ-2_01.tif']);
  });

  for (const when of ['before', 'after'] as const) {
    it(`a station SIGKILLed ${when === 'before' ? 'between proving a superseded copy and removing it' : 'between removing a superseded copy and recording it'}: the next start proves again and settles it`, async () => {
      const { share, config, target } = folderSetup();
      const c = bed.fx.addCapture('a.tif', randomBytes(200_000, 5));
      fileAs(c.id, 'OBJ-1/OBJ-1_01.tif');
      const first = start(config, target());
      first.backfill('share', null);
      await waitFor(() => jobOf(c.id).state === 'done', 'uploaded');
      await first.stop();
      // Renamed while no uploader runs: the new upload and the removal are left to the process below.
      fileAs(c.id, 'OBJ-2/OBJ-2_01.tif');
      first.renamed([c.id]);
      expect(stale().get(1)).toMatchObject({ status: 'pending', remoteKey: 'st1/OBJ-1/OBJ-1_01.tif' });

      const child = spawn(process.execPath, ['--import', 'tsx', path.join(here, 'stale-removal-child.ts'), path.join(bed.fx.dir, 'station.db'), share, library(), when], { cwd: repo, stdio: ['ignore', 'ignore', 'pipe'] });
      let stderr = '';
      child.stderr.on('data', (d: Buffer) => void (stderr += d.toString()));
      const exit = await new Promise<NodeJS.Signals | null>((resolve) => child.on('exit', (_code, signal) => resolve(signal)));
      expect(exit, stderr).toBe('SIGKILL');
      const oldCopy = path.join(share, 'st1/OBJ-1/OBJ-1_01.tif');
      expect(jobOf(c.id)).toMatchObject({ state: 'done', remoteKey: 'st1/OBJ-2/OBJ-2_01.tif' });
      expect(fs.existsSync(oldCopy)).toBe(when === 'before');
      // The dead process still holds the lease on paper.
      expect(stale().get(1)).toMatchObject({ status: 'pending', leaseOwner: expect.any(String) });

      start(config, target());
      await waitFor(() => stale().get(1)?.status === 'removed', 'settled after the restart');
      expect(fs.existsSync(oldCopy)).toBe(false);
      expect(stale().get(1)!.note).toMatch(when === 'before' ? /^removed .*read back first/ : /was no longer there/);
      expect(sha256OfFile(path.join(share, 'st1/OBJ-2/OBJ-2_01.tif'))).toBe(c.sha256);
      expect(eventsOf('upload.stale.removed')).toHaveLength(1);
    });
  }

  for (const recorded of [true, false]) {
    it(`with the Osprey layout, a station SIGKILLed between removing a superseded copy and updating checksums.md5: the next start finds the file gone and still takes its line out (md5 ${recorded ? 'recorded at upload' : 'saved before the removal: a copy uploaded by an older version'})`, async () => {
      const { share, config, target } = folderSetup(undefined, 'osprey');
      const c = bed.fx.addCapture('a.tif', randomBytes(180_000, 8));
      fileAs(c.id, 'OBJ-1/OBJ-1_01.tif');
      const first = start(config, target());
      first.backfill('share', null);
      await waitFor(() => jobOf(c.id).state === 'done', 'uploaded');
      await first.stop();
      const oldDir = path.join(share, 'st1/OBJ-1/tif');
      await addToManifest(oldDir, 'OBJ-1_02.tif', 'b'.repeat(32));
      fileAs(c.id, 'OBJ-2/OBJ-2_01.tif');
      first.renamed([c.id]);
      if (!recorded) bed.fx.store.db.prepare('UPDATE stale_copies SET state_json = NULL WHERE id = 1').run();

      const child = spawn(process.execPath, ['--import', 'tsx', path.join(here, 'stale-removal-child.ts'), path.join(bed.fx.dir, 'station.db'), share, library(), 'after', 'osprey'], { cwd: repo, stdio: ['ignore', 'ignore', 'pipe'] });
      let stderr = '';
      child.stderr.on('data', (d: Buffer) => void (stderr += d.toString()));
      const exit = await new Promise<NodeJS.Signals | null>((resolve) => child.on('exit', (_code, signal) => resolve(signal)));
      expect(exit, stderr).toBe('SIGKILL');
      // The crash left the line of a file that is gone.
      expect(fs.existsSync(path.join(oldDir, 'OBJ-1_01.tif'))).toBe(false);
      expect([...(await readManifest(path.join(oldDir, manifestName))).keys()].sort()).toEqual(['OBJ-1_01.tif', 'OBJ-1_02.tif']);
      expect(stale().get(1)).toMatchObject({ status: 'pending', leaseOwner: expect.any(String), state: { kind: 'folder', md5: expect.stringMatching(/^[0-9a-f]{32}$/) } });

      start(config, target());
      await waitFor(() => stale().get(1)?.status === 'removed', 'settled after the restart');
      expect(stale().get(1)!.note).toMatch(/was no longer there \(its line in checksums\.md5 is taken out too\)/);
      expect([...(await readManifest(path.join(oldDir, manifestName))).keys()]).toEqual(['OBJ-1_02.tif']);
      expect([...(await readManifest(path.join(share, 'st1/OBJ-2/tif', manifestName))).keys()]).toEqual(['OBJ-2_01.tif']);
    });
  }

  it("an upload whose key holds another capture's superseded copy removes it once that capture's local file is proven, without waiting for its new copy", async () => {
    const x = bed.fx.addCapture('x.tif', randomBytes(150_000, 3));
    const y = bed.fx.addCapture('y.tif', randomBytes(150_000, 4));
    const { share, config, target } = folderSetup({
      // X's uploads under its new name fail until Y is done, so Y meets X's old copy while X has no other.
      afterWrite: (temp) => {
        if (temp.includes(`${path.sep}M${path.sep}`) && jobOf(y.id).state !== 'done') throw Object.assign(new Error('EIO: i/o error, write'), { code: 'EIO' });
      },
    });
    fileAs(x.id, 'K/img.tif');
    fileAs(y.id, 'L/img.tif');
    const uploader = start(config, target());
    uploader.backfill('share', null);
    await waitFor(() => jobOf(x.id).state === 'done' && jobOf(y.id).state === 'done', 'both uploaded');

    fileAs(x.id, 'M/img.tif');
    fileAs(y.id, 'K/img.tif');
    uploader.renamed([x.id, y.id]);
    await waitFor(() => jobOf(x.id).state === 'done' && jobOf(y.id).state === 'done' && stale().remaining().length === 0 && stale().get(2)?.status === 'removed', 'all settled');
    expect(sha256OfFile(path.join(share, 'st1/K/img.tif'))).toBe(y.sha256);
    expect(sha256OfFile(path.join(share, 'st1/M/img.tif'))).toBe(x.sha256);
    expect(fs.existsSync(path.join(share, 'st1/L/img.tif'))).toBe(false);
    // Y's first attempt removed X's old copy and uploaded: no attempt spent waiting.
    expect(jobOf(y.id)).toMatchObject({ remoteKey: 'st1/K/img.tif', verifiedSha256: y.sha256, attempts: 0 });
    const order = bed.fx.store.db
      .prepare("SELECT type, capture_id AS c, json_extract(data_json, '$.remoteKey') AS k FROM events WHERE type IN ('upload.stale.removed', 'upload.done') AND id > (SELECT MAX(id) FROM events WHERE type = 'upload.stale.recorded') ORDER BY id")
      .all() as { type: string; c: number; k: string }[];
    const seen = order.map((e) => `${e.type} ${e.c} ${e.k}`);
    expect(seen.slice(0, 2)).toEqual([`upload.stale.removed ${x.id} st1/K/img.tif`, `upload.done ${y.id} st1/K/img.tif`]);
    expect(seen.slice(2).sort()).toEqual([`upload.done ${x.id} st1/M/img.tif`, `upload.stale.removed ${y.id} st1/L/img.tif`]);
  });
});
