/**
 * Objects (scanned barcodes), the captures linked to them, and the filing journal. Every change
 * is written with its event in one transaction, like the capture store.
 */
import type { Db } from '../store/database.js';
import { appendEvent } from '../store/events.js';
import { awaitingBarcode, awaitingBarcodeSql } from './held.js';
import type { CloseReason } from './session.js';

export type ObjectState = 'open' | 'closed' | 'rejected';

export interface ObjectRecord {
  id: number;
  barcode: string;
  sourceId: string;
  state: ObjectState;
  openedAt: string;
  closedAt: string | null;
  closeReason: CloseReason | 'shutdown' | null;
}

export interface CaptureLink {
  captureId: number;
  objectId: number;
  barcode: string;
  seq: number;
  view: string | null;
  /** The project and operator its library name is made from (null: linked before they were recorded). */
  project: string | null;
  operator: string | null;
  /** Its object's state: open on the rig, closed, or rejected (REJECT: its shots are set aside). */
  objectState: ObjectState;
}

/** The shots of some objects: every shot linked, flagged ones too, and how many of them are flagged for re-shoot. */
export interface ShotCounts {
  shots: number;
  flagged: number;
}

/** Who shot a capture for which project, as recorded on its link when it is first linked. */
export interface NamedFor {
  project: string;
  operator: string;
}

export interface FilingMove {
  captureId: number;
  fromPath: string;
  toPath: string;
  state: 'pending' | 'done' | 'failed';
  error: string | null;
}

interface ObjectRow {
  id: number;
  barcode: string;
  source_id: string;
  state: ObjectState;
  opened_at: string;
  closed_at: string | null;
  close_reason: ObjectRecord['closeReason'];
}

const toObject = (r: ObjectRow): ObjectRecord => ({ id: r.id, barcode: r.barcode, sourceId: r.source_id, state: r.state, openedAt: r.opened_at, closedAt: r.closed_at, closeReason: r.close_reason });

export class LinkStore {
  constructor(private readonly db: Db) {}

  /** `fromImage`: opened from the barcode in a capture's image (linkFromImage), not by a scan; the event says so. */
  openObject(barcode: string, sourceId: string, fromImage = false): ObjectRecord {
    return this.db.transaction(() => {
      const at = new Date().toISOString();
      const id = Number(this.db.prepare(`INSERT INTO objects (barcode, source_id, state, opened_at) VALUES (?, ?, 'open', ?)`).run(barcode, sourceId, at).lastInsertRowid);
      appendEvent(this.db, { type: 'object.opened', sourceId, data: { objectId: id, barcode, ...(fromImage ? { openedBy: 'image' } : {}) }, at });
      return this.object(id)!;
    })();
  }

  closeObject(id: number, reason: ObjectRecord['closeReason'] & string): void {
    this.db.transaction(() => {
      const at = new Date().toISOString();
      const state: ObjectState = reason === 'rejected' ? 'rejected' : 'closed';
      const changed = this.db.prepare(`UPDATE objects SET state = ?, closed_at = ?, close_reason = ? WHERE id = ? AND state = 'open'`).run(state, at, reason, id).changes;
      if (changed === 0) return;
      if (state === 'rejected') this.markObjectRelinked(id);
      const o = this.object(id)!;
      appendEvent(this.db, { type: 'object.closed', sourceId: o.sourceId, data: { objectId: id, barcode: o.barcode, reason }, at });
    })();
  }

  object(id: number): ObjectRecord | null {
    const row = this.db.prepare('SELECT * FROM objects WHERE id = ?').get(id) as ObjectRow | undefined;
    return row ? toObject(row) : null;
  }

  /** Objects left open when the station last stopped: closed on start, as nothing can still be linked to them reliably. */
  openObjects(): ObjectRecord[] {
    return (this.db.prepare(`SELECT * FROM objects WHERE state = 'open' ORDER BY id`).all() as ObjectRow[]).map(toObject);
  }

