/**
 * Fixing linking mistakes after the fact: relink captures or a whole object to another barcode,
 * split an object, merge two, mark a capture for re-shoot — and undo the last of these. Each edit
 * changes the rows and writes its event (carrying what undo needs) in one transaction, then
 * renames the filed files through the filing journal, so a crash mid-rename is finished on start.
 *
 * Invariant: a shot (the captures sharing an object and sequence number, e.g. a RAW and its TIFF)
 * is never split by an edit: it moves, and is renumbered, as one.
 */
import path from 'node:path';
import { classifyScan, quotedScan } from '../barcode/validate.js';
import type { LinkingConfig, SourceConfig } from '../config/schema.js';
import { StationError } from '../errors.js';
import { removeEmptiedFolders } from '../filing/library.js';
import { moveVerified } from '../filing/move.js';
import { createLogger } from '../log/logger.js';
import type { CheckResult } from '../quality/index.js';
import type { CaptureRecord, CaptureStore } from '../store/captures.js';
import type { Db } from '../store/database.js';
import { appendEvent } from '../store/events.js';
import { EditWords, shotWords, type LoggedEdit } from './edit-words.js';
import { expectationsOf } from './expected.js';
import { putBackPath, rejectedFolder, reshootFolder, stemOf, unlinkedFolder, type LibraryNaming } from './naming.js';
import type { CaptureLink, LinkStore, ObjectRecord, ObjectState } from './store.js';

const log = createLogger('linking.edits');

/** Where each capture was before an edit: what undo puts back. */
interface Placement {
  captureId: number;
  /** null: the capture was linked by this edit for the first time; undo unlinks it and puts its file back at `path`. */
  objectId: number | null;
  seq: number | null;
  view: string | null;
  path?: string;
  /** The capture was flagged for re-shoot because it failed QC, and passes with the link this edit gave it: the edit cleared the flag, undo sets it again. */
  reshootCleared?: true;
  /**
   * A capture linked for the first time: its barcode-mismatch result before (judged against the
   * object open when it was shot, which no link records), put back as it was by undo.
   */
  mismatch?: CheckResult;
}

/** A shot an undo put back under another number than it had, as `takenBy` hold that number now. */
export interface Renumbered {
  captureIds: number[];
  objectId: number;
  barcode: string;
  was: number;
  seq: number;
  view: string | null;
  takenBy: number[];
}

/** What an edit did, as its outcome and events say: `link` = captures that had no object before. */
export type EditKind = 'relink' | 'link' | 'split' | 'merge' | 'barcode' | 'reshoot';

export type EditData =
  | { kind: 'relink'; before: Placement[] }
  | { kind: 'barcode'; objectId: number; before: string; after: string }
  /**
   * `captureId` was named, its whole shot flagged or cleared; `flaggedBefore`: those of the shot that
   * were flagged before (absent in an edit logged when only `captureId` was: then its `before`).
   */
  | { kind: 'reshoot'; captureId: number; before: boolean; flaggedBefore?: number[] };

/** What an edit changes, as it was before it (see renameOrRollBack). */
interface Snapshot {
  links: CaptureLink[];
  paths: Map<number, string>;
  reshoot: number[];
  /** The barcode-mismatch results of the captures not linked (see Placement.mismatch). */
  mismatch: Map<number, CheckResult>;
}

export interface EditOutcome {
  editId: number;
  kind: EditKind;
  captureIds: number[];
  /** An undo's answer in words: which edit it undid, and where its captures are now. */
  message?: string;
  /**
   * Captures of the edit not filed in the library yet (filing had not moved them, or could not):
   * where filing will put them next, as their links name them now (`to`, absolute).
   */
  filedLater?: { captureId: number; to: string }[];
}

/** The newest edit not undone yet, as an undo button announces it. */
export interface LastEdit {
  editId: number;
  kind: EditKind;
  /** What it did, e.g. "rename ZZ1 → BR1 (3 captures)". */
  summary: string;
  captureIds: number[];
}

export class LinkEditor {
  private readonly words: EditWords;
  /** See newestEdit; undefined: to be read from the log. */
  private newest: (LoggedEdit & { id: number }) | null | undefined;

  constructor(
    private readonly db: Db,
    private readonly links: LinkStore,
    private readonly captures: CaptureStore,
    private readonly naming: LibraryNaming,
    private readonly config: LinkingConfig,
    /** Runs `work` after every queued move, one at a time with them (the linker's filing chain). */
    private readonly serialize: <T>(work: () => Promise<T>) => Promise<T>,
    /**
     * Called inside each edit's transaction with the captures whose object changed: their mismatch
     * check is judged again, except those in `earlier`, which take that result back (an undo).
     */
    private readonly relinked: (captureIds: readonly number[], earlier?: ReadonlyMap<number, CheckResult>) => void,
    /** Called after each edit (and undo) commits, so the rig's open objects follow the database. */
    private readonly committed: () => void,
    /** Called with the filed captures an edit renamed in the library, once their files have their new names. */
    private readonly renamed: (captureIds: readonly number[]) => void,
    /** Called with every capture an edit (or its undo, or its rollback) moved, once its files are where its link says: screens showing them fetch them again. */
    private readonly changed: (captureIds: readonly number[]) => void,
    /** The pattern-valid codes in the capture's image when they contradict `barcode` (a barcode mismatch), else null. */
    private readonly contradiction: (captureId: number, barcode: string) => string[] | null,
    /** Reads the capture's image again for `barcode` when its stored codes contradict it but its search stopped early (MismatchRecheck.readAgain). */
    private readonly readAgain: (captureId: number, barcode: string) => Promise<void>,
    /** Where captures are put back when an undo unlinks them (putBackPath). */
    private readonly sources: readonly Pick<SourceConfig, 'id' | 'path' | 'views' | 'expectedShots'>[],
    /** An alarm about capture `captureId`, written in the caller's transaction and announced after it. */
    private readonly alarm: (captureId: number, message: string) => void,
  ) {
    this.words = new EditWords(links, captures, (id) => this.reshootOf(id), (id) => this.captures.get(id)?.path.startsWith(path.join(naming.library, unlinkedFolder) + path.sep) === true);
  }

