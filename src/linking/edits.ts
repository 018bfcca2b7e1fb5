/**
 * Fixing linking mistakes after the fact: relink captures or a whole object to another barcode,
 * split an object, merge two, mark a capture for re-shoot — and undo the last of these. Each edit
 * changes the rows and writes its event (carrying what undo needs) in one transaction, then
 * renames the filed files through the filing journal, so a crash mid-rename is finished on start.
 *
 * Invariant: a shot (the captures sharing an object and sequence number, e.g. a RAW and its TIFF)
 * is never split by an edit: it moves, and is renumbered, as one.
 */
import { classifyScan } from '../barcode/validate.js';
import type { LinkingConfig } from '../config/schema.js';
import { StationError } from '../errors.js';
import { moveVerified } from '../filing/move.js';
import type { CaptureStore } from '../store/captures.js';
import type { Db } from '../store/database.js';
import { appendEvent } from '../store/events.js';
import type { LibraryNaming } from './naming.js';
import type { LinkStore } from './store.js';

/** Where each capture was before an edit: what undo puts back. */
interface Placement {
  captureId: number;
  objectId: number;
  seq: number;
  view: string | null;
}

/** What an edit did, as its outcome and `link.edit` event say. */
export type EditKind = 'relink' | 'split' | 'merge' | 'barcode' | 'reshoot';

type EditData =
  | { kind: 'relink'; before: Placement[] }
  | { kind: 'barcode'; objectId: number; before: string; after: string }
  | { kind: 'reshoot'; captureId: number; before: boolean };

export interface EditOutcome {
  editId: number;
  kind: EditKind;
  captureIds: number[];
}

export class LinkEditor {
  constructor(
    private readonly db: Db,
    private readonly links: LinkStore,
    private readonly captures: CaptureStore,
    private readonly naming: LibraryNaming,
    private readonly config: LinkingConfig,
    /** Runs `work` after every queued move, one at a time with them (the linker's filing chain). */
    private readonly serialize: <T>(work: () => Promise<T>) => Promise<T>,
    /** Called inside each edit's transaction with the captures whose object changed (their mismatch check is judged again). */
    private readonly relinked: (captureIds: readonly number[]) => void,
    /** Called after each edit (and undo) commits, so the rig's open objects follow the database. */
    private readonly committed: () => void,
  ) {}

  /** Moves whole shots to the object of `barcode` at their source (its newest, or a new one), numbered after its last shot. */
  relinkCaptures(captureIds: readonly number[], barcode: string): Promise<EditOutcome> {
    return this.serialize(async () => {
      const code = this.validBarcode(barcode);
      const ids = this.wholeShots(captureIds);
      const sourceId = this.captures.get(ids[0]!)!.sourceId;
      const edit = this.commit(() => {
        const target = this.links.latestObject(code, sourceId) ?? this.links.createClosedObject(code, sourceId);
        return this.place(ids, target.id, 'relink');
      });
      await this.renameFiled(edit.captureIds);
      return edit;
    });
  }

  /** The shots of `objectId` from `fromSeq` on become their own object with `barcode`. */
  splitObject(objectId: number, fromSeq: number, barcode: string): Promise<EditOutcome> {
    return this.serialize(async () => {
      const code = this.validBarcode(barcode);
      const object = this.objectOrThrow(objectId);
      const ids = this.links.capturesOf(objectId).filter((id) => this.links.linkOf(id)!.seq >= fromSeq);
      if (ids.length === 0) throw new StationError('INVALID_ARGUMENT', `Object ${object.barcode} has no shot numbered ${fromSeq} or later: nothing to split off.`);
      const edit = this.commit(() => this.place(ids, this.links.createClosedObject(code, object.sourceId).id, 'split'));
      await this.renameFiled(edit.captureIds);
      return edit;
    });
  }

  /** Every shot of `objectId` joins `intoObjectId`, after its last shot. */
  mergeObjects(objectId: number, intoObjectId: number): Promise<EditOutcome> {
    return this.serialize(async () => {
      if (objectId === intoObjectId) throw new StationError('INVALID_ARGUMENT', 'An object cannot be merged into itself.');
      this.objectOrThrow(objectId);
      this.objectOrThrow(intoObjectId);
      const ids = this.links.capturesOf(objectId);
      const edit = this.commit(() => this.place(ids, intoObjectId, 'merge'));
      await this.renameFiled(edit.captureIds);
      return edit;
    });
  }

  /** The object keeps its shots and takes another barcode (a mislabelled or misread object). */
  relinkObject(objectId: number, barcode: string): Promise<EditOutcome> {
    return this.serialize(async () => {
      const code = this.validBarcode(barcode);
      const object = this.objectOrThrow(objectId);
      const captureIds = this.links.capturesOf(objectId);
      const edit = this.commit(() => {
        this.links.setBarcode(objectId, code);
        this.relinked(captureIds);
        return this.record({ kind: 'barcode', objectId, before: object.barcode, after: code }, captureIds);
      });
      await this.renameFiled(captureIds);
      return edit;
    });
  }

  setReshoot(captureId: number, reshoot: boolean): Promise<EditOutcome> {
    return this.serialize(async () => {
      if (!this.captures.get(captureId)) throw new StationError('NOT_FOUND', `There is no capture ${captureId}.`);
      return this.db.transaction(() => {
        const before = this.reshootOf(captureId);
        this.db.prepare('UPDATE captures SET reshoot = ? WHERE id = ?').run(reshoot ? 1 : 0, captureId);
        return this.record({ kind: 'reshoot', captureId, before }, [captureId]);
      })();
    });
  }