  link(captureId: number, objectId: number, seq: number, view: string | null, named?: NamedFor): void {
    this.db.transaction(() => {
      const at = new Date().toISOString();
      this.db
        .prepare('INSERT INTO capture_links (capture_id, object_id, seq, view, linked_at, project, operator) VALUES (?, ?, ?, ?, ?, ?, ?)')
        .run(captureId, objectId, seq, view, at, named?.project ?? null, named?.operator ?? null);
      this.markRelinked(captureId);
      const o = this.object(objectId)!;
      appendEvent(this.db, { type: 'capture.linked', captureId, sourceId: o.sourceId, data: { objectId, barcode: o.barcode, seq, view }, at });
    })();
  }

  /** UNDO: the captures leave their object and are flagged for re-shoot. */
  unlink(captureIds: readonly number[], reshoot: boolean): void {
    this.db.transaction(() => {
      for (const captureId of captureIds) {
        const link = this.linkOf(captureId);
        this.db.prepare('DELETE FROM capture_links WHERE capture_id = ?').run(captureId);
        this.markRelinked(captureId);
        if (reshoot) this.db.prepare('UPDATE captures SET reshoot = 1 WHERE id = ?').run(captureId);
        appendEvent(this.db, { type: 'capture.unlinked', captureId, data: { objectId: link?.objectId ?? null, barcode: link?.barcode ?? null, reshoot } });
      }
    })();
  }

  /** The barcode of the object UNDO last took the capture off, or null. */
  unlinkedFrom(captureId: number): string | null {
    const row = this.db.prepare(`SELECT json_extract(data_json, '$.barcode') AS barcode FROM events WHERE capture_id = ? AND type = 'capture.unlinked' ORDER BY id DESC LIMIT 1`).get(captureId) as
      | { barcode: string | null }
      | undefined;
    return row?.barcode ?? null;
  }

  /** scan-after-capture: recorded capture `captureId` joined the shots waiting for a barcode (see held.ts). */
  markAwaitingBarcode(captureId: number, sourceId: string): void {
    appendEvent(this.db, { type: awaitingBarcode, captureId, sourceId, data: null });
  }

  isAwaitingBarcode(captureId: number): boolean {
    return this.db.prepare(`SELECT 1 FROM captures c WHERE c.id = ? AND ${awaitingBarcodeSql}`).get(captureId) !== undefined;
  }

  /**
   * Every capture the database says waits for its barcode. Read once at start: it looks at every
   * capture not linked (a waiting one never is: a link ends the wait), each by index.
   */
  awaitingBarcodeCaptures(): { id: number; sourceId: string; relPath: string }[] {
    return this.db
      .prepare(
        `SELECT c.id, c.source_id AS sourceId, c.rel_path AS relPath FROM captures c
          WHERE NOT EXISTS (SELECT 1 FROM capture_links l WHERE l.capture_id = c.id) AND ${awaitingBarcodeSql} ORDER BY c.id`,
      )
      .all() as { id: number; sourceId: string; relPath: string }[];
  }

  /** Whether the capture is flagged for re-shoot (UNDO, a failed check, or setReshoot). */
  flaggedForReshoot(captureId: number): boolean {
    return this.db.prepare('SELECT 1 FROM captures WHERE id = ? AND reshoot = 1').get(captureId) !== undefined;
  }

  linkOf(captureId: number): CaptureLink | null {
    const row = this.db
      .prepare('SELECT l.capture_id, l.object_id, o.barcode, o.state, l.seq, l.view, l.project, l.operator FROM capture_links l JOIN objects o ON o.id = l.object_id WHERE l.capture_id = ?')
      .get(captureId) as { capture_id: number; object_id: number; barcode: string; state: ObjectState; seq: number; view: string | null; project: string | null; operator: string | null } | undefined;
    return row
      ? { captureId: row.capture_id, objectId: row.object_id, barcode: row.barcode, seq: row.seq, view: row.view, project: row.project, operator: row.operator, objectState: row.state }
      : null;
  }

  /**
   * The newest object of `barcode` at `sourceId` that was not rejected, where relinked captures join
   * an existing object. A rejected object stays closed as it was: nothing joins it (its captures are
   * set aside in _rejected/ and never uploaded, which a capture relinked there would silently share).
   */
  latestObject(barcode: string, sourceId: string): ObjectRecord | null {
    const row = this.db.prepare(`SELECT * FROM objects WHERE barcode = ? AND source_id = ? AND state != 'rejected' ORDER BY id DESC LIMIT 1`).get(barcode, sourceId) as ObjectRow | undefined;
    return row ? toObject(row) : null;
  }