  /** The view of shot `seq` of an object of `sourceId` (expected.ts). */
  private viewAt(sourceId: string, seq: number): string | null {
    return expectationsOf(this.sources.find((s) => s.id === sourceId), this.config).views[seq - 1] ?? null;
  }

  /**
   * Moves whole shots to the object of `barcode` at their source (its newest one not rejected, or a
   * new closed one), numbered after its last shot. A capture never linked (shot with no object open) is linked the
   * same way, and filed by the template.
   */
  relinkCaptures(captureIds: readonly number[], barcode: string): Promise<EditOutcome> {
    return this.serialize(async () => {
      await this.readFirst(() => this.wholeShots(captureIds).map((id) => [id, this.validBarcode(barcode)]));
      const code = this.validBarcode(barcode);
      const ids = this.wholeShots(captureIds);
      const sourceId = this.captures.get(ids[0])!.sourceId;
      this.refuseAlreadyThere(ids, this.links.latestObject(code, sourceId));
      this.refuseContradicted(ids.map((id) => [id, code]), `Relinking to ${code}`);
      const before = this.snapshot(ids);
      const edit = this.commit(() => {
        const target = this.links.latestObject(code, sourceId) ?? this.links.createClosedObject(code, sourceId);
        return this.place(ids, target.id, 'relink');
      });
      return this.renameOrRollBack(edit, before);
    });
  }

  /**
   * Refuses a relink of shots already in `target` (the object they would move to): it would only
   * renumber them after its last shot, leaving their numbers empty. When only some are there, the
   * whole relink is refused, naming them and the others to relink alone, so nothing moves by half.
   */
  private refuseAlreadyThere(ids: readonly number[], target: ObjectRecord | null): void {
    const there = target === null ? [] : ids.filter((id) => this.links.linkOf(id)?.objectId === target.id);
    if (target === null || there.length === 0) return;
    const shots = new Map<number, string[]>();
    for (const id of there) {
      const seq = this.links.linkOf(id)!.seq;
      shots.set(seq, [...(shots.get(seq) ?? []), `${this.captures.get(id)!.relPath} (capture ${id})`]);
    }
    const each = [...shots].sort(([a], [b]) => a - b).map(([seq, files]) => `${files.join(' and ')} ${files.length === 1 ? 'is' : 'are'} already shot ${seq} of ${target.barcode}`);
    const others = ids.filter((id) => !there.includes(id));
    const fix = others.length === 0 ? '' : ` To move the others, relink only them: capture${others.length === 1 ? '' : 's'} ${others.join(', ')}.`;
    throw new StationError('INVALID_ARGUMENT', `${each.join('; ')}; nothing was changed.${fix}`);
  }

  /** The shots of `objectId` from `fromSeq` on become their own object with `barcode`. */
  splitObject(objectId: number, fromSeq: number, barcode: string): Promise<EditOutcome> {
    return this.serialize(async () => {
      await this.readFirst(() => this.shotsFrom(objectId, fromSeq).map((id) => [id, this.validBarcode(barcode)]));
      const code = this.validBarcode(barcode);
      const object = this.objectOrThrow(objectId);
      const ids = this.shotsFrom(objectId, fromSeq);
      if (ids.length === 0) throw new StationError('INVALID_ARGUMENT', `Object ${object.barcode} has no shot numbered ${fromSeq} or later: nothing to split off.`);
      if (code === object.barcode) throw new StationError('INVALID_ARGUMENT', `Shots ${fromSeq}… of ${code} already have barcode ${code}; nothing was changed. Split them off as the barcode they belong to.`);
      this.refuseContradicted(ids.map((id) => [id, code]), `Splitting shots ${fromSeq}… of ${object.barcode} off as ${code}`);
      const before = this.snapshot(ids);
      const edit = this.commit(() => this.place(ids, this.links.createClosedObject(code, object.sourceId).id, 'split'));
      return this.renameOrRollBack(edit, before);
    });
  }

  /** Every shot of `objectId` joins `intoObjectId`, after its last shot. */
  mergeObjects(objectId: number, intoObjectId: number): Promise<EditOutcome> {
    return this.serialize(() => this.merge(objectId, intoObjectId));
  }

  /** Every shot of `objectId` joins the newest object of `barcode` in its project (see objectsOfBarcode), after its last shot. */
  mergeIntoBarcode(objectId: number, barcode: string): Promise<EditOutcome> {
    return this.serialize(() => {
      const code = this.validBarcode(barcode);
      const object = this.objectOrThrow(objectId);
      const into = this.objectsOfBarcode(code, objectId)[0];
      if (!into) throw new StationError('NOT_FOUND', this.noMergeTarget(object, code));
      return this.merge(objectId, into.id);
    });
  }

  /** Why no object of `code` takes the shots of `object` (mergeIntoBarcode), and what to do instead. */
  private noMergeTarget(object: ObjectRecord, code: string): string {
    if (code === object.barcode) return `Object ${code} has no other object with its barcode to merge into; nothing was changed.`;
    const rename = `To give ${object.barcode} that barcode instead, use Rename object`;
    const others = this.db.prepare('SELECT state FROM objects WHERE barcode = ? AND id != ?').pluck().all(code, object.id) as ObjectState[];
    if (others.includes('rejected')) {
      return `Object ${code} was rejected (REJECT): it takes no more shots, as its files are set aside in _rejected/ and never uploaded. ${rename}: it becomes a new object ${code}.`;
    }
    // Not rejected, yet no target: its shots were all shot for other projects, which number a barcode's shots each on their own.
    if (others.length > 0) return `Object ${code} has shots only in other projects than ${object.barcode}'s (${this.projectOfObject(object.id)}): each project numbers its shots apart. ${rename}.`;
    return `There is no object ${code} to merge ${object.barcode} into. ${rename}.`;
  }

