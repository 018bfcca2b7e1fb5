/**
 * The append-only event log. Every state change of a capture is written in the same transaction as
 * its event (callers run appendEvent inside their db.transaction), so the log never disagrees with
 * the tables. Triggers in the schema refuse UPDATE and DELETE on events.
 */
import type { Db } from './database.js';

export interface StoredEvent {
  id: number;
  at: string;
  type: string;
  captureId: number | null;
  sourceId: string | null;
  data: unknown;
}

/** `objectId`: the object the event is about when it names no single capture (see eventsOfCapture). */
export function appendEvent(db: Db, e: { type: string; captureId?: number | null; sourceId?: string | null; objectId?: number | null; data?: unknown; at?: string }): StoredEvent {
  const at = e.at ?? new Date().toISOString();
  const dataJson = e.data === undefined ? null : JSON.stringify(e.data);
  const info = db
    .prepare('INSERT INTO events (at, type, capture_id, source_id, object_id, data_json) VALUES (?, ?, ?, ?, ?, ?)')
    .run(at, e.type, e.captureId ?? null, e.sourceId ?? null, e.objectId ?? null, dataJson);
  return { id: Number(info.lastInsertRowid), at, type: e.type, captureId: e.captureId ?? null, sourceId: e.sourceId ?? null, data: e.data ?? null };
}

interface EventRow {
  id: number;
  at: string;
  type: string;
  capture_id: number | null;
  source_id: string | null;
  data_json: string | null;
}

/**
 * The capture's timeline: its own events; those about the object it is linked to now that name no
 * capture (an incomplete object's alarm, also one raised before this capture was recorded); and an
 * alarm that named its file while the file was still being checked (`unchecked`: a wait for a
 * barcode that expired first). Such an alarm belongs to the first capture of that file checked
 * after it, as LinkStore.expiredUncheckedFiles counts it, not to a later version under the same name.
 */
export function eventsOfCapture(db: Db, captureId: number): StoredEvent[] {
  const rows = db
    .prepare(
      `SELECT * FROM events WHERE capture_id = @captureId
       UNION SELECT * FROM events WHERE capture_id IS NULL AND object_id = (SELECT object_id FROM capture_links WHERE capture_id = @captureId)
       UNION SELECT e.* FROM events e, captures c
         WHERE c.id = @captureId AND e.capture_id IS NULL AND e.type = 'alarm' AND e.source_id = c.source_id
           AND instr(e.data_json, '"unchecked":') > 0 AND json_type(e.data_json, '$.unchecked') = 'array'
           AND EXISTS (SELECT 1 FROM json_each(e.data_json, '$.unchecked') f WHERE f.value = c.rel_path)
           AND c.checked_at > e.at
           AND NOT EXISTS (SELECT 1 FROM captures o WHERE o.source_id = c.source_id AND o.rel_path = c.rel_path AND o.id < c.id AND o.checked_at > e.at)
       ORDER BY id`,
    )
    .all({ captureId }) as EventRow[];
  return rows.map((r) => ({ id: r.id, at: r.at, type: r.type, captureId: r.capture_id, sourceId: r.source_id, data: r.data_json ? JSON.parse(r.data_json) : null }));
}