  /**
   * The other files of capture `captureId`'s exposure that are linked: the newest version of each
   * file of its source with its stem (`stem`: its relPath without the extension; same folder), not
   * flagged for re-shoot, and not older than an earlier version of its own file (a camera counter that
   * wrapped round gives a new exposure an old one's name).
   */
  linkedSiblings(captureId: number, stem: string): { id: number; relPath: string }[] {
    return this.db
      .prepare(
        `SELECT s.id, s.rel_path AS relPath FROM captures c JOIN captures s ON s.source_id = c.source_id AND s.rel_path > ? AND s.rel_path < ? AND s.rel_path != c.rel_path
           JOIN capture_links l ON l.capture_id = s.id
          WHERE c.id = ? AND s.reshoot = 0
            AND NOT EXISTS (SELECT 1 FROM captures n WHERE n.source_id = s.source_id AND n.rel_path = s.rel_path AND n.id > s.id)
            AND NOT EXISTS (SELECT 1 FROM captures p WHERE p.source_id = c.source_id AND p.rel_path = c.rel_path AND p.id > s.id AND p.id < c.id)
          ORDER BY s.id`,
      )
      .all(`${stem}.`, `${stem}/`, captureId) as { id: number; relPath: string }[];
  }

  /**
   * The barcode of the object that object `objectId`, opened from an image (linkFromImage), gave way
   * to: the next object of its source, opened from an image as it closed ('next-object'). Null when
   * it did not give way. The database keeps this where the session's memory does not survive a restart.
   */
  gaveWayTo(objectId: number): string | null {
    const openedByImage = (alias: string) =>
      `EXISTS (SELECT 1 FROM events e WHERE e.type = 'object.opened' AND json_extract(e.data_json, '$.objectId') = ${alias}.id AND json_extract(e.data_json, '$.openedBy') = 'image')`;
    const row = this.db
      .prepare(
        `SELECT n.barcode FROM objects o JOIN objects n ON n.id = (SELECT MIN(id) FROM objects WHERE source_id = o.source_id AND id > o.id)
          WHERE o.id = ? AND o.close_reason = 'next-object' AND ${openedByImage('o')} AND ${openedByImage('n')}`,
      )
      .get(objectId) as { barcode: string } | undefined;
    return row?.barcode ?? null;
  }

  /** An object made by an edit (relink, split) rather than a scan: it starts closed. */
  createClosedObject(barcode: string, sourceId: string): ObjectRecord {
    const at = new Date().toISOString();
    const id = Number(this.db.prepare(`INSERT INTO objects (barcode, source_id, state, opened_at, closed_at, close_reason) VALUES (?, ?, 'closed', ?, ?, 'end')`).run(barcode, sourceId, at, at).lastInsertRowid);
    appendEvent(this.db, { type: 'object.created', sourceId, data: { objectId: id, barcode }, at });
    return this.object(id)!;
  }

  setBarcode(objectId: number, barcode: string): void {
    if (this.db.prepare('UPDATE objects SET barcode = ? WHERE id = ? AND barcode != ?').run(barcode, objectId, barcode).changes > 0) this.markObjectRelinked(objectId);
  }

  maxSeq(objectId: number): number {
    return (this.db.prepare('SELECT MAX(seq) AS m FROM capture_links WHERE object_id = ?').get(objectId) as { m: number | null }).m ?? 0;
  }

  /**
   * The highest sequence number `barcode` has in `project`, over all its objects but rejected ones
   * (0: none), so a barcode scanned again continues its numbering. A rejected object's shots are set
   * aside under their original names, so its numbers are free again: the object shot anew after a
   * REJECT starts where it would have without it. A capture's project is its operator session's, or
   * `defaultProject` when it was shot outside one (or the session named none).
   */
  maxSeqOfBarcode(barcode: string, project: string, defaultProject: string): number {
    const row = this.db
      .prepare(
        `SELECT MAX(l.seq) AS m FROM capture_links l JOIN objects o ON o.id = l.object_id JOIN captures c ON c.id = l.capture_id LEFT JOIN sessions s ON s.id = c.session_id
           WHERE o.barcode = ? AND o.state != 'rejected' AND COALESCE(NULLIF(s.project, ''), ?) = ?`,
      )
      .get(barcode, defaultProject, project) as { m: number | null };
    return row.m ?? 0;
  }