  private async merge(objectId: number, intoObjectId: number): Promise<EditOutcome> {
    await this.readFirst(() => {
      const into = this.links.object(intoObjectId);
      return into ? this.links.capturesOf(objectId).map((id) => [id, into.barcode]) : [];
    });
    if (objectId === intoObjectId) throw new StationError('INVALID_ARGUMENT', `Object ${this.links.object(objectId)?.barcode ?? objectId} cannot be merged into itself; nothing was changed.`);
    const from = this.objectOrThrow(objectId);
    const into = this.objectOrThrow(intoObjectId);
    if (into.state === 'rejected') {
      throw new StationError(
        'INVALID_ARGUMENT',
        `Object ${into.barcode} (${into.id}) was rejected (REJECT): it stays closed and takes no more shots, as its files are set aside in _rejected/ and never uploaded. To put these shots under ${into.barcode}, relink them to ${into.barcode}: a new object of that barcode takes them.`,
      );
    }
    const ids = this.links.capturesOf(objectId);
    if (ids.length === 0) throw new StationError('INVALID_ARGUMENT', `Object ${this.nothingToMove(from, into.barcode)}`);
    this.refuseContradicted(ids.map((id) => [id, into.barcode]), `Merging ${from.barcode} into ${into.barcode}`);
    const before = this.snapshot(ids);
    const edit = this.commit(() => this.place(ids, intoObjectId, 'merge'));
    return this.renameOrRollBack(edit, before);
  }

  /**
   * The object keeps its shots and takes another barcode (a mislabelled or misread object). A
   * barcode that already has an object in the project is refused, pointing to Merge: a rename would
   * give it a second object numbering from 1 again, its shots named like the other's.
   */
  relinkObject(objectId: number, barcode: string): Promise<EditOutcome> {
    return this.serialize(async () => {
      await this.readFirst(() => this.links.capturesOf(objectId).map((id) => [id, this.validBarcode(barcode)]));
      const code = this.validBarcode(barcode);
      const object = this.objectOrThrow(objectId);
      const captureIds = this.links.capturesOf(objectId);
      if (code === object.barcode) throw new StationError('INVALID_ARGUMENT', `Object ${code} already has barcode ${code}; nothing was changed.`);
      this.refuseSecondObject(object, code, 'renamed');
      this.refuseContradicted(captureIds.map((id) => [id, code]), `Renaming object ${object.barcode} to ${code}`);
      const before = this.snapshot(captureIds);
      const edit = this.commit(() => {
        this.links.setBarcode(objectId, code);
        this.relinked(captureIds);
        return this.record({ kind: 'barcode', objectId, before: object.barcode, after: code }, captureIds);
      });
      return this.renameOrRollBack(edit, before);
    });
  }

  /**
   * Refuses to give `object` the barcode `code` when another object in the project has it (or one is
   * open on the rig): it would be a second object of that barcode numbering from 1 again, its shots
   * named like the other's. Points to Merge. Shots flagged for re-shoot count: they are still the object's.
   */
  private refuseSecondObject(object: ObjectRecord, code: string, done: string): void {
    // A closed object with no shots holds no number the renamed shots would repeat (a merge still takes it).
    const existing = this.objectsOfBarcode(code, object.id).filter((o) => o.state === 'open' || !o.empty);
    if (existing.length === 0) return;
    const there = [...shotWords(this.links.shotCounts(existing.map((o) => o.id))), ...(existing.some((o) => o.state === 'open') ? ['open on the rig'] : [])];
    const own = this.links.shotCounts([object.id]);
    const [count, flagged] = shotWords(own);
    const fix =
      own.shots === 0
        ? this.nothingToMove(object, code)
        : `To add ${object.barcode}'s ${count}${flagged ? ` (${flagged})` : ''} to ${code}, use Merge into ${code} (they are numbered after its last shot).`;
    throw new StationError('INVALID_ARGUMENT', `Object ${code} already exists (${there.join(', ')}): ${done}, ${object.barcode} would be a second object ${code} numbered from 1 again. ${fix}`);
  }

  /** What to do about object `object`, which has no shots, instead of moving them to `code`. */
  private nothingToMove(object: ObjectRecord, code: string): string {
    return object.state === 'open'
      ? `${object.barcode} has no shots yet, so nothing needs to move to ${code}: to shoot ${code} now, scan ${code} (its shots are numbered after its last shot).`
      : `${object.barcode} has no shots, so nothing needs to move to ${code}.`;
  }

  /**
   * Flags a capture's whole shot for re-shoot, or clears the flag. A flagged shot is set aside as
   * UNDO sets one aside (filed files to _reshoot/<barcode>/<original name>, out of the object's
   * names, not uploaded), but keeps its link: marking a shot is a judgement of the image, not a
   * wrong link, so the object still counts where it was. Cleared, it is filed under its names again.
   */
  setReshoot(captureId: number, reshoot: boolean): Promise<EditOutcome> {
    return this.serialize(async () => {
      if (!this.captures.get(captureId)) throw new StationError('NOT_FOUND', `There is no capture ${captureId}.`);
      const link = this.links.linkOf(captureId);
      // A capture not linked has no shot number to share; its file is not under an object's name.
      const ids = link ? this.links.capturesOf(link.objectId).filter((id) => this.links.linkOf(id)!.seq === link.seq) : [captureId];
      const before = this.snapshot(ids);
      const edit = this.commit(() => {
        const data: EditData = { kind: 'reshoot', captureId, before: this.reshootOf(captureId), flaggedBefore: before.reshoot };
        for (const id of ids) this.flagReshoot(id, reshoot);
        return this.record(data, ids);
      });
      return this.renameOrRollBack(edit, before);
    });
  }

