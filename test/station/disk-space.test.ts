/** Free-disk warnings: one per file system (not per folder), naming the folders on it, with advice that fits the retention config. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import type { StationEvents } from '../../src/contract/events.js';
import { diskAdvice, diskStatus, fileSystemsOf, folderNames, type WatchedFolder } from '../../src/station/disk-space.js';
import { Station } from '../../src/station/station.js';
import { makeHome, waitFor } from '../helpers/station-home.js';

const cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn();
});

function tempDir(parent = os.tmpdir()): string {
  const dir = fs.mkdtempSync(path.join(parent, 'cs-disk-'));
  cleanup.push(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** A second file system to write to (a tmpfs), when this machine has one apart from the temp folder's. */
const otherFs = ['/dev/shm'].find((d) => {
  try {
    fs.accessSync(d, fs.constants.W_OK);
    return fs.statSync(d).dev !== fs.statSync(os.tmpdir()).dev;
  } catch {
    return false;
  }
});

describe('free disk space by file system', () => {
  it('groups the folders on one disk into one entry naming them all; a folder not made yet is left out, not measured by its parent', () => {
    const home = tempDir();
    for (const f of ['CopyStand', 'Conveyor', 'Library']) fs.mkdirSync(path.join(home, f));
    const folders: WatchedFolder[] = [
      { role: 'hot folder', id: 'copystand', path: path.join(home, 'CopyStand') },
      { role: 'hot folder', id: 'conveyor', path: path.join(home, 'Conveyor') },
      { role: 'library', path: path.join(home, 'Library') },
      { role: 'database', path: home },
    ];
    const unmeasured: string[] = [];
    const missing: WatchedFolder = { role: 'hot folder', id: 'share', path: path.join(home, 'not-mounted', 'Share') };
    const groups = fileSystemsOf([...folders, missing], (f, err) => unmeasured.push(`${f.id}: ${err.code}`));
    expect(unmeasured).toEqual(['share: ENOENT']);
    expect(groups).toHaveLength(1);
    expect(groups[0]!.folders).toEqual(folders);
    expect(groups[0]!.freeBytes).toBeGreaterThan(0);
    expect(folderNames(groups[0]!.folders)).toBe('hot folders "copystand" and "conveyor", the library and the database');

    const [disk, ...more] = diskStatus(folders, { warnFreeGB: 1e9, criticalFreeGB: 1e9, deleteLocal: false, keepDays: 30, requiredTargets: 1 });
    expect(more).toEqual([]);
    expect(disk).toMatchObject({ path: folders[0]!.path, level: 'critical', folders });
    expect(disk!.message).toMatch(/^Only \d+\.\d GB free on the disk of hot folders "copystand" and "conveyor", the library and the database \(below 1000000000 GB: captures may soon fail to be written\) — free space there, or let retention remove uploaded files \(set retention\.deleteLocal: true\)\.$/);
    expect(diskStatus(folders, { warnFreeGB: 1e9, criticalFreeGB: 0, deleteLocal: false, keepDays: 30, requiredTargets: 1 })[0]).toMatchObject({ level: 'warn', message: expect.stringContaining('(below 1000000000 GB)') });
    expect(diskStatus(folders, { warnFreeGB: 0, criticalFreeGB: 0, deleteLocal: false, keepDays: 30, requiredTargets: 1 })[0]).toMatchObject({ level: 'ok', message: null });
  });

  it.skipIf(!otherFs)('keeps folders on different disks apart', () => {
    const here = tempDir();
    const there = tempDir(otherFs);
    const groups = fileSystemsOf([
      { role: 'hot folder', id: 'inbox', path: here },
      { role: 'library', path: there },
      { role: 'database', path: here },
    ]);
    expect(groups.map((g) => folderNames(g.folders))).toEqual(['hot folder "inbox" and the database', 'the library']);
  });

  it('gives advice that fits the retention config, and none about retention for a disk holding only the database', () => {
    const hot: WatchedFolder[] = [{ role: 'hot folder', id: 'inbox', path: '/x' }];
    expect(diskAdvice(hot, { deleteLocal: false, keepDays: 30, requiredTargets: 2 })).toBe('free space there, or let retention remove uploaded files (set retention.deleteLocal: true)');
    expect(diskAdvice(hot, { deleteLocal: false, keepDays: 30, requiredTargets: 0 })).toMatch(/only with retention\.deleteLocal: true and a target marked "required": true$/);
    const on = diskAdvice(hot, { deleteLocal: true, keepDays: 7, requiredTargets: 1 });
    expect(on).not.toMatch(/deleteLocal/);
    expect(on).toMatch(/retention already removes files every required target has verified, 7 days after \(retention\.keepDays\) — lower keepDays/);
    expect(diskAdvice(hot, { deleteLocal: true, keepDays: 30, requiredTargets: 0 })).toMatch(/deleteLocal is on, but no target is "required", so retention removes nothing/);
    const dbOnly = diskAdvice([{ role: 'database', path: '/db' }], { deleteLocal: false, keepDays: 30, requiredTargets: 1 });
    expect(dbOnly).not.toMatch(/retention/);
    expect(dbOnly).toMatch(/paths\.database/);
    expect(diskAdvice([{ role: 'logs', path: '/logs' }], { deleteLocal: false, keepDays: 30, requiredTargets: 1 })).toBe('free space there, or move the logs folder to a larger disk (paths.logs)');
    expect(diskAdvice([{ role: 'database', path: '/db' }, { role: 'logs', path: '/logs' }], { deleteLocal: false, keepDays: 30, requiredTargets: 1 })).toBe('free space there, or move the database and the logs folder to a larger disk (paths.database, paths.logs)');
  });

  it('a running station whose folders share one disk raises one alarm for it, with advice for retention already on', async () => {
    const home = makeHome({
      ingest: { rescanIntervalSec: 0 },
      targets: [{ id: 'nas', kind: 'folder', path: 'Share', mountCheck: false, required: true }],
      retention: { warnFreeGB: 1_000_000, criticalFreeGB: 1_000_000, deleteLocal: true, keepDays: 14 },
    });
    cleanup.push(() => fs.rmSync(home, { recursive: true, force: true }));
    // The logs folder as `run` makes it: its disk is watched too.
    for (const f of ['Share', 'Library', 'logs']) fs.mkdirSync(path.join(home, f));
    const station = new Station(loadConfig({ home }));
    const events: StationEvents['disk.status'][] = [];
    station.on('disk.status', (d) => events.push(d));
    cleanup.push(() => station.stop());
    await station.start();
    await waitFor(() => station.status().disks.length > 0, 'the first free-disk check');
    const disks = station.status().disks;
    expect(disks).toHaveLength(1);
    expect(disks[0]!.folders.map((f) => f.role)).toEqual(['hot folder', 'library', 'database', 'logs']);
    expect(events).toHaveLength(1);
    expect(events[0]!.message).toMatch(/on the disk of hot folder "[^"]+", the library, the database and the logs folder .*retention already removes files every required target has verified, 14 days after/);
  });
});