  /**
   * The captures holding shot `seq` of object `objectId`'s barcode in `project` (see
   * maxSeqOfBarcode): in that object, or in another of the barcode's objects not rejected.
   */
  capturesAtSeq(objectId: number, seq: number, project: string, defaultProject: string): number[] {
    const rows = this.db
      .prepare(
        `SELECT l.capture_id FROM capture_links l JOIN objects o ON o.id = l.object_id JOIN captures c ON c.id = l.capture_id LEFT JOIN sessions s ON s.id = c.session_id
           WHERE l.seq = ? AND (l.object_id = ? OR (o.barcode = (SELECT barcode FROM objects WHERE id = ?) AND o.state != 'rejected' AND COALESCE(NULLIF(s.project, ''), ?) = ?))
           ORDER BY l.capture_id`,
      )
      .all(seq, objectId, objectId, defaultProject, project) as { capture_id: number }[];
    return rows.map((r) => r.capture_id);
  }

  /**
   * The sequence numbers at which `barcode` has real shots in `project` (see maxSeqOfBarcode): a
   * linked capture of an object not rejected that did not fail QC and is not flagged for re-shoot.
   * Numbers a failed, undone or relinked shot left empty are not among them, nor a rejected object's
   * shots. `beforeObjectId`: only its objects older than that.
   */
  shotSeqsOfBarcode(barcode: string, project: string, defaultProject: string, beforeObjectId = Number.MAX_SAFE_INTEGER): number[] {
    const rows = this.db
      .prepare(
        `SELECT DISTINCT l.seq FROM capture_links l JOIN objects o ON o.id = l.object_id JOIN captures c ON c.id = l.capture_id LEFT JOIN sessions s ON s.id = c.session_id
           WHERE o.barcode = ? AND o.id < ? AND o.state != 'rejected' AND c.verdict != 'fail' AND c.reshoot = 0 AND COALESCE(NULLIF(s.project, ''), ?) = ?
           ORDER BY l.seq`,
      )
      .all(barcode, beforeObjectId, defaultProject, project) as { seq: number }[];
    return rows.map((r) => r.seq);
  }

  /** Marks an object whose completeness is still to be judged, with the files it waits for (null: judged). */
  setUnjudged(objectId: number, files: readonly string[] | null): void {
    this.db.prepare('UPDATE objects SET unjudged_json = ? WHERE id = ?').run(files === null ? null : JSON.stringify(files), objectId);
  }

  /** Objects the last run closed while files of theirs were still being checked, and never judged. */
  unjudgedObjects(): { object: ObjectRecord; files: string[] }[] {
    const rows = this.db.prepare('SELECT * FROM objects WHERE unjudged_json IS NOT NULL ORDER BY id').all() as (ObjectRow & { unjudged_json: string })[];
    return rows.map((r) => ({ object: toObject(r), files: JSON.parse(r.unjudged_json) as string[] }));
  }

  /** An edit's undo: the capture was not linked before it (the caller writes the event). */
  removeLink(captureId: number): void {
    this.db.prepare('DELETE FROM capture_links WHERE capture_id = ?').run(captureId);
    this.markRelinked(captureId);
  }

  /** Moves a link to another object or sequence number (an edit; the caller writes the event); `named` is recorded only on a new link (a moved one keeps its own). */
  setLink(captureId: number, objectId: number, seq: number, view: string | null, named?: NamedFor): void {
    this.db
      .prepare(
        `INSERT INTO capture_links (capture_id, object_id, seq, view, linked_at, project, operator) VALUES (?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (capture_id) DO UPDATE SET object_id = excluded.object_id, seq = excluded.seq, view = excluded.view`,
      )
      .run(captureId, objectId, seq, view, new Date().toISOString(), named?.project ?? null, named?.operator ?? null);
    this.markRelinked(captureId);
  }