  /** The edit undoLast would undo now, in words; null when there is none. */
  lastEdit(): LastEdit | null {
    const last = this.newestEdit();
    return last && { editId: last.id, kind: last.kind, summary: this.words.summary(last), captureIds: [...last.captureIds] };
  }

  /** Reverses the newest edit not yet undone (itself an event, so the log keeps both). */
  undoLast(): Promise<EditOutcome> {
    return this.serialize(async () => {
      await this.readFirst(() => {
        const pending = this.newestEdit();
        return pending ? this.linksAfterUndo(pending.data, this.undoneCaptures(pending)) : [];
      });
      const last = this.newestEdit();
      if (!last) throw new StationError('NOT_FOUND', 'There is no linking edit to undo.');
      const { data, kind } = last;
      const summary = this.words.summary(last);
      const captureIds = this.undoneCaptures(last);
      // Undoing a rename gives the old barcode back: refused, like the rename itself, if that barcode has an object again since.
      if (data.kind === 'barcode') this.refuseSecondObject(this.objectOrThrow(data.objectId), data.before, 'with the rename undone');
      this.refuseContradicted(this.linksAfterUndo(data, captureIds), 'Undoing the last linking edit');
      const notes = this.commit(() => {
        const renumbered = data.kind === 'relink' ? this.putBack(data.before, captureIds) : [];
        if (data.kind === 'barcode') this.links.setBarcode(data.objectId, data.before);
        else if (data.kind === 'reshoot' && data.flaggedBefore) for (const id of captureIds) this.flagReshoot(id, data.flaggedBefore.includes(id));
        else if (data.kind === 'reshoot') this.flagReshoot(data.captureId, data.before);
        if (data.kind !== 'reshoot') this.relinked(captureIds, earlierMismatch(data));
        // Judged again above: the old link makes it fail, and it is to be re-shot again.
        if (data.kind === 'relink') for (const p of data.before) if (p.reshootCleared) this.flagReshoot(p.captureId, true);
        this.newest = undefined;
        const undoneEvent = appendEvent(this.db, { type: 'link.edit-undone', data: { editId: last.id, kind, captureIds, ...(renumbered.length > 0 ? { renumbered } : {}) } });
        for (const r of renumbered) {
          for (const captureId of r.captureIds) {
            appendEvent(this.db, { type: 'capture.relinked', captureId, data: { editId: last.id, undoId: undoneEvent.id, why: 'undo', barcode: r.barcode, seq: r.seq, view: r.view, takenBy: r.takenBy } });
          }
        }
        return this.words.renumberings(renumbered, captureIds);
      });
      // A capture this edit linked for the first time goes back where it was found.
      const back = new Map(data.kind === 'relink' ? data.before.flatMap((p) => (p.objectId === null && p.path !== undefined ? [[p.captureId, p.path] as const] : [])) : []);
      const paths = this.pathsOf(captureIds);
      try {
        await this.renameFiled(captureIds, back);
        this.announceRenamed(captureIds, paths);
      } finally {
        this.changed(captureIds);
      }
      const since = notes.length > 0 ? ` (${notes.join('; ')})` : '';
      return { editId: last.id, kind, captureIds, message: `Undid "${summary}": ${this.words.whereNow(last, captureIds)}${since}.` };
    });
  }

  /**
   * Puts an undone relink's captures back where `before` says; runs inside the undo's transaction.
   * Numbers are never shared by two exposures: a shot whose old number another exposure of the
   * barcode has taken since (the open object, or the barcode scanned again, gives a vacated number to
   * its next shot) comes back after the object's last shot instead, with the view that number gets,
   * as a relink would place it. `undone`: the captures the undo moves; those not put back yet hold no
   * number, while those put back hold theirs like any other exposure: a shot renumbered after the
   * last may have taken the number of one put back after it. Shots go back in their order, so the
   * renumbered ones keep it. A rejected object's own shots only hold its numbers: the barcode shot
   * anew reuses them (see maxSeqOfBarcode). Returns those renumbered.
   */
  private putBack(before: readonly Placement[], undone: readonly number[]): Renumbered[] {
    const moving = new Set(undone);
    const placed = new Set<number>();
    const renumbered: Renumbered[] = [];
    for (const p of before) if (p.objectId === null) this.links.removeLink(p.captureId);
    for (const shot of shotsOf(before)) {
      const { objectId, seq: was, captureId } = shot[0];
      const project = this.projectOf(captureId);
      const object = this.links.object(objectId)!;
      const takenBy = this.links
        .capturesAtSeq(objectId, was, project, this.config.project)
        .filter((id) => (!moving.has(id) || placed.has(id)) && (object.state !== 'rejected' || this.links.linkOf(id)!.objectId === objectId));
      const seq = takenBy.length === 0 ? was : Math.max(this.links.maxSeq(objectId), this.links.maxSeqOfBarcode(object.barcode, project, this.config.project)) + 1;
      const view = this.viewAt(object.sourceId, seq);
      if (seq !== was) renumbered.push({ captureIds: shot.map((p) => p.captureId), objectId, barcode: object.barcode, was, seq, view, takenBy });
      for (const p of shot) {
        this.links.setLink(p.captureId, objectId, seq, seq === was ? p.view : view);
        placed.add(p.captureId);
      }
    }
    return renumbered;
  }

