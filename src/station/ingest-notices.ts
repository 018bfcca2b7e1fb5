/**
 * Hot-folder files the station will not take as they are (a symbolic link, a file still empty):
 * which ones are affected now, for every screen (status), and which versions were already warned
 * about, for the log and the event log. A notice is logged and recorded once per file version, ever:
 * the watcher finds the same link or empty file again after every restart, and the event log (an
 * `ingest.notice` event per version, on its source) tells this start that it was said already.
 */
import type { IngestNotice } from '../ingest/types.js';
import type { Db } from '../store/database.js';
import { appendEvent } from '../store/events.js';

const noticeEvent = 'ingest.notice';

const fileKey = (sourceId: string, relPath: string) => `${sourceId}\u0000${relPath}`;
const versionKey = (n: Pick<IngestNotice, 'sourceId' | 'relPath' | 'kind' | 'mtimeUs'>) => `${fileKey(n.sourceId, n.relPath)}\u0000${n.kind}\u0000${n.mtimeUs}`;

export class IngestNotices {
  /** The files affected now, by source and path. */
  private readonly current = new Map<string, IngestNotice>();
  /** Versions warned about by this or an earlier run; read from the event log at the first notice (most starts have none). */
  private said: Set<string> | null = null;

  constructor(private readonly db: Db) {}

  /** Takes note of `notice`; true when this version was never warned about (then it is recorded, and the caller warns). */
  add(notice: IngestNotice): boolean {
    this.current.set(fileKey(notice.sourceId, notice.relPath), notice);
    const said = (this.said ??= this.recorded());
    const key = versionKey(notice);
    if (said.has(key)) return false;
    said.add(key);
    appendEvent(this.db, { type: noticeEvent, sourceId: notice.sourceId, data: { relPath: notice.relPath, kind: notice.kind, mtimeUs: notice.mtimeUs, message: notice.message } });
    return true;
  }

  /** The file left the hot folder, or was recorded: it is no longer affected. True when it was. */
  resolve(sourceId: string, relPath: string): boolean {
    return this.current.delete(fileKey(sourceId, relPath));
  }

  /** The versions the event log says were warned about: only events that name no capture (by index), and of those only the notices. */
  private recorded(): Set<string> {
    const rows = this.db.prepare(`SELECT source_id AS sourceId, data_json AS data FROM events WHERE capture_id IS NULL AND type = ?`).all(noticeEvent) as { sourceId: string; data: string }[];
    return new Set(rows.map((r) => versionKey({ sourceId: r.sourceId, ...(JSON.parse(r.data) as Pick<IngestNotice, 'relPath' | 'kind' | 'mtimeUs'>) })));
  }

  /** Every file affected now, oldest notice first. */
  list(): IngestNotice[] {
    return [...this.current.values()];
  }
}