  /**
   * The shots of the objects (their distinct sequence numbers, set-aside ones too, as History and
   * export list them), and how many are flagged for re-shoot (a capture of the shot is).
   */
  shotCounts(objectIds: readonly number[]): ShotCounts {
    return this.db
      .prepare(
        `SELECT COUNT(*) AS shots, COALESCE(SUM(flagged), 0) AS flagged FROM (
           SELECT MAX(c.reshoot) AS flagged FROM capture_links l JOIN captures c ON c.id = l.capture_id
            WHERE l.object_id IN (SELECT value FROM json_each(?)) GROUP BY l.object_id, l.seq)`,
      )
      .get(JSON.stringify(objectIds)) as ShotCounts;
  }

  capturesOf(objectId: number): number[] {
    return (this.db.prepare('SELECT capture_id FROM capture_links WHERE object_id = ? ORDER BY seq, capture_id').all(objectId) as { capture_id: number }[]).map((r) => r.capture_id);
  }

  /** When the station first saw each file of shot `seq` of `objectId` (their detectedAt), earliest first. */
  shotDetectedAt(objectId: number, seq: number): string[] {
    const rows = this.db
      .prepare('SELECT DISTINCT c.detected_at AS at FROM capture_links l JOIN captures c ON c.id = l.capture_id WHERE l.object_id = ? AND l.seq = ? ORDER BY c.detected_at')
      .all(objectId, seq) as { at: string }[];
    return rows.map((r) => r.at);
  }

  /**
   * scan-after-capture: captures of `sourceId` recorded after its last object closed (with no object
   * yet: after `notBefore`; null: none) that are not linked, not flagged for re-shoot, not failed,
   * and not already given up on (a `capture.not-linked` event: their wait expired, or they were
   * written while the station was not watching): the shots waiting for a barcode, oldest first.
   */
  waitingCaptures(sourceId: string, notBefore: string | null): { id: number; relPath: string; mtimeUs: number; detectedAt: string }[] {
    return this.db
      .prepare(
        `SELECT c.id, c.rel_path AS relPath, c.mtime_us AS mtimeUs, c.detected_at AS detectedAt FROM captures c
         WHERE c.source_id = ? AND c.reshoot = 0 AND c.verdict != 'fail'
           AND c.checked_at > COALESCE((SELECT MAX(closed_at) FROM objects WHERE source_id = ?), ?)
           AND NOT EXISTS (SELECT 1 FROM capture_links l WHERE l.capture_id = c.id)
           AND NOT EXISTS (SELECT 1 FROM events e WHERE e.capture_id = c.id AND e.type = 'capture.not-linked')
         ORDER BY c.id`,
      )
      .all(sourceId, sourceId, notBefore) as { id: number; relPath: string; mtimeUs: number; detectedAt: string }[];
  }

  /**
   * scan-after-capture: the files of each source that were still being checked when their wait for
   * a barcode expired (named by that alarm's `unchecked`, on its row without a capture) and that no
   * capture of the same name was recorded after, with the time of the newest such alarm. A start
   * that finds one of them in the hot folder knows it was alarmed about already. Reads only the
   * events that name no capture (by index), and parses only those whose text names the field.
   */
  expiredUncheckedFiles(): { sourceId: string; relPath: string; at: string }[] {
    return this.db
      .prepare(
        `SELECT e.source_id AS sourceId, f.value AS relPath, MAX(e.at) AS at FROM events e, json_each(e.data_json, '$.unchecked') f
          WHERE e.capture_id IS NULL AND e.type = 'alarm' AND e.source_id IS NOT NULL
            AND instr(e.data_json, '"unchecked":') > 0 AND json_type(e.data_json, '$.unchecked') = 'array'
            AND NOT EXISTS (SELECT 1 FROM captures c WHERE c.source_id = e.source_id AND c.rel_path = f.value AND c.checked_at > e.at)
          GROUP BY e.source_id, f.value`,
      )
      .all() as { sourceId: string; relPath: string; at: string }[];
  }

  /** Journals a move before it starts (see src/filing/move.ts). */
  planMove(captureId: number, fromPath: string, toPath: string): void {
    const at = new Date().toISOString();
    this.db
      .prepare(
        `INSERT INTO filing_moves (capture_id, from_path, to_path, state, created_at, updated_at) VALUES (?, ?, ?, 'pending', ?, ?)
         ON CONFLICT (capture_id) DO UPDATE SET from_path = excluded.from_path, to_path = excluded.to_path, state = 'pending', error = NULL, updated_at = excluded.updated_at`,
      )
      .run(captureId, fromPath, toPath, at, at);
  }