  /**
   * The newest edit not undone. An undo (or a rollback) always takes the newest edit not undone, so
   * walking the log back from its end, the first edit not named by an undo met on the way is it:
   * right after an edit that is the last row. The event log has no index by type, so a walk to an
   * old edit (or through a log with none) reads every row on the way: the answer is kept until the
   * next edit, undo or rollback (only this class writes them) clears it, and History, which asks on
   * each capture picked, does not pay for that walk again.
   */
  private newestEdit(): (LoggedEdit & { id: number }) | null {
    if (this.newest !== undefined) return this.newest;
    const undone = new Set<number>();
    this.newest = null;
    const rows = this.db.prepare(`SELECT id, type, data_json FROM events WHERE type IN ('link.edit', 'link.edit-undone') ORDER BY id DESC`).iterate() as Iterable<{ id: number; type: string; data_json: string }>;
    for (const row of rows) {
      if (row.type === 'link.edit-undone') {
        undone.add((JSON.parse(row.data_json) as { editId: number }).editId);
        continue;
      }
      if (undone.has(row.id)) continue;
      const logged = JSON.parse(row.data_json) as { why?: EditKind; data: EditData; captureIds: number[] };
      this.newest = { id: row.id, kind: logged.why ?? logged.data.kind, data: logged.data, captureIds: logged.captureIds };
      break;
    }
    return this.newest;
  }

  /**
   * Re-links `ids` (whole shots) into `objectId`, renumbered after its last shot; runs inside a
   * transaction. Captures not linked before become shots by their hot-folder stem (a RAW and its
   * TIFF stay one shot), after the linked ones.
   */
  private place(ids: number[], objectId: number, why: 'relink' | 'split' | 'merge'): EditOutcome {
    const before: Placement[] = ids.map((captureId) => {
      const link = this.links.linkOf(captureId);
      if (link) return { captureId, objectId: link.objectId, seq: link.seq, view: link.view };
      const [mismatch] = this.mismatchOf(captureId);
      return { captureId, objectId: null, seq: null, view: null, path: this.captures.get(captureId)!.path, ...(mismatch ? { mismatch } : {}) };
    });
    const shotKey = (p: Placement) => (p.objectId === null ? `new:${stemOf(this.captures.get(p.captureId)!.relPath)}` : `${p.objectId}:${p.seq}`);
    const shots = new Map<string, number>();
    // After the object's last shot and after every shot its barcode has in the captures' project
    // (a new object made by a split, for a barcode shot before, must not reuse its numbers).
    const barcode = this.links.object(objectId)!.barcode;
    const failed = new Set(ids.filter((id) => this.captures.get(id)!.verdict === 'fail'));
    let next = Math.max(this.links.maxSeq(objectId), this.links.maxSeqOfBarcode(barcode, this.projectOf(ids[0]!), this.config.project));
    for (const b of [...before].sort((x, y) => (x.objectId ?? Infinity) - (y.objectId ?? Infinity) || (x.seq ?? x.captureId) - (y.seq ?? y.captureId))) {
      const key = shotKey(b);
      if (!shots.has(key)) shots.set(key, ++next);
      const seq = shots.get(key)!;
      this.links.setLink(b.captureId, objectId, seq, this.viewAt(this.links.object(objectId)!.sourceId, seq), this.naming.namedFor(b.captureId));
    }
    this.relinked(ids);
    // A capture flagged for re-shoot because it failed (a barcode mismatch: shot while another
    // object was open) that passes with its new link is no longer to be re-shot: it is filed and
    // uploaded like any passing capture. A flag UNDO or setReshoot gave a passing capture stays.
    for (const b of before) {
      if (!failed.has(b.captureId) || !this.reshootOf(b.captureId) || this.captures.get(b.captureId)!.verdict === 'fail') continue;
      b.reshootCleared = true;
      this.flagReshoot(b.captureId, false);
    }
    const firstLinked = new Set(before.filter((b) => b.objectId === null).map((b) => b.captureId));
    return this.record({ kind: 'relink', before }, ids, firstLinked.size === ids.length ? 'link' : why, firstLinked);
  }

  /** Writes the edit's event and one per capture; `firstLinked` are captures that had no object before (their event says `link`). */
  private record(data: EditData, captureIds: number[], why: EditKind = data.kind, firstLinked: ReadonlySet<number> = new Set()): EditOutcome {
    this.newest = undefined;
    const event = appendEvent(this.db, { type: 'link.edit', data: { why, data, captureIds } });
    for (const captureId of captureIds) {
      const link = this.links.linkOf(captureId);
      appendEvent(this.db, {
        type: 'capture.relinked',
        captureId,
        data: { editId: event.id, why: firstLinked.has(captureId) ? 'link' : why, barcode: link?.barcode ?? null, seq: link?.seq ?? null, view: link?.view ?? null },
      });
    }
    return { editId: event.id, kind: why, captureIds };
  }

  /** Runs `work` in a transaction; once it has committed, the rig's sessions follow the new links. */
  private commit<T>(work: () => T): T {
    const out = this.db.transaction(work)();
    this.committed();
    return out;
  }

  /**
   * Filed captures take the names their new links give them; unfiled ones are named when filed.
   * A filed capture left with no link goes to its path in `back` (where it was before it was linked).
   */
  private async renameFiled(captureIds: readonly number[], back: ReadonlyMap<number, string> = new Map()): Promise<number[]> {
    const moved: number[] = [];
    for (const id of captureIds) if (await this.renameOne(id, back)) moved.push(id);
    return moved;
  }

  /**
   * Tells the upload side which captures ended up under another name than `before` (their copies at
   * targets carry the old one). With `linkChanged`, captures whose local file retention removed are
   * told too: their file cannot be renamed, yet their link changed, and the upload side records
   * their copies as kept under names they no longer have.
   */
  private announceRenamed(captureIds: readonly number[], before: ReadonlyMap<number, string>, linkChanged = true): void {
    const renamed = captureIds.filter((id) => before.has(id) && (this.captures.get(id)?.path !== before.get(id) || (linkChanged && this.captures.localRemoved(id))));
    if (renamed.length > 0) this.renamed(renamed);
  }

