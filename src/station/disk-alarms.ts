/**
 * Disk alarms in the event log: one 'disk.status' event each time a disk's free-space level
 * changes, compared with the level last logged for it, so a check that finds nothing new and a
 * restart with the disk still low write nothing.
 */
import type { Db } from '../store/database.js';
import { appendEvent } from '../store/events.js';
import type { DiskLevel, DiskStatus } from './disk-space.js';

export class DiskAlarms {
  private readonly levels = new Map<string, DiskLevel>();

  constructor(private readonly db: Db) {
    // Read once per start; disk events are few, the newest per path wins.
    const rows = db.prepare(`SELECT json_extract(data_json, '$.path') AS path, json_extract(data_json, '$.level') AS level FROM events WHERE type = 'disk.status' ORDER BY id`).all() as { path: string; level: DiskLevel }[];
    for (const r of rows) this.levels.set(r.path, r.level);
  }

  /** Logs the disks whose level differs from the one last logged (a disk never logged was ok). */
  record(disks: readonly DiskStatus[]): void {
    const changed = disks.filter((d) => d.level !== (this.levels.get(d.path) ?? 'ok'));
    if (changed.length === 0) return;
    this.db.transaction(() => {
      for (const d of changed) appendEvent(this.db, { type: 'disk.status', data: { path: d.path, folders: d.folders.map((f) => f.path), level: d.level, freeBytes: d.freeBytes, message: d.message } });
    })();
    for (const d of changed) this.levels.set(d.path, d.level);
  }
}
