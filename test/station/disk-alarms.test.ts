/** Disk alarms in the event log: one event per change of a disk's level, none per check, none again after a restart. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DiskAlarms } from '../../src/station/disk-alarms.js';
import { openStore, type StationStore } from '../../src/store/open.js';
import type { DiskStatus } from '../../src/station/disk-space.js';

const cleanup: (() => void)[] = [];
afterEach(() => {
  for (const fn of cleanup.splice(0).reverse()) fn();
});

function open(file: string): StationStore {
  const store = openStore(file);
  cleanup.push(() => store.close());
  return store;
}

const disk = (p: string, level: DiskStatus['level']): DiskStatus => ({
  path: p,
  folders: [{ role: 'library', path: p }],
  names: 'the library',
  freeBytes: level === 'ok' ? 5e11 : 1e9,
  level,
  advice: level === 'ok' ? null : 'free space there',
  message: level === 'ok' ? null : `Only 0.9 GB free on the disk of ${p}`,
});

function logged(store: StationStore): { path: string; level: string }[] {
  return (store.db.prepare(`SELECT data_json FROM events WHERE type = 'disk.status' ORDER BY id`).all() as { data_json: string }[]).map((r) => {
    const d = JSON.parse(r.data_json) as { path: string; level: string };
    return { path: d.path, level: d.level };
  });
}

describe('disk alarms', () => {
  it('logs a level change once, whatever the number of checks, and not again after a restart', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cs-disk-'));
    cleanup.push(() => fs.rmSync(dir, { recursive: true, force: true }));
    const file = path.join(dir, 'station.db');
    const first = open(file);
    const alarms = new DiskAlarms(first.db);
    alarms.record([disk('/lib', 'ok'), disk('/in', 'ok')]);
    expect(logged(first)).toEqual([]);
    for (let i = 0; i < 3; i++) alarms.record([disk('/lib', 'warn'), disk('/in', 'ok')]);
    alarms.record([disk('/lib', 'critical'), disk('/in', 'ok')]);
    expect(logged(first)).toEqual([
      { path: '/lib', level: 'warn' },
      { path: '/lib', level: 'critical' },
    ]);
    first.close();
    cleanup.pop();

    const second = open(file);
    const again = new DiskAlarms(second.db);
    again.record([disk('/lib', 'critical'), disk('/in', 'ok')]);
    again.record([disk('/lib', 'ok'), disk('/in', 'ok')]);
    expect(logged(second)).toEqual([
      { path: '/lib', level: 'warn' },
      { path: '/lib', level: 'critical' },
      { path: '/lib', level: 'ok' },
    ]);
  });
});