  /** True when the capture's filed file was moved to a new name. */
  private async renameOne(id: number, back: ReadonlyMap<number, string>): Promise<boolean> {
    const capture = this.captures.get(id);
    const link = this.links.linkOf(id);
    const filed = this.links.move(id);
    if (!capture?.sha256 || filed?.state !== 'done') return false;
    // The start-up mark this rename settles (see LinkStore.clearRelinked); read before any wait.
    const mark = this.links.relinkedAt(id) ?? undefined;
    // Retention removed the local file (its copies are at the targets): the link changes, no file can move.
    if (this.captures.localRemoved(id)) return false;
    const aside = link === null ? null : this.asideIn(id, link);
    const unlinked = !link && back.has(id) ? await this.naming.putBack(capture, this.putBackPlace(capture, back.get(id)!)) : null;
    const to = !link ? unlinked?.to : aside !== null ? await this.naming.setAside(capture, aside, link.barcode, capture.path) : await this.naming.destination(capture, link, capture.path);
    if (to === undefined || to === capture.path) {
      // Already where its link says: nothing for the next start to rename.
      if (link && to === capture.path && mark !== undefined) this.links.clearRelinked(id, mark);
      return false;
    }
    this.links.planMove(id, capture.path, to);
    try {
      await moveVerified(capture.path, to, { sha256: capture.sha256, size: capture.size, mtimeMs: capture.mtimeUs / 1000 });
      // Put back where it was found, it is not filed any more: a later link files it like a new one.
      this.db.transaction(() => {
        this.links.settleMove(id, unlinked ? { done: true, unfiled: unlinked.unfiled } : { done: true });
        if (unlinked?.alarm) this.alarm(id, unlinked.alarm);
        if (link && mark !== undefined) this.links.clearRelinked(id, mark);
      })();
      await removeEmptiedFolders(this.naming.library, path.dirname(capture.path));
      return true;
    } catch (err) {
      // The file is still under its filed name (a move that throws leaves its source): the
      // journal says so again, so nothing retries this rename behind the caller's back.
      this.links.settleMove(id, { done: false, error: err instanceof Error ? err.message : String(err) });
      this.links.restoreMove(filed);
      throw err;
    }
  }


  /** A rejected object's captures, and shots flagged for re-shoot, are set aside (in this folder), under the barcode it has now; null: filed by the template. */
  private asideIn(captureId: number, link: CaptureLink): string | null {
    return this.links.object(link.objectId)?.state === 'rejected' ? rejectedFolder : this.reshootOf(captureId) ? reshootFolder : null;
  }

  /**
   * Where filing will put the captures of an edit it has not filed yet (linker.ts `file` moves them
   * after the edit), so the answer says so rather than leave the technician to find the file moved a
   * moment later. A failed capture stays in the hot folder (linking.fileFailed), and one retention
   * removed has no file to move: neither is named. Filing picks a free name again when it runs.
   */
  private async filedLater(captureIds: readonly number[]): Promise<{ captureId: number; to: string }[]> {
    const later: { captureId: number; to: string }[] = [];
    for (const id of captureIds) {
      const capture = this.captures.get(id);
      const link = this.links.linkOf(id);
      if (!capture?.sha256 || !link || this.links.move(id)?.state === 'done' || this.captures.localRemoved(id)) continue;
      if (capture.verdict === 'fail' && !this.config.fileFailed) continue;
      const aside = this.asideIn(id, link);
      try {
        later.push({ captureId: id, to: aside !== null ? await this.naming.setAside(capture, aside, link.barcode) : await this.naming.destination(capture, link) });
      } catch (err) {
        // The edit is made: a name that cannot be worked out now is filing's to report when it runs.
        log.warn(`could not work out where capture ${id} will be filed after the edit; filing says so when it moves it`, { captureId: id, error: String(err) });
      }
    }
    return later;
  }

  /**
   * Where an undone first link puts the capture back: the place in the library it was set aside in
   * before (_reshoot/, _unlinked/), else its hot-folder place as the sources are configured now (the
   * folder it was found in may not be watched any more), null when its source is gone (putBackPath).
   */
  private putBackPlace(capture: CaptureRecord, was: string): string | null {
    return was.startsWith(this.naming.library + path.sep) ? was : putBackPath(capture, null, this.naming.library, this.sources);
  }

  /** Where `captureIds` are linked, their files are now, and which are flagged for re-shoot, for renameOrRollBack. */
  private snapshot(captureIds: readonly number[]): Snapshot {
    const mismatch = new Map(captureIds.flatMap((id) => (this.links.linkOf(id) ? [] : this.mismatchOf(id).map((r) => [id, r] as const))));
    return { links: captureIds.flatMap((id) => this.links.linkOf(id) ?? []), paths: this.pathsOf(captureIds), reshoot: captureIds.filter((id) => this.reshootOf(id)), mismatch };
  }

  /** The capture's barcode-mismatch result (none when the check is off for it). */
  private mismatchOf(captureId: number): CheckResult[] {
    return this.captures.results(captureId).filter((r) => r.check === 'barcodeMismatch');
  }

  private pathsOf(captureIds: readonly number[]): Map<number, string> {
    return new Map(captureIds.flatMap((id) => {
      const c = this.captures.get(id);
      return c ? [[id, c.path] as const] : [];
    }));
  }