  /**
   * Settles a move; a done move gives the capture its library path, in the same transaction as its
   * event. `unfiled`: the capture lost its link and its file left its filed name (put back in the
   * hot folder, …), as the event says; it is not filed any more, so its row goes too (filing plans
   * its move afresh once it is linked, and held.ts holds it until then).
   */
  settleMove(captureId: number, outcome: { done: true; unfiled?: string } | { done: false; error: string }): void {
    this.db.transaction(() => {
      const at = new Date().toISOString();
      const move = this.move(captureId);
      if (!move) return;
      if (outcome.done) {
        this.db.prepare(`UPDATE filing_moves SET state = 'done', error = NULL, updated_at = ? WHERE capture_id = ?`).run(at, captureId);
        this.db.prepare('UPDATE captures SET path = ? WHERE id = ?').run(move.toPath, captureId);
        appendEvent(this.db, { type: 'capture.filed', captureId, data: { from: move.fromPath, to: move.toPath, ...(outcome.unfiled ? { unfiled: outcome.unfiled } : {}) }, at });
        if (outcome.unfiled) this.forgetMove(captureId);
      } else {
        this.db.prepare(`UPDATE filing_moves SET state = 'failed', error = ?, updated_at = ? WHERE capture_id = ?`).run(outcome.error, at, captureId);
        appendEvent(this.db, { type: 'capture.filing-failed', captureId, data: { from: move.fromPath, to: move.toPath, error: outcome.error }, at });
      }
    })();
  }

  /** Writes a move's journal row back as it was (an edit's rename that failed: the file stayed where the row says). */
  restoreMove(move: FilingMove): void {
    this.db
      .prepare('UPDATE filing_moves SET from_path = ?, to_path = ?, state = ?, error = ?, updated_at = ? WHERE capture_id = ?')
      .run(move.fromPath, move.toPath, move.state, move.error, new Date().toISOString(), move.captureId);
  }

  /** The capture is not filed any more (its file left its filed name): filing plans its move afresh, and held.ts holds it until then. */
  forgetMove(captureId: number): void {
    this.db.prepare('DELETE FROM filing_moves WHERE capture_id = ?').run(captureId);
  }

  /**
   * Where a filed capture belongs changed (its link, its object's barcode or rejection, its re-shoot
   * flag), in the caller's transaction: its rename follows the commit, and if the station stops
   * first, the next start finds it here (relinkedFiled) and renames it then. Captures never filed
   * have no row: filing names them from their link when it runs.
   */
  markRelinked(captureId: number): void {
    this.db.prepare('UPDATE filing_moves SET relinked_at = ? WHERE capture_id = ?').run(new Date().toISOString(), captureId);
  }

  private markObjectRelinked(objectId: number): void {
    this.db.prepare('UPDATE filing_moves SET relinked_at = ? WHERE capture_id IN (SELECT capture_id FROM capture_links WHERE object_id = ?)').run(new Date().toISOString(), objectId);
  }

  /** Captures marked by markRelinked since the last start checked them (by index: only those). */
  relinkedFiled(): number[] {
    return (this.db.prepare('SELECT capture_id FROM filing_moves WHERE relinked_at IS NOT NULL ORDER BY capture_id').all() as { capture_id: number }[]).map((r) => r.capture_id);
  }

  /** When markRelinked last marked the capture (null: its file is where its link says, or it has no row). */
  relinkedAt(captureId: number): string | null {
    return (this.db.prepare('SELECT relinked_at FROM filing_moves WHERE capture_id = ?').get(captureId) as { relinked_at: string | null } | undefined)?.relinked_at ?? null;
  }

  /**
   * The capture's file is where its link says (a start or a live rename put it there). `markedAt`:
   * the mark the rename was planned from (relinkedAt); a newer one (a link change during the move)
   * stays for its own rename, and for the next start if that does not run.
   */
  clearRelinked(captureId: number, markedAt?: string): void {
    if (markedAt === undefined) this.db.prepare('UPDATE filing_moves SET relinked_at = NULL WHERE capture_id = ?').run(captureId);
    else this.db.prepare('UPDATE filing_moves SET relinked_at = NULL WHERE capture_id = ? AND relinked_at = ?').run(captureId, markedAt);
  }

