/** Retention: local files go only when asked, only once every required target verified them, never the only copy. */
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import type { StationConfigInput } from '../../src/config/schema.js';
import { Station } from '../../src/station/station.js';
import { openStore } from '../../src/store/open.js';
import { applyRetention, diskStatus, retentionCandidates } from '../../src/upload/retention.js';
import { writeGoodTiff } from '../helpers/images.js';
import { filesUnder, makeHome, waitFor } from '../helpers/station-home.js';

const cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn();
});

function config(retention: StationConfigInput['retention'], targets: StationConfigInput['targets'] = [{ id: 'nas', kind: 'folder', path: 'Share', mountCheck: false }]): StationConfigInput {
  return {
    station: { id: 'rig1' },
    ingest: { stableWindowMs: 200, rescanIntervalSec: 0 },
    targets,
    upload: { probeIntervalSec: 0.2, backoff: { baseMs: 50, maxMs: 500 } },
    retention,
  };
}

async function stationWithUploads(input: StationConfigInput, files: number) {
  const home = makeHome(input);
  cleanup.push(() => fs.rmSync(home, { recursive: true, force: true }));
  for (const t of input.targets ?? []) if (t.kind === 'folder') fs.mkdirSync(path.join(home, t.path), { recursive: true });
  const station = new Station(loadConfig({ home }));
  await station.start();
  cleanup.push(() => station.stop());
  for (let i = 0; i < files; i++) await writeGoodTiff(path.join(home, 'Inbox', `f${i}.tif`), 10 * i + 3);
  return { home, station };
}

describe('retention', () => {
  it('removes local files once every required target verified them, and logs each removal', async () => {
    const { home, station } = await stationWithUploads(config({ deleteLocal: true, keepDays: 0, checkIntervalSec: 1 }), 2);
    await waitFor(() => filesUnder(path.join(home, 'Share')).filter((f) => !path.basename(f).startsWith('.')).length === 2, 'both uploaded');
    await waitFor(() => filesUnder(path.join(home, 'Inbox')).length === 0, 'local copies removed');
    const captures = station.store.list({ limit: 10 });
    for (const c of captures) expect(station.store.detail(c.id)!.events.map((e) => e.type)).toContain('capture.local-removed');
  });

  it('keeps files while a required target has not verified them, before keepDays, when not asked, and when no target is required', async () => {
    const { home, station } = await stationWithUploads(config({ deleteLocal: false }), 2);
    await waitFor(() => filesUnder(path.join(home, 'Share')).filter((f) => !path.basename(f).startsWith('.')).length === 2, 'both uploaded');
    await station.stop();
    cleanup.pop();
    const store = openStore(loadConfig({ home }).locations.database);
    cleanup.push(() => store.close());
    const now = new Date();
    expect(retentionCandidates(store.db, [], 0, now)).toEqual([]);
    expect(retentionCandidates(store.db, ['nas', 'offsite'], 0, now)).toEqual([]);
    expect(retentionCandidates(store.db, ['nas'], 30, now)).toEqual([]);
    const due = retentionCandidates(store.db, ['nas'], 30, new Date(now.getTime() + 31 * 86_400_000));
    expect(due).toHaveLength(2);

    // A new file under the name of a verified capture is never removed; the other one is.
    const [first, second] = due;
    fs.writeFileSync(first!.path, 'a re-shoot under the same name');
    expect(await applyRetention(store.db, due)).toEqual([second!.id]);
    expect(fs.readFileSync(first!.path, 'utf8')).toBe('a re-shoot under the same name');
    expect(fs.existsSync(second!.path)).toBe(false);
    expect(retentionCandidates(store.db, ['nas'], 30, new Date(now.getTime() + 31 * 86_400_000)).map((c) => c.id)).toEqual([first!.id]);
  });

  it('reports disks below the free-space thresholds', () => {
    const [disk] = diskStatus([process.cwd()], { warnFreeGB: 1e9, criticalFreeGB: 1e9 });
    expect(disk).toMatchObject({ level: 'critical', message: expect.stringMatching(/GB free on the disk of .* free space there, or let retention remove uploaded files/) });
    expect(diskStatus([process.cwd()], { warnFreeGB: 0, criticalFreeGB: 0 })[0]).toMatchObject({ level: 'ok', message: null });
  });
});