  /**
   * Renames the files of a committed edit; when a rename fails, the links (and barcodes) go back
   * to `before` and the files renamed so far back to their names, and the edit is logged as undone,
   * so the database never names a file that is not there.
   */
  private async renameOrRollBack(edit: EditOutcome, snapshot: Snapshot): Promise<EditOutcome> {
    const before = snapshot.links;
    try {
      await this.renameFiled(edit.captureIds);
      this.announceRenamed(edit.captureIds, snapshot.paths);
      this.changed(edit.captureIds);
    } catch (err) {
      const reason = err instanceof Error ? err.message : String(err);
      this.db.transaction(() => {
        for (const b of before) {
          this.links.setLink(b.captureId, b.objectId, b.seq, b.view);
          this.links.setBarcode(b.objectId, b.barcode);
        }
        // A capture the edit linked for the first time had no link to go back to.
        for (const id of edit.captureIds) if (!before.some((b) => b.captureId === id)) this.links.removeLink(id);
        this.relinked(edit.captureIds, snapshot.mismatch);
        for (const id of edit.captureIds) if (this.reshootOf(id) !== snapshot.reshoot.includes(id)) this.flagReshoot(id, snapshot.reshoot.includes(id));
        this.newest = undefined;
        appendEvent(this.db, { type: 'link.edit-undone', data: { editId: edit.editId, kind: edit.kind, captureIds: edit.captureIds, reason } });
        for (const b of before) appendEvent(this.db, { type: 'capture.relinked', captureId: b.captureId, data: { editId: edit.editId, why: 'rolled back', barcode: b.barcode, seq: b.seq, view: b.view } });
      })();
      this.committed();
      // Files renamed so far take their names back; one linked for the first time goes back where it was.
      try {
        await this.renameFiled(edit.captureIds, snapshot.paths);
      } finally {
        // Only a file that could not be put back ends under another name than before the edit.
        this.announceRenamed(edit.captureIds, snapshot.paths, false);
        this.changed(edit.captureIds);
      }
      throw new StationError('FILE_UNREADABLE', `The edit was not made, as a filed file could not be renamed: ${reason} The links are as they were.`);
    }
    const later = await this.filedLater(edit.captureIds);
    return later.length > 0 ? { ...edit, filedLater: later } : edit;
  }

  /**
   * The given captures and every capture sharing a shot with them. A capture not linked brings the
   * other unlinked captures of its source with the same hot-folder stem and re-shoot flag (its RAW
   * or TIFF partner, shot with it) whose files are still there; itself it always brings, even when
   * retention removed its file (then only its link changes).
   */
  private wholeShots(captureIds: readonly number[]): [number, ...number[]] {
    if (captureIds.length === 0) throw new StationError('INVALID_ARGUMENT', 'Name at least one capture to relink.');
    const out = new Set<number>();
    for (const id of captureIds) {
      const capture = this.captures.get(id);
      if (!capture) throw new StationError('NOT_FOUND', `There is no capture ${id}.`);
      const link = this.links.linkOf(id);
      if (link) {
        for (const other of this.links.capturesOf(link.objectId)) if (this.links.linkOf(other)!.seq === link.seq) out.add(other);
        continue;
      }
      const newest = (this.db.prepare('SELECT MAX(version) AS v FROM captures WHERE source_id = ? AND rel_path = ?').get(capture.sourceId, capture.relPath) as { v: number }).v;
      if (capture.version !== newest) {
        throw new StationError('INVALID_ARGUMENT', `Capture ${id} is version ${capture.version} of ${capture.relPath}; that file now holds version ${newest}, so there is no file of it to link. Link the newest one instead.`);
      }
      out.add(id);
      const stem = stemOf(capture.relPath);
      const partners = this.db
        .prepare(
          // Only the newest version of each partner name (a re-shot file under the same name is a new
          // capture row, and an older one's path now holds the newer file), and only one still on disk.
          `SELECT c.id, c.rel_path FROM captures c WHERE c.source_id = ? AND instr(c.rel_path, ?) = 1 AND c.reshoot = (SELECT reshoot FROM captures WHERE id = ?)
             AND c.local_deleted_at IS NULL
             AND c.version = (SELECT MAX(v.version) FROM captures v WHERE v.source_id = c.source_id AND v.rel_path = c.rel_path)
             AND NOT EXISTS (SELECT 1 FROM capture_links l WHERE l.capture_id = c.id)`,
        )
        .all(capture.sourceId, `${stem}.`, id) as { id: number; rel_path: string }[];
      for (const p of partners) if (stemOf(p.rel_path) === stem) out.add(p.id);
    }
    const [first, ...rest] = out;
    // Every id given was added above (or threw), and at least one was given.
    return [first!, ...rest];
  }

  /**
   * Reads again, before an edit's checks, the images whose search stopped short of the barcode the
   * edit would link them to (readAgain), until one still contradicts it: the edit is refused for it
   * anyway. The edit's checks and its commit then follow with no wait between them, so nothing
   * scanned or recorded during the reads slips between a check and the change it allowed.
   */
  private async readFirst(targets: () => readonly (readonly [number, string])[]): Promise<void> {
    for (const [id, barcode] of targets()) {
      await this.readAgain(id, barcode);
      if (this.contradiction(id, barcode)) return;
    }
  }

  /** The shots of `objectId` numbered `fromSeq` or later (splitObject). */
  private shotsFrom(objectId: number, fromSeq: number): number[] {
    return this.links.capturesOf(objectId).filter((id) => this.links.linkOf(id)!.seq >= fromSeq);
  }

  /** The captures undoing `edit` moves: a renamed object may have taken more shots since (it was open on the rig), and they all take the old barcode back. */
  private undoneCaptures(edit: { data: EditData; captureIds: readonly number[] }): number[] {
    return edit.data.kind === 'barcode' ? this.links.capturesOf(edit.data.objectId) : [...edit.captureIds];
  }