  /** Reverses the newest edit not yet undone (itself an event, so the log keeps both). */
  undoLast(): Promise<EditOutcome> {
    return this.serialize(async () => {
      const last = this.db
        .prepare(
          `SELECT id, data_json FROM events e WHERE type = 'link.edit'
             AND NOT EXISTS (SELECT 1 FROM events u WHERE u.type = 'link.edit-undone' AND json_extract(u.data_json, '$.editId') = e.id)
           ORDER BY id DESC LIMIT 1`,
        )
        .get() as { id: number; data_json: string } | undefined;
      if (!last) throw new StationError('NOT_FOUND', 'There is no linking edit to undo.');
      const logged = JSON.parse(last.data_json) as { why?: EditKind; data: EditData; captureIds: number[] };
      const { data } = logged;
      const kind = logged.why ?? data.kind;
      // A renamed object may have taken more shots since (it was open on the rig): they all take the old barcode back.
      const captureIds = data.kind === 'barcode' ? this.links.capturesOf(data.objectId) : logged.captureIds;
      this.commit(() => {
        if (data.kind === 'relink') for (const p of data.before) this.links.setLink(p.captureId, p.objectId, p.seq, p.view);
        else if (data.kind === 'barcode') this.links.setBarcode(data.objectId, data.before);
        else this.db.prepare('UPDATE captures SET reshoot = ? WHERE id = ?').run(data.before ? 1 : 0, data.captureId);
        if (data.kind !== 'reshoot') this.relinked(captureIds);
        appendEvent(this.db, { type: 'link.edit-undone', data: { editId: last.id, kind, captureIds } });
      });
      if (data.kind !== 'reshoot') await this.renameFiled(captureIds);
      return { editId: last.id, kind, captureIds };
    });
  }

  /** Re-links `ids` (whole shots) into `objectId`, renumbered after its last shot; runs inside a transaction. */
  private place(ids: number[], objectId: number, why: 'relink' | 'split' | 'merge'): EditOutcome {
    const before = ids.map((captureId) => this.links.linkOf(captureId)!);
    const shots = new Map<string, number>();
    let next = this.links.maxSeq(objectId);
    for (const b of [...before].sort((x, y) => x.objectId - y.objectId || x.seq - y.seq)) {
      const key = `${b.objectId}:${b.seq}`;
      if (!shots.has(key)) shots.set(key, ++next);
      const seq = shots.get(key)!;
      this.links.setLink(b.captureId, objectId, seq, this.config.views[seq - 1] ?? null);
    }
    this.relinked(ids);
    return this.record({ kind: 'relink', before: before.map(({ captureId, objectId: o, seq, view }) => ({ captureId, objectId: o, seq, view })) }, ids, why);
  }

  private record(data: EditData, captureIds: number[], why: EditKind = data.kind): EditOutcome {
    const event = appendEvent(this.db, { type: 'link.edit', data: { why, data, captureIds } });
    for (const captureId of captureIds) {
      const link = this.links.linkOf(captureId);
      appendEvent(this.db, { type: 'capture.relinked', captureId, data: { editId: event.id, why, barcode: link?.barcode ?? null, seq: link?.seq ?? null, view: link?.view ?? null } });
    }
    return { editId: event.id, kind: why, captureIds };
  }

  /** Runs `work` in a transaction; once it has committed, the rig's sessions follow the new links. */
  private commit<T>(work: () => T): T {
    const out = this.db.transaction(work)();
    this.committed();
    return out;
  }

  /** Filed captures take the names their new links give them; unfiled ones are named when filed. */
  private async renameFiled(captureIds: readonly number[]): Promise<void> {
    for (const id of captureIds) {
      const capture = this.captures.get(id);
      const link = this.links.linkOf(id);
      if (!capture?.sha256 || !link || this.links.move(id)?.state !== 'done') continue;
      const to = await this.naming.destination(capture, link, capture.path);
      if (to === capture.path) continue;
      this.links.planMove(id, capture.path, to);
      try {
        await moveVerified(capture.path, to, { sha256: capture.sha256, size: capture.size, mtimeMs: capture.mtimeUs / 1000 });
        this.links.settleMove(id, { done: true });
      } catch (err) {
        this.links.settleMove(id, { done: false, error: err instanceof Error ? err.message : String(err) });
        throw err;
      }
    }
  }

  /** The given captures and every capture sharing a shot with them, all linked. */
  private wholeShots(captureIds: readonly number[]): number[] {
    if (captureIds.length === 0) throw new StationError('INVALID_ARGUMENT', 'Name at least one capture to relink.');
    const out = new Set<number>();
    for (const id of captureIds) {
      const link = this.links.linkOf(id);
      if (!link) throw new StationError('INVALID_ARGUMENT', `Capture ${id} is not linked to an object; scan its barcode and shoot it again, or link it first.`);
      for (const other of this.links.capturesOf(link.objectId)) if (this.links.linkOf(other)!.seq === link.seq) out.add(other);
    }
    return [...out];
  }

  private validBarcode(code: string): string {
    const scan = classifyScan(code, this.config.barcode);
    if (scan.kind === 'refused') throw new StationError('INVALID_ARGUMENT', `Barcode "${code}" was refused: it ${scan.reason}.`);
    if (scan.kind === 'control') throw new StationError('INVALID_ARGUMENT', `"${code}" is a control code, not an object barcode.`);
    return scan.code;
  }

  private objectOrThrow(objectId: number) {
    const object = this.links.object(objectId);
    if (!object) throw new StationError('NOT_FOUND', `There is no object ${objectId}.`);
    return object;
  }

  private reshootOf(captureId: number): boolean {
    return (this.db.prepare('SELECT reshoot FROM captures WHERE id = ?').get(captureId) as { reshoot: number }).reshoot === 1;
  }
}