  /** Where the capture's file went the last time it lost its link and left its filed name (a 'capture.filed' event with `unfiled`), or null. */
  lastUnfiledTo(captureId: number): string | null {
    const row = this.db
      .prepare(`SELECT json_extract(data_json, '$.to') AS path FROM events WHERE capture_id = ? AND type = 'capture.filed' AND json_extract(data_json, '$.unfiled') IS NOT NULL ORDER BY id DESC LIMIT 1`)
      .get(captureId) as { path: string | null } | undefined;
    return row?.path ?? null;
  }

  move(captureId: number): FilingMove | null {
    const row = this.db.prepare('SELECT * FROM filing_moves WHERE capture_id = ?').get(captureId) as
      | { capture_id: number; from_path: string; to_path: string; state: FilingMove['state']; error: string | null }
      | undefined;
    return row ? { captureId: row.capture_id, fromPath: row.from_path, toPath: row.to_path, state: row.state, error: row.error } : null;
  }

  pendingMoves(): FilingMove[] {
    const ids = this.db.prepare(`SELECT capture_id FROM filing_moves WHERE state = 'pending' ORDER BY capture_id`).all() as { capture_id: number }[];
    return ids.map((r) => this.move(r.capture_id)!);
  }

  /**
   * Captures of rejected objects that are not set aside yet (filed under their object's name, or
   * never filed): REJECT committed, and the station stopped before their moves were journaled.
   */
  rejectedNotSetAside(rejectedRoot: string): number[] {
    return (
      this.db
        .prepare(
          `SELECT l.capture_id FROM capture_links l JOIN objects o ON o.id = l.object_id LEFT JOIN filing_moves f ON f.capture_id = l.capture_id
            WHERE o.state = 'rejected' AND (f.capture_id IS NULL OR (f.state = 'done' AND instr(f.to_path, ?) != 1)) ORDER BY l.capture_id`,
        )
        .all(rejectedRoot) as { capture_id: number }[]
    ).map((r) => r.capture_id);
  }

  /**
   * Captures linked to a closed object whose move was never even planned: the station stopped
   * between the link and the start of its move (a scan that linked 40 waiting shots files them one
   * by one). Linking holds them back from upload and retention until they are filed (held.ts), so
   * they are filed on start.
   */
  unfiledLinked(): number[] {
    return (
      this.db
        .prepare(
          `SELECT l.capture_id FROM capture_links l JOIN objects o ON o.id = l.object_id JOIN captures c ON c.id = l.capture_id
            WHERE o.state != 'open' AND c.local_deleted_at IS NULL AND NOT EXISTS (SELECT 1 FROM filing_moves f WHERE f.capture_id = l.capture_id)
            ORDER BY l.capture_id`,
        )
        .all() as { capture_id: number }[]
    ).map((r) => r.capture_id);
  }

  /** Moves that failed (a full, unwritable or unmounted library): tried again on start. */
  failedMoves(): FilingMove[] {
    const ids = this.db.prepare(`SELECT capture_id FROM filing_moves WHERE state = 'failed' ORDER BY capture_id`).all() as { capture_id: number }[];
    return ids.map((r) => this.move(r.capture_id)!);
  }

  /**
   * Whether a move not yet done, other than to `except`, promised a file named `stem` plus an
   * extension (a shot's name is one stem for all its files). Done moves are files in the library,
   * which the caller sees there; pending ones are few, so this reads only them (by index).
   */
  isPlannedStem(stem: string, except?: string): boolean {
    return this.db.prepare(`SELECT 1 FROM filing_moves WHERE state = 'pending' AND instr(to_path, ?) = 1 AND to_path != ?`).get(`${stem}.`, except ?? '') !== undefined;
  }

  /** Library paths already promised to a move, so two captures never get the same name. */
  isPlannedDestination(toPath: string): boolean {
    return this.db.prepare(`SELECT 1 FROM filing_moves WHERE to_path = ? AND state != 'failed'`).get(toPath) !== undefined;
  }
}