  /** The barcode each capture would be linked to once `data`'s edit is undone (captures it leaves unlinked are left out). */
  private linksAfterUndo(data: EditData, captureIds: readonly number[]): [number, string][] {
    if (data.kind === 'barcode') return captureIds.map((id) => [id, data.before]);
    if (data.kind === 'reshoot') return [];
    return data.before.flatMap((p) => (p.objectId === null ? [] : [[p.captureId, this.links.object(p.objectId)!.barcode] as [number, string]]));
  }

  /**
   * Refuses an edit (or undo) before anything changes when it would link a capture to a barcode
   * that a pattern-valid code in the capture's own image contradicts: it would be filed and uploaded
   * under another object's name, the costliest error there is, and the verified copy under its right
   * name would be removed as stale.
   */
  private refuseContradicted(targets: readonly (readonly [number, string])[], what: string): void {
    const wrong = targets.flatMap(([id, barcode]) => {
      const shown = this.contradiction(id, barcode);
      return shown ? [{ id, barcode, shown }] : [];
    });
    if (wrong.length === 0) return;
    const each = wrong.map((w) => `${this.captures.get(w.id)!.relPath} (capture ${w.id}) would be linked to ${w.barcode}, but its image shows ${w.shown.join(' and ')}`);
    const there = wrong.length === 1 ? `Relink it to ${wrong[0]!.shown.join(' or ')} instead` : 'Relink each to the barcode its image shows instead';
    throw new StationError('INVALID_ARGUMENT', `${what} was refused, and nothing was changed: ${each.join('; ')}. ${there}, or, if the label in the image is wrong, fix the label and re-shoot.`);
  }

  private validBarcode(code: string): string {
    const scan = classifyScan(code, this.config.barcode);
    if (scan.kind === 'refused') throw new StationError('INVALID_ARGUMENT', `Barcode ${quotedScan(code)} was refused: it ${scan.reason}.`);
    if (scan.kind === 'control') throw new StationError('INVALID_ARGUMENT', `"${code}" is a control code, not an object barcode.`);
    return scan.code;
  }

  private objectOrThrow(objectId: number) {
    const object = this.links.object(objectId);
    if (!object) throw new StationError('NOT_FOUND', `There is no object ${objectId}.`);
    return object;
  }

  /**
   * The objects of `barcode` other than `exceptId` that are not rejected and belong to the project
   * of `exceptId` (a shot of theirs was shot for it), or are open on the rig, newest first; then
   * the closed ones with no shots (all moved away or undone), newest first: with no shot they belong
   * to no project yet, and shots joining one are numbered after their barcode's last in theirs.
   */
  private objectsOfBarcode(barcode: string, exceptId: number): { id: number; state: ObjectState; empty: boolean }[] {
    const project = this.projectOfObject(exceptId);
    const rows = this.db
      .prepare(
        `SELECT o.id, o.state, NOT EXISTS (SELECT 1 FROM capture_links l WHERE l.object_id = o.id) AS empty FROM objects o
          WHERE o.barcode = ? AND o.id != ? AND o.state != 'rejected'
            AND (o.state = 'open' OR empty OR EXISTS (SELECT 1 FROM capture_links l JOIN captures c ON c.id = l.capture_id LEFT JOIN sessions s ON s.id = c.session_id
                                                     WHERE l.object_id = o.id AND COALESCE(NULLIF(s.project, ''), ?) = ?))
          ORDER BY (o.state = 'open' OR NOT empty) DESC, o.id DESC`,
      )
      .all(barcode, exceptId, this.config.project, project) as { id: number; state: ObjectState; empty: 0 | 1 }[];
    return rows.map((r) => ({ ...r, empty: r.empty === 1 }));
  }

  /** The project of an object's shots (its first's), else the configured one. */
  private projectOfObject(objectId: number): string {
    const first = this.links.capturesOf(objectId)[0];
    return first === undefined ? this.config.project : this.projectOf(first);
  }

  /** The project a capture was shot for: its operator session's, else the configured one. */
  private projectOf(captureId: number): string {
    const row = this.db.prepare('SELECT s.project FROM captures c LEFT JOIN sessions s ON s.id = c.session_id WHERE c.id = ?').get(captureId) as { project: string | null };
    return row.project || this.config.project;
  }

  /** Sets or clears the re-shoot flag; the upload rules follow (a job withdrawn for the flag is queued again once it is cleared). */
  private flagReshoot(captureId: number, reshoot: boolean): void {
    this.db.prepare('UPDATE captures SET reshoot = ? WHERE id = ?').run(reshoot ? 1 : 0, captureId);
    this.links.markRelinked(captureId);
    this.captures.runHooks(captureId);
  }

  private reshootOf(captureId: number): boolean {
    return this.links.flaggedForReshoot(captureId);
  }
}

/** A placement in an object (not a capture the edit linked for the first time). */
type PlacedBefore = Placement & { objectId: number; seq: number };

/** The placements in objects as shots (those sharing an object and number), in each object's order. */
function shotsOf(before: readonly Placement[]): [PlacedBefore, ...PlacedBefore[]][] {
  const shots = new Map<string, [PlacedBefore, ...PlacedBefore[]]>();
  const placed = before.filter((p): p is PlacedBefore => p.objectId !== null && p.seq !== null).sort((a, b) => a.objectId - b.objectId || a.seq - b.seq);
  for (const p of placed) {
    const key = `${p.objectId}:${p.seq}`;
    const shot = shots.get(key);
    if (shot) shot.push(p);
    else shots.set(key, [p]);
  }
  return [...shots.values()];
}

/** The mismatch results an undo puts back: those of the captures the edit linked for the first time. */
function earlierMismatch(data: EditData): ReadonlyMap<number, CheckResult> {
  return new Map(data.kind === 'relink' ? data.before.flatMap((p) => (p.objectId === null && p.mismatch ? [[p.captureId, p.mismatch] as const] : [])) : []);
}
