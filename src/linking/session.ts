/**
 * Which object each capture of one source belongs to, decided from the order of scans, control
 * codes and file arrivals alone. Pure: the station feeds it inputs (already validated scans, control
 * codes, files the watcher first saw, recorded captures, removed files, clock ticks) and carries out
 * the effects it returns (database rows, events, filing). Keeping time and storage out makes every
 * rig sequence testable as a plain list.
 *
 * A shot takes its place (object, sequence number, view) when its file ARRIVES, in the order the
 * watcher saw the files, interleaved with scans and control codes; QC finishing order does not
 * matter. Files that appear together are seen in no set order, so shots none of whose files is
 * recorded yet are kept in the order they were written (see `inWriteOrder`). The recorded capture
 * fills the place later, even if its object has closed meanwhile.
 *
 * Invariants: a capture is linked to at most one object; an object's sequence numbers start after
 * the shots its barcode already has in the project (at 1 for a new barcode) and increase by one per
 * shot in arrival order (write order among shots not recorded yet), where a RAW and its TIFF/JPEG
 * (same stem) are one shot; an object is closed exactly once, with the reason. A capture that fails
 * QC takes no number or view: it is not linked and is flagged for re-shoot (so does a shot waiting for its barcode
 * whose image shows another barcode than the one scanned, and a shot of which any file fails as
 * a barcode mismatch: all its files are taken off, as UNDO takes them). Its number goes to the next shot only if
 * no shot arrived after it (numbers already given are never changed, since those captures may be
 * filed under them); otherwise the number stays a gap. A file removed before it was recorded gives
 * its place up the same way. An object's completeness (expectedShots, views, pairs) is judged once
 * every file that arrived for it is recorded or gone, or `settleWaitSec` after it closed, whichever
 * comes first (a file that never settles, such as an empty one left in the hot folder, must not
 * keep the alarm from the technician while the object is still at the stand); a file not yet
 * checked then counts as missing, the alarm says so, and when the last of them settles the object
 * is judged again and a changed verdict is announced. An object that took no shot, of a barcode
 * with none elsewhere (scanned by mistake, then the right barcode), is not judged: its close says
 * `empty`. Only shots with a linked capture count, and of the barcode's earlier shots only those it
 * really has (sequence numbers a failed, undone or relinked shot left empty are gaps, not shots).
 * After a linking edit, `restore` makes each object the session holds what the database has (its
 * barcode, its linked shots, its barcode's next number and real shots elsewhere), keeping the
 * places of files still being checked. An object opened from an image (linkFromImage) gives way to
 * the next object's image, with that image's whole shot (its RAW too, even linked already; an
 * earlier shot whose image is checked only after that, showing the same code, follows, numbered
 * after the next object's shots, even once that object has closed, unless it was rejected or
 * renamed since: then the shot is taken off for re-shoot). Give-way and UNDO take shots in arrival
 * order, which a followed shot's number does not follow; a refused scan may close the open object
 * (the technician moved on). Places live in memory only; `object.unchecked` and `object.judged` let
 * the station keep in its database which closed objects are still to be judged, so the next start
 * judges those the last run could not. Files a start-up scan finds (the station's, or a source
 * folder's that comes back) were written while nobody watched, so they join no object:
 * scan-before-capture links them only if linkFromImage opens an object from the image,
 * scan-after-capture raises an alarm (they never join the next scan unprompted).
 */
import { quotedScan } from '../barcode/validate.js';
import type { scanModes } from '../config/schema.js';

export type ScanMode = (typeof scanModes)[number];
export type ControlAction = 'END' | 'UNDO' | 'REJECT';

export interface SessionRules {
  mode: ScanMode;
  /** Close the open object (scan-after-capture: drop the shots waiting for a barcode) when nothing happened for this long; 0 = never. */
  idleTimeoutSec: number;
  /** View names by sequence number (seq 1 = views[0]); empty when the project names no views. */
  views: readonly string[];
  /** Shots an object should have; 0 = no expectation. */
  expectedShots: number;
  /** Every shot should have both a RAW and a processed file. */
  expectPairs: boolean;
  /** A closed object with files still being checked is judged this long after it closed at the latest. */
  settleWaitSec: number;
}

/** What a barcode already has in the project when an object of it opens. */
export interface BarcodeHistory {
  /** The number its next shot takes: after the highest one it has (1 for a new barcode). */
  firstSeq: number;
  /** The sequence numbers of its real shots (with a linked capture that is not failed or flagged), which count toward completeness. */
  seqs: readonly number[];
}

export type SessionInput =
  /** `adopt`: the file whose image showed this barcode (linkFromImage); its shot, which arrived with no object open, becomes the object's first. */
  | { type: 'scan'; barcode: string; at: number; adopt?: string }
  | { type: 'control'; action: ControlAction; at: number }
  /**
   * linkFromImage: recorded capture `file`, placed in an object opened from an image, shows only
   * other valid barcodes, several (so it opens none): that object gives way (closes), and the
   * capture joins no object.
   */
  | { type: 'image-shows-others'; file: string; at: number }
  /**
   * linkFromImage: recorded capture `file`, placed in an object opened from an image that has since
   * given way to another (checks finish out of order), shows that object's code: its shot and the
   * shots after it follow, numbered after the shots that object already has (see `gaveWayOf`).
   */
  | { type: 'follow'; file: string; at: number }
  /**
   * linkFromImage, after a restart: `files`, linked captures of the same exposure as the open
   * object's shot of `stem` (its image opened that object), were left in object `from`, which the
   * last run saw give way to this code before the image was checked (the memory of that went with
   * the restart). They join that shot, as they would have had they followed live.
   */
  | { type: 'rejoin'; stem: string; from: string; files: readonly { file: string; isRaw: boolean; captureId: number }[]; at: number }
  /** An object-like scan refused by the project's rules (`why`: "it does not match…"); `close`: it closes the open object (linking.onRefusedScan). */
  | { type: 'refused'; code: string; why: string; close: boolean; at: number }
  /**
   * The watcher saw a new file (or a new version of one) for the first time; `found`: by the start-up
   * scan, so it was written while the station was not watching. `expired` (scan-after-capture, with
   * `found`): this very file was still being checked when its wait for a barcode expired in an
   * earlier run, whose alarm named it; it joins no object and is not alarmed about again.
   * `mtimeUs`: when the file was written (its modification time).
   */
  | { type: 'arrival'; file: string; stem: string; isRaw: boolean; mtimeUs: number; found?: boolean; expired?: boolean; at: number }
  /** A file was recorded (QC finished); `failed`: its verdict is fail. */
  | { type: 'capture'; captureId: number; file: string; failed: boolean; at: number }
  /** scan-after-capture, on start: a capture recorded by the last run and still waiting for its barcode. */
  | { type: 'waiting'; captureId: number; file: string; stem: string; isRaw: boolean; mtimeUs: number; at: number }
  /** The file left the hot folder before it was recorded. */
  | { type: 'gone'; file: string; at: number }
  | { type: 'tick'; at: number };

export type CloseReason = 'end' | 'next-object' | 'idle' | 'rejected';

/** Why a recorded capture joins no object. */
export type NotLinkedReason = 'no object open' | 'written while the station was not watching' | 'no barcode scanned in time' | 'its image shows several codes' | 'it followed a shot whose image shows several codes';

export type SessionEffect =
  /** `object`: the session's own number for it, which later effects of that object carry. */
  | { type: 'object.opened'; object: number; barcode: string; fromImage?: true }
  /** `empty`: it took no shot and its barcode has none (scanned by mistake, as a rule), so it raises no completeness alarm. */
  | { type: 'object.closed'; object: number; barcode: string; reason: CloseReason; shots: number; empty?: true }
  /** The object just closed with these files still being checked: its completeness is judged later (see `object.judged`). */
  | { type: 'object.unchecked'; object: number; barcode: string; files: string[] }
  /** An object that closed with files still being checked has now been judged (its alarm, if any, follows). */
  | { type: 'object.judged'; object: number }
  | { type: 'capture.linked'; object: number; captureId: number; barcode: string; seq: number; view: string | null }
  /**
   * The captures of a shot taken off (UNDO), or a capture of a shot already undone or failed, flagged
   * for re-shoot (barcode null: it had no object yet). `contradicted` (scan-after-capture): the scan
   * of `barcode` did not link this waiting shot, as its image shows another barcode.
   */
  | { type: 'capture.unlinked'; captureIds: number[]; barcode: string | null; seq: number | null; stem: string; reshoot: true; contradicted?: true }
  /**
   * linkFromImage: a recorded capture of a shot an object opened from an image gave up (the shot's
   * other file showed the next object's code, or a shot before it did) moves to `object` (the shot's
   * new place), or, with `object` null (that image showed several codes), joins none, for `why`.
   * `numberedAfter`: it followed late (see the `follow` input), so its number comes after shots
   * taken after it; `closed`: the object it followed into had already closed, for this reason.
   */
  | { type: 'capture.moved'; captureId: number; object: number | null; barcode: string | null; seq: number | null; view: string | null; from: string; why?: NotLinkedReason; numberedAfter?: true; closed?: CloseReason }
  /**
   * UNDO took the newest shot, but QC had already taken it off (it failed, or its image showed
   * another barcode): nothing more is unlinked, and `next` is the shot another UNDO takes (null:
   * none; `failed`: that one failed QC too).
   */
  | { type: 'shot.already-off'; object: number; barcode: string; seq: number; stem: string; next: { seq: number; stem: string; failed?: true } | null }
  /** The capture joins no object (scan-after-capture: it no longer waits for a barcode, even after a restart). */
  | { type: 'capture.unlinked-none'; captureId: number; reason: NotLinkedReason }
  /**
   * `object`: the session object it is about; `captureIds`: the recorded captures it is about;
   * `missing`: what an incomplete object lacks; `unchecked`: the files it is about that are still
   * being checked (no capture yet), so a later start knows they were alarmed about.
   */
  | { type: 'alarm'; barcode: string | null; message: string; object?: number; captureIds?: number[]; missing?: string[]; unchecked?: string[] };

type FileState = 'waiting' | 'linked' | 'failed' | 'gone';

interface ShotFile {
  file: string;
  isRaw: boolean;
  state: FileState;
  captureId: number | null;
}

/** One shot of an object as the database has it: what `restore` takes back after a linking edit. */
export interface StoredShot {
  stem: string;
  seq: number;
  /** Its linked captures, with their hot-folder paths. */
  files: { file: string; isRaw: boolean; captureId: number }[];
}

interface Shot {
  stem: string;
  /** 0 while the shot waits for its barcode (scan-after-capture). */
  seq: number;
  files: ShotFile[];
  /** Taken off by UNDO: captures recorded for it later are flagged for re-shoot. */
  undone: boolean;
  /**
   * When its first file reached the session (a session-wide count): give-way and UNDO go by this,
   * as a shot that followed late is numbered after shots that arrived after it.
   */
  arrival: number;
}

interface SessionObject {
  ref: number;
  barcode: string;
  shots: Shot[];
  lastActivity: number;
  closed: CloseReason | null;
  /**
   * Opened from the barcode in a capture's image (linkFromImage), not by a scan: nobody said which
   * object is on the stand, so a later capture showing only other valid barcodes is the next
   * object's (it gives way), where a scanned object fails it as a barcode mismatch.
   */
  fromImage: boolean;
  /** The object it gave way to (opened from a later image), once it has. */
  gaveWayTo: SessionObject | null;
  /** The barcode it opened with (an edit may rename it): what a late image following it shows. */
  openedAs: string;
  /** Its first sequence number: a barcode scanned again continues after its earlier shots. */
  firstSeq: number;
  /** The sequence numbers of the barcode's real shots in the database when it opened: they count toward its completeness. */
  earlier: ReadonlySet<number>;
  /** Objects of the same barcode that still had files being checked when it opened: their shots count too. */
  before: SessionObject[];
  closedAt: number;
  /** Judged before all its files settled: what was missing then, and the files not checked yet. */
  early: { missing: string[]; files: string[] } | null;
  /** A shot was ever placed in it (one UNDO, a failed check or an edit took away since counts too): see `scannedByMistake`. */
  tookShot: boolean;
}

/** Where an arrived, not yet recorded file belongs: its shot (in `object`, or waiting for a barcode when that is null), or nowhere (shot null, and `why`). */
interface Place {
  object: SessionObject | null;
  shot: Shot | null;
  stem: string;
  isRaw: boolean;
  /** Its modification time (µs): shots not recorded yet keep the order their files were written in (see `inWriteOrder`). */
  written: number;
  /** Why it belongs nowhere (shot null). */
  why?: NotLinkedReason;
}

/** A shot taken out of an object opened from an image (takeOut): its files still being checked or linked, and why they join none should nothing take them. */
interface LeftShot {
  stem: string;
  files: ShotFile[];
  why: NotLinkedReason;
  arrival: number;
}

const live = (shot: Shot): boolean => !shot.undone && shot.files.some((f) => f.state === 'waiting' || f.state === 'linked');
const counts = (shot: Shot): boolean => !shot.undone && shot.files.some((f) => f.state === 'linked');
/** Arrival order; a shot an edit moved in ranks with the shot numbered before it, after it by number. */
const byArrival = (a: Shot, b: Shot): number => a.arrival - b.arrival || a.seq - b.seq;

export class LinkSession {
  private open: SessionObject | null = null;
  /** Closed objects with files of their shots still being checked: judged for completeness when the last is settled, or when they are overdue. */
  private readonly settling = new Set<SessionObject>();
  /** scan-after-capture: shots taken since the last object, waiting for their barcode. */
  private pending: Shot[] = [];
  private pendingSince = 0;
  private readonly places = new Map<string, Place>();
  private nextRef = 1;
  private arrivals = 0;

  constructor(
    private readonly rules: SessionRules,
    /** What `barcode` already has when an object of it opens (nothing unless it was scanned before). */
    private readonly history: (barcode: string) => BarcodeHistory = () => ({ firstSeq: 1, seqs: [] }),
    /** True when the image of recorded capture `captureId` shows a pattern-valid barcode and none is `barcode`. */
    private readonly contradicts: (captureId: number, barcode: string) => boolean = () => false,
  ) {}

  get current(): { barcode: string; shots: number } | null {
    return this.open ? { barcode: this.open.barcode, shots: presentSeqs(this.open, live).size } : null;
  }

  /** scan-after-capture: the shots waiting for a barcode now, oldest first, with their files (recorded or still being checked). */
  get waitingShots(): { stem: string; files: string[] }[] {
    return this.pending.filter(live).map((s) => ({ stem: s.stem, files: s.files.filter((f) => f.state === 'waiting' || f.state === 'linked').map((f) => f.file) }));
  }

  /**
   * After a linking edit commits: each object the session holds (see `held`) takes its barcode and
   * linked shots from the database (`stored`, by the object's number; null leaves it as it is), so
   * shots an edit moved away are no longer UNDO targets or counted. Files still being checked keep
   * their places; one whose number an edit gave to a shot moved in takes the next free number
   * (nothing of it is recorded or filed yet). Waiting shots
   * (scan-after-capture) whose captures an edit linked stop waiting. What the barcode has elsewhere
   * (`history`: its next number, its real shots in older objects) is taken again too, so an edit
   * that moved a shot of the barcode in or out changes the open object's count, next number and
   * view, and completeness, as a fresh scan would. Idle clocks are left as they were.
   */
  restore(stored: (object: number) => { barcode: string; shots: readonly StoredShot[]; history: BarcodeHistory } | null, isLinked: (captureId: number) => boolean): void {
    for (const object of this.held()) {
      const now = stored(object.ref);
      if (now) this.restoreObject(object, now.barcode, now.shots, now.history);
    }
    for (const shot of this.pending) shot.files = shot.files.filter((f) => f.captureId === null || !isLinked(f.captureId));
    this.pending = this.pending.filter((s) => s.files.length > 0);
  }

  /** scan-after-capture: true while recorded capture `captureId` waits for its barcode (the next scan links it). */
  waitsForBarcode(captureId: number): boolean {
    return this.pending.some((s) => !s.undone && s.files.some((f) => f.captureId === captureId && f.state === 'linked'));
  }

  private restoreObject(object: SessionObject, barcode: string, stored: readonly StoredShot[], history: BarcodeHistory): void {
    object.earlier = new Set(history.seqs);
    object.firstSeq = Math.max(history.firstSeq, ...object.before.filter((o) => o.barcode === barcode).map(nextSeq));
    const mine = object.shots.filter((s) => !s.undone);
    // A shot keeps its arrival; one the edit moved in ranks with the shot numbered before it.
    const arrivalOf = (s: StoredShot): number => mine.find((m) => m.stem === s.stem)?.arrival ?? Math.max(0, ...mine.filter((m) => m.seq < s.seq).map((m) => m.arrival));
    const shots: Shot[] = stored.map((s) => ({ stem: s.stem, seq: s.seq, files: s.files.map((f) => ({ ...f, state: 'linked' as const })), undone: false, arrival: arrivalOf(s) }));
    const taken = new Map(shots.map((s) => [s.seq, s]));
    const moved: Shot[] = [];
    // Shots the database cannot know: files still being checked, and failed shots (so UNDO after a
    // failed shot still takes the failed one). Their linked files are now as the database says.
    for (const shot of object.shots.filter((s) => !s.undone && s.files.some((f) => f.state === 'waiting' || f.state === 'failed'))) {
      shot.files = shot.files.filter((f) => f.state !== 'linked');
      const same = taken.get(shot.seq);
      if (same?.stem === shot.stem) {
        same.files.push(...shot.files);
        for (const f of shot.files) if (f.state === 'waiting') this.places.get(f.file)!.shot = same;
      } else if (same) {
        if (shot.files.some((f) => f.state === 'waiting')) moved.push(shot);
      } else {
        shots.push(shot);
        taken.set(shot.seq, shot);
      }
    }
    shots.sort((a, b) => a.seq - b.seq);
    for (const shot of moved) {
      shot.seq = nextSeq({ ...object, shots });
      shots.push(shot);
    }
    object.barcode = barcode;
    object.shots = shots;
    if (shots.length > 0) object.tookShot = true;
  }

  /** Whether time can change anything (an object or waiting shots may expire, a closed object be judged). */
  get expires(): boolean {
    return (this.rules.idleTimeoutSec > 0 && (this.open !== null || this.pending.length > 0)) || [...this.settling].some((o) => o.early === null);
  }

  /**
   * The barcode `file` will be linked to when it is recorded (null: none known yet, as when its
   * object was opened from an image: its own image may open the next object).
   */
  barcodeOf(file: string): string | null {
    const place = this.places.get(file);
    return place?.object && !place.object.fromImage && !place.shot?.undone ? place.object.barcode : null;
  }

  /** The barcode of the open object opened from an image (linkFromImage) that `file`, not recorded yet, has its place in; null if none. */
  imageObjectOf(file: string): string | null {
    const place = this.places.get(file);
    const open = this.open;
    return open?.fromImage && place?.shot && !place.shot.undone && place.object === open ? open.barcode : null;
  }

  /**
   * When `file`, not recorded yet, has its place in a closed object opened from an image that gave
   * way to another: both barcodes (`to` as that object opened, which its image may show, see
   * `follow`); `closed`: why that object has closed since, if it has; `cannot`: why the shot cannot
   * follow it (it is taken off for re-shoot instead), or null.
   */
  gaveWayOf(file: string): { from: string; to: string; closed: CloseReason | null; cannot: string | null } | null {
    const way = this.gaveWay(file);
    if (!way) return null;
    const { from, to } = way;
    return { from: from.barcode, to: to.openedAs, closed: this.followInto(to).closed, cannot: cannotJoin(to) };
  }

  /** The object a late image following into `to` joins: `to`, or its barcode open again (scanned, or opened from an image), the same sheet. */
  private followInto(to: SessionObject): SessionObject {
    return to !== this.open && this.open?.barcode === to.barcode ? this.open : to;
  }

  private gaveWay(file: string): { from: SessionObject; to: SessionObject } | null {
    const place = this.places.get(file);
    const to = place?.object?.gaveWayTo;
    return to && place.shot && !place.shot.undone ? { from: place.object!, to } : null;
  }

  /** True when `file` arrived with no object open and is not recorded yet (so its image may open one). */
  arrivedWithoutObject(file: string): boolean {
    return this.places.get(file)?.shot === null;
  }

  /** True while object `ref` is one the session holds (see `held`). */
  holds(ref: number): boolean {
    return this.held().some((o) => o.ref === ref);
  }

  /**
   * The objects inputs may still change: the open one, closed ones with files still being checked,
   * and the objects those gave way to (a late image may follow into them).
   */
  private held(): SessionObject[] {
    const held = new Set(this.open ? [this.open, ...this.settling] : this.settling);
    for (const o of this.settling) if (o.gaveWayTo) held.add(o.gaveWayTo);
    return [...held];
  }

  apply(input: SessionInput): SessionEffect[] {
    const effects = [...this.judgeOverdue(input.at), ...this.expireIdle(input.at)];
    switch (input.type) {
      case 'tick':
        return effects;
      case 'scan':
        return [...effects, ...this.scan(input.barcode, input.at, input.adopt)];
      case 'control':
        return [...effects, ...this.control(input.action, input.at)];
      case 'image-shows-others':
        if (this.imageObjectOf(input.file) === null) return effects;
        return [...effects, ...this.takeOut(input.file).flatMap((s) => s.files.flatMap((f) => this.moved(f, null, null, this.open!.barcode, s.why))), ...this.close('next-object', input.at)];
      case 'follow':
        return [...effects, ...this.follow(input.file, input.at)];
      case 'rejoin':
      {
        const shot = this.open?.shots.find((s) => s.stem === input.stem && !s.undone);
        if (!shot) return effects;
        return [...effects, ...this.join(this.open!, [{ stem: input.stem, files: input.files.map((f) => ({ ...f, state: 'linked' as const })), why: 'no object open', arrival: shot.arrival }], input.from, false, input.at)];
      }
      case 'refused':
        return [...effects, ...this.refused(input.code, input.why, input.close, input.at)];
      case 'arrival':
        return [...effects, ...this.arrival(input.file, input.stem, input.isRaw, input.mtimeUs, input.found === true, input.expired === true, input.at)];
      case 'waiting':
        this.place(null, input.file, input.stem, input.isRaw, input.at, input.mtimeUs);
        this.places.get(input.file)!.shot!.files.find((f) => f.file === input.file && f.state === 'waiting')!.captureId = input.captureId;
        this.settle(input.file, 'linked');
        return effects;
      case 'capture':
        return [...effects, ...this.capture(input.captureId, input.file, input.failed)];
      case 'gone':
        return [...effects, ...this.gone(input.file)];
    }
  }

  private scan(barcode: string, at: number, adopt: string | undefined): SessionEffect[] {
    if (this.rules.mode === 'scan-after-capture') {
      const shots = this.pending.filter(live);
      if (shots.length === 0) return [{ type: 'alarm', barcode, message: `${barcode} was scanned, but no new capture is waiting for a barcode: shoot the object first, then scan.` }];
      // The barcode names the shots just taken, then the object is done.
      const effects = this.openObject(barcode, at);
      const object = this.open!;
      this.pending = [];
      for (const shot of shots) {
        // A shot whose image shows another object's barcode is not this object's: like a shot that
        // fails QC it takes no number or view and is flagged for re-shoot, all its files (a RAW and
        // its TIFF are one exposure), so the shots after it keep consecutive numbers.
        if (shot.files.some((f) => f.state === 'linked' && this.contradicts(f.captureId!, barcode))) {
          effects.push({ ...this.undo(shot, null), barcode, contradicted: true });
          continue;
        }
        shot.seq = nextSeq(object);
        object.shots.push(shot);
        object.tookShot = true;
        for (const f of shot.files) {
          if (f.state === 'waiting') this.places.get(f.file)!.object = object;
          if (f.state === 'linked') effects.push(this.linked(object, shot, f.captureId!));
        }
      }
      return [...effects, ...this.close('end', at)];
    }
    if (this.open?.barcode === barcode && adopt === undefined) {
      // The same object scanned again (a double read, or a nervous thumb): keep it open.
      this.open.lastActivity = at;
      return [];
    }
    // An object opened from an image gives way to the one this capture's image shows: the capture
    // leaves it before it closes (so it is neither counted nor waited for there).
    const from = adopt !== undefined && this.imageObjectOf(adopt) !== null ? this.open!.barcode : null;
    const left = from === null ? [] : this.takeOut(adopt!);
    const gaveWay = from === null ? null : this.open!;
    const effects = this.openObject(barcode, at, adopt !== undefined);
    if (gaveWay) gaveWay.gaveWayTo = this.open;
    const place = adopt === undefined ? undefined : this.places.get(adopt);
    if (place?.shot !== null || adopt === undefined) return effects;
    this.place(this.open, adopt, place.stem, place.isRaw, at, place.written, left[0]?.arrival);
    return [...effects, ...this.join(this.open!, left, from!, false, at)];
  }

  /**
   * linkFromImage, checks finishing out of order: the object `file` has its place in gave way to
   * another (a later image showing that object's code was checked first), and `file`'s image shows
   * that code too. It is the next sheet's as well, so its shot and the shots after it leave as they
   * would have had it been checked first; that object's numbers already given stay (its captures may
   * be filed under them), so they take the numbers after its last shot. That object may have closed
   * since: they join it all the same (their RAW must not stay filed under the object before), and
   * one already judged is judged again once they are checked, an alarm only if that changes the
   * verdict. One rejected or renamed since is no place for them: they are taken off (`takeOff`).
   */
  private follow(file: string, at: number): SessionEffect[] {
    const way = this.gaveWay(file);
    if (!way) return [];
    const { from, to } = way;
    const { stem, isRaw, written } = this.places.get(file)!;
    const cannot = cannotJoin(to);
    if (cannot !== null) return this.takeOff(file, from, to, cannot);
    const into = this.followInto(to);
    const judged = into.closed !== null && !this.settling.has(into) ? this.missingOf(into) : null;
    // Not numbered before shots its barcode took after it closed, in the database or still checked.
    if (into.closed !== null) into.firstSeq = Math.max(into.firstSeq, this.history(into.barcode).firstSeq, ...[...this.settling].filter((o) => o !== into && o.barcode === into.barcode).map(nextSeq));
    const left = this.takeOut(file);
    this.place(into, file, stem, isRaw, at, written, left[0]!.arrival);
    const effects = [...this.join(into, left, from.barcode, true, at), ...this.judgeIfSettled(from)];
    const joined = left.flatMap((s) => s.files.filter((f) => f.state === 'waiting').map((f) => f.file));
    if (judged !== null) {
      into.early = { missing: judged, files: [file, ...joined] };
      this.settling.add(into);
    } else if (into.early !== null && into.closed !== null) into.early.files.push(file, ...joined);
    return effects;
  }

  /**
   * A late image follows into an object it cannot join (rejected, or renamed since): like a shot
   * whose image contradicts its object (see `capture`), its shot and the shots after it (the next
   * sheet's too) are taken off the object before, not linked and flagged for re-shoot.
   */
  private takeOff(file: string, from: SessionObject, to: SessionObject, why: string): SessionEffect[] {
    const { shot } = this.places.get(file)!;
    const leaving = from.shots.filter((s) => !s.undone && byArrival(s, shot!) >= 0).sort(byArrival);
    const undone = leaving.map((s) => this.undo(s, from));
    const others = leaving.flatMap((s) => s.files.filter((f) => f.file !== file && f.state !== 'gone' && f.state !== 'failed').map((f) => f.file));
    const also = others.length > 0 ? ` with all ${leaving.length === 1 ? 'its' : 'their'} files (${others.join(', ')} too)` : '';
    const message = `${file} shows ${to.openedAs}, the object a later image of its sheet opened when object ${from.barcode} gave way to it, but ${why}: shot${leaving.length === 1 ? '' : 's'} ${leaving.map((s) => `${s.seq} (${s.stem})`).join(', ')} ${leaving.length === 1 ? 'is' : 'are'} taken off object ${from.barcode}${also}, not linked and flagged for re-shoot. Relink ${leaving.length === 1 ? 'it' : 'them'} to the right barcode, or re-shoot.`;
    const captureIds = undone.flatMap((u) => u.captureIds);
    return [...undone.filter((u) => u.captureIds.length > 0), { type: 'alarm', barcode: from.barcode, message, object: from.ref, ...(captureIds.length > 0 ? { captureIds } : {}) }, ...this.judgeIfSettled(from)];
  }

  /**
   * The shots `left` (taken out of object `from`, see takeOut) join `object`: the shot's other files
   * (its RAW, shot with the image) follow it, one exposure, one object; so do the shots taken after
   * it, in the order they arrived, keeping that order. `late`: after shots `object` already has (`follow`).
   */
  private join(object: SessionObject, left: readonly LeftShot[], from: string, late: boolean, at: number): SessionEffect[] {
    const effects: SessionEffect[] = [];
    for (const s of left) {
      for (const f of s.files) {
        if (f.state === 'waiting') this.place(object, f.file, s.stem, f.isRaw, at, this.places.get(f.file)!.written, s.arrival);
        else {
          const shot = this.shotFor(object, s.stem, s.arrival);
          shot.files.push({ ...f });
          effects.push(...this.moved(f, object, shot, from, undefined, late));
        }
      }
    }
    return effects;
  }

  /**
   * linkFromImage: the shot of `file` (not recorded yet) leaves the object opened from an image: all
   * its files (same stem), as a RAW and its JPEG are one exposure, and every shot that arrived after
   * it (taken after the next sheet's first image, they are that sheet's, whether or not their own
   * images are checked yet; a shot UNDO or a mismatch took off stays, as it is flagged). Their files
   * not recorded yet belong nowhere (for `why`, should `file`'s image show several codes) until the
   * caller places them; returns those shots in arrival order (not number order: a shot may have
   * followed late) with their files still being checked or linked, `file` left out (linked ones
   * must move too, see `moved`).
   */
  private takeOut(file: string): LeftShot[] {
    const { object, shot } = this.places.get(file)!;
    const leaving = object!.shots.filter((s) => !s.undone && byArrival(s, shot!) >= 0).sort(byArrival);
    object!.shots = object!.shots.filter((s) => !leaving.includes(s));
    return leaving.map((s) => {
      const why: NotLinkedReason = s === shot ? 'its image shows several codes' : 'it followed a shot whose image shows several codes';
      for (const f of s.files) if (f.state === 'waiting') Object.assign(this.places.get(f.file)!, { object: null, shot: null, why });
      return { stem: s.stem, files: s.files.filter((f) => f.file !== file && (f.state === 'waiting' || f.state === 'linked')), why, arrival: s.arrival };
    });
  }

  /** A linked capture of a shot taken out of an object opened from an image goes to `shot` of `object` (null: none, for `why`). */
  private moved(f: ShotFile, object: SessionObject | null, shot: Shot | null, from = this.open!.barcode, why?: NotLinkedReason, late = false): SessionEffect[] {
    if (f.state !== 'linked') return [];
    const closed = object?.closed;
    return [{ type: 'capture.moved', captureId: f.captureId!, object: object?.ref ?? null, barcode: object?.barcode ?? null, seq: shot?.seq ?? null, view: shot ? this.viewOf(shot.seq) : null, from, ...(why ? { why } : {}), ...(late ? { numberedAfter: true as const } : {}), ...(closed ? { closed } : {}) }];
  }

  /**
   * A refused scan means the technician moved on to another object (a misread label) as surely as a
   * good one: left open, the previous object would take the next object's shots, the costliest error
   * there is. So it closes (as for the next object), and the shots after it join no object, as with
   * none open, until a barcode is scanned. scan-after-capture has no object open to close.
   */
  private refused(code: string, why: string, close: boolean, at: number): SessionEffect[] {
    const object = this.open;
    if (!close || !object || this.rules.mode === 'scan-after-capture') return [];
    const shots = presentSeqs(object, live).size;
    const effects = this.close('next-object', at);
    const message = `Barcode ${quotedScan(code)} was refused: it ${why}. Object ${object.barcode} (${shots} shot${shots === 1 ? '' : 's'}) was closed so that the next object's shots are not filed under it; shots taken now join no object: scan the object's barcode again.`;
    return [{ type: 'alarm', barcode: object.barcode, message, object: object.ref }, ...effects];
  }

  private openObject(barcode: string, at: number, fromImage = false): SessionEffect[] {
    const effects = this.open ? this.close('next-object', at) : [];
    // The barcode's shots still being checked are not in the database yet: numbers after them too
    // (a rejected object's excepted: its shots are set aside, and count for nothing).
    const before = [...this.settling].filter((o) => o.barcode === barcode && o.closed !== 'rejected');
    const history = this.history(barcode);
    const firstSeq = Math.max(history.firstSeq, ...before.map(nextSeq));
    this.open = { ref: this.nextRef++, barcode, shots: [], lastActivity: at, closed: null, fromImage, gaveWayTo: null, openedAs: barcode, firstSeq, earlier: new Set(history.seqs), before, closedAt: 0, early: null, tookShot: false };
    return [...effects, { type: 'object.opened', object: this.open.ref, barcode, ...(fromImage ? { fromImage } : {}) }];
  }

  private control(action: ControlAction, at: number): SessionEffect[] {
    if (this.rules.mode === 'scan-after-capture') {
      const shots = this.pending.filter(live);
      if (action === 'UNDO' && shots.length > 0) {
        const shot = shots.at(-1)!;
        this.pending = this.pending.filter((s) => s !== shot);
        return [this.undo(shot, null)];
      }
      const waitingNote = shots.length > 0 ? `${shots.length} shot${shots.length === 1 ? ' is' : 's are'} waiting for a barcode (${shots.map((s) => s.stem).join(', ')}): scan it to link them` : 'no shot is waiting for a barcode';
      const did = action === 'UNDO' ? 'nothing was undone' : action === 'END' ? 'an object closes by itself when its barcode is scanned, so END does nothing' : 'nothing was rejected (scan UNDO for each shot to drop)';
      return [{ type: 'alarm', barcode: null, message: `${action} was scanned in scan-after-capture mode: ${did}; ${waitingNote}.` }];
    }
    if (!this.open) return [{ type: 'alarm', barcode: null, message: `${action} was scanned, but no object is open: scan an object barcode first.` }];
    if (action === 'END') return this.close('end', at);
    if (action === 'REJECT') return this.close('rejected', at);
    // The newest shot by arrival (a shot that followed late is numbered after newer ones), even one
    // still being checked. A failed shot's leftover place counts as the newest, so UNDO right after
    // a failed shot never takes the good shot before it; a shot whose files were all removed is no shot.
    const shots = this.open.shots.filter((s) => !s.files.every((f) => f.state === 'gone')).sort(byArrival);
    const last = shots.at(-1);
    if (!last) return [{ type: 'alarm', barcode: this.open.barcode, message: `UNDO was scanned, but object ${this.open.barcode} has no capture yet.` }];
    this.open.shots = this.open.shots.filter((s) => s !== last);
    if (live(last)) return [this.undo(last, this.open)];
    // Its failure flagged it already: taking it off again would tell of an unlink that did not happen.
    const next = shots.at(-2);
    return [{ type: 'shot.already-off', object: this.open.ref, barcode: this.open.barcode, seq: last.seq, stem: last.stem, next: next ? { seq: next.seq, stem: next.stem, ...(live(next) ? {} : { failed: true as const }) } : null }];
  }

  /** Takes `shot` off: its recorded captures now (a failed one was flagged when it failed), the ones still being checked when recorded. */
  private undo(shot: Shot, object: SessionObject | null): SessionEffect & { type: 'capture.unlinked' } {
    shot.undone = true;
    const recorded = shot.files.filter((f) => f.captureId !== null && f.state !== 'failed').map((f) => f.captureId!);
    return { type: 'capture.unlinked', captureIds: recorded, barcode: object?.barcode ?? null, seq: object ? shot.seq : null, stem: shot.stem, reshoot: true };
  }

  private arrival(file: string, stem: string, isRaw: boolean, written: number, found: boolean, expired: boolean, at: number): SessionEffect[] {
    // A new version of a file that is still being checked keeps its place.
    if (this.places.has(file)) return [];
    if (this.rules.mode === 'scan-after-capture') {
      if (found && expired) {
        this.places.set(file, { object: null, shot: null, stem, isRaw, written, why: 'no barcode scanned in time' });
        return [];
      }
      if (found) {
        this.places.set(file, { object: null, shot: null, stem, isRaw, written, why: 'written while the station was not watching' });
        return [{ type: 'alarm', barcode: null, message: `${file} was written while the station was not watching: it does not join the next scan; link it with a relink once it is checked.` }];
      }
      this.inWriteOrder(this.pending, this.place(null, file, stem, isRaw, at, written));
      return [];
    }
    // A file found by a start-up scan was written while nobody watched: when is unknown, so it joins no object.
    if (!this.open || found) {
      this.places.set(file, { object: null, shot: null, stem, isRaw, written, why: found ? 'written while the station was not watching' : 'no object open' });
      return [];
    }
    this.open.lastActivity = at;
    this.inWriteOrder(this.open.shots, this.place(this.open, file, stem, isRaw, at, written));
    return [];
  }

  /**
   * The watcher reports files that appear together (a batch the tethering program or a card copy
   * drops at once) in whatever order its first looks at them finish, not the order they were
   * written. So `shot` of `shots` (an object's, or those waiting for a barcode), a file of which
   * just arrived, when none of its files is recorded yet, moves before the shots just before it
   * written after it that are not recorded either, taking the first of their numbers and arrivals,
   * and they move up one each (their views follow their numbers). No number of theirs has been given
   * out (a shot's number is given when a capture of it is recorded), so nothing filed is renamed.
   * Same time: by name.
   */
  private inWriteOrder(shots: Shot[], shot: Shot): void {
    const unrecorded = (s: Shot): boolean => !s.undone && s.files.every((f) => f.state === 'waiting');
    if (!unrecorded(shot)) return;
    const written = (s: Shot): number => Math.min(...s.files.map((f) => this.places.get(f.file)!.written));
    const after = (s: Shot): boolean => unrecorded(s) && (written(s) > written(shot) || (written(s) === written(shot) && s.stem > shot.stem));
    const last = shots.indexOf(shot);
    let first = last;
    while (first > 0 && after(shots[first - 1]!)) first--;
    if (first === last) return;
    const passed = shots.slice(first, last);
    const slots = [...passed, shot].map((s) => ({ seq: s.seq, arrival: s.arrival }));
    [shot, ...passed].forEach((s, i) => Object.assign(s, slots[i]));
    shots.splice(first, passed.length + 1, shot, ...passed);
  }

  /**
   * Puts `file` (written at `written`) in the shot of its stem in `object` (null: the shots waiting
   * for a barcode), or a new shot after the last; `arrival`: the shot's, when it arrived in another
   * object (see `shotFor`). Returns its shot.
   */
  private place(object: SessionObject | null, file: string, stem: string, isRaw: boolean, at: number, written: number, arrival?: number): Shot {
    const shot = this.shotFor(object, stem, arrival);
    if (!object) this.pendingSince = at;
    shot.files.push({ file, isRaw, state: 'waiting', captureId: null });
    this.places.set(file, { object, shot, stem, isRaw, written });
    return shot;
  }

  /**
   * The shot of `stem` in `object` (null: the shots waiting for a barcode), or a new shot after the
   * last. `arrival`: when the shot arrived, moving in from another object (it keeps the earlier of
   * that and its own here); none: it arrives now.
   */
  private shotFor(object: SessionObject | null, stem: string, arrival?: number): Shot {
    const shots = object ? object.shots : this.pending;
    const shot = shots.find((s) => s.stem === stem && !s.undone);
    if (shot) {
      shot.arrival = Math.min(shot.arrival, arrival ?? shot.arrival);
      return shot;
    }
    // Failed or removed shots at the end give their number to this one; earlier ones stay gaps.
    while (shots.length > 0 && !live(shots.at(-1)!)) shots.pop();
    const added: Shot = { stem, seq: object ? nextSeq(object) : 0, files: [], undone: false, arrival: arrival ?? ++this.arrivals };
    shots.push(added);
    if (object) object.tookShot = true;
    return added;
  }

  private capture(captureId: number, file: string, failed: boolean): SessionEffect[] {
    const place = this.places.get(file);
    if (!place?.shot) {
      this.places.delete(file);
      return [{ type: 'capture.unlinked-none', captureId, reason: place?.why ?? 'no object open' }];
    }
    const { object, shot } = place;
    shot.files.find((f) => f.file === file && f.state === 'waiting')!.captureId = captureId;
    const barcode = object?.barcode ?? null;
    const effects: SessionEffect[] = [];
    if (shot.undone) {
      this.settle(file, 'failed');
      effects.push({ type: 'capture.unlinked', captureIds: [captureId], barcode, seq: object ? shot.seq : null, stem: shot.stem, reshoot: true });
    } else if (failed && object && this.contradicts(captureId, object.barcode)) {
      // Its image shows another object's barcode: the shot is one exposure, so all its files are
      // taken off as UNDO takes them (recorded ones now, even if already linked and filed; the ones
      // still being checked when recorded), and its number goes back as a failed shot's does.
      const undone = this.undo(shot, object);
      this.settle(file, 'failed');
      const others = shot.files.filter((f) => f.state !== 'gone' && f.file !== file).map((f) => f.file);
      const also = others.length > 0 ? ` with all its files (${others.join(', ')} too)` : '';
      const message = `${file} failed QC: its image shows another barcode than ${object.barcode}, so shot ${shot.seq} (${shot.stem}) is taken off object ${object.barcode}${also}, not linked and flagged for re-shoot${this.numberNote(object, shot)}.`;
      effects.push(undone, { type: 'alarm', barcode: object.barcode, message, object: object.ref, captureIds: undone.captureIds });
    } else if (failed) {
      this.settle(file, 'failed');
      effects.push({ type: 'capture.unlinked', captureIds: [captureId], barcode, seq: null, stem: shot.stem, reshoot: true });
      const next = !object || live(shot) ? '' : this.numberNote(object, shot);
      effects.push({ type: 'alarm', barcode, message: `${file} failed QC: it is not linked to ${object ? `object ${object.barcode}` : 'the next scanned object'} and is flagged for re-shoot${next}.`, ...(object ? { object: object.ref } : {}), captureIds: [captureId] });
    } else {
      this.settle(file, 'linked');
      if (object) effects.push(this.linked(object, shot, captureId));
    }
    return [...effects, ...this.judgeIfSettled(object)];
  }

  /**
   * What becomes of a failed shot's number, as far as is known now: place() gives the numbers of
   * the failed or removed shots at the end back to the next shot (all of them, so it takes the
   * lowest), and a number before a linked shot stays a gap.
   */
  private numberNote(object: SessionObject, shot: Shot): string {
    const after = object.shots.slice(object.shots.indexOf(shot) + 1);
    if (after.some((s) => s.files.some((f) => f.state === 'linked'))) return `; shot ${shot.seq} of ${object.barcode} stays empty`;
    if (object !== this.open) return `; object ${object.barcode} is closed: scan it again to re-shoot`;
    if (after.some(live)) return `; shot ${shot.seq} of ${object.barcode} stays empty unless the shots after it fail too, when the next shot takes its number`;
    let first = object.shots.indexOf(shot);
    while (first > 0 && !live(object.shots[first - 1]!)) first--;
    const seq = object.shots[first]!.seq;
    const view = this.viewOf(seq);
    return `; its number is given back: the next shot is shot ${seq}${view ? ` (${view})` : ''} of ${object.barcode}`;
  }

  private gone(file: string): SessionEffect[] {
    const place = this.places.get(file);
    if (!place) return [];
    this.settle(file, 'gone');
    return this.judgeIfSettled(place.object);
  }

  private settle(file: string, state: Exclude<FileState, 'waiting'>): void {
    const place = this.places.get(file);
    this.places.delete(file);
    const entry = place?.shot?.files.find((f) => f.file === file && f.state === 'waiting');
    if (entry) entry.state = state;
  }

  private linked(object: SessionObject, shot: Shot, captureId: number): SessionEffect {
    return { type: 'capture.linked', object: object.ref, captureId, barcode: object.barcode, seq: shot.seq, view: this.viewOf(shot.seq) };
  }

  private viewOf(seq: number): string | null {
    return this.rules.views[seq - 1] ?? null;
  }

  private close(reason: CloseReason, at: number): SessionEffect[] {
    const object = this.open;
    if (!object) return [];
    this.open = null;
    object.closed = reason;
    object.closedAt = at;
    // Rejected, only this object's own shots are set aside: the count says so, not the barcode's earlier shots.
    const shots = reason === 'rejected' ? object.shots.filter(live).length : presentSeqs(object, live).size;
    const effects: SessionEffect[] = [{ type: 'object.closed', object: object.ref, barcode: object.barcode, reason, shots, ...(scannedByMistake(object) ? { empty: true as const } : {}) }];
    const unchecked = uncheckedFiles(object);
    if (unchecked.length > 0) {
      this.settling.add(object);
      return [...effects, { type: 'object.unchecked', object: object.ref, barcode: object.barcode, files: unchecked }];
    }
    // Files of undone shots still being checked count for nothing: they are flagged when recorded.
    return [...effects, ...this.judge(object)];
  }

  private judgeIfSettled(object: SessionObject | null): SessionEffect[] {
    if (!object || !this.settling.has(object) || uncheckedFiles(object).length > 0) return [];
    this.settling.delete(object);
    if (object.early === null) return [{ type: 'object.judged', object: object.ref }, ...this.judge(object)];
    // Judged before these files settled: say so only if they changed the verdict.
    const { missing: then, files } = object.early;
    const now = this.missingOf(object);
    if (now.join('\n') === then.join('\n')) return [];
    const late = `${files.join(', ')} finished checking after the object was judged`;
    const message = now.length === 0 ? `Object ${object.barcode} is complete after all: ${late}.` : `Object ${object.barcode} is incomplete: ${now.join('; ')} (${late}).`;
    return [{ type: 'alarm', barcode: object.barcode, message, object: object.ref, ...(now.length > 0 ? { missing: now } : {}) }];
  }

  /** Closed objects whose files have not all settled `settleWaitSec` after they closed are judged now, counting those files as missing. */
  private judgeOverdue(now: number): SessionEffect[] {
    const effects: SessionEffect[] = [];
    for (const object of this.settling) {
      if (object.early !== null || now - object.closedAt < this.rules.settleWaitSec * 1000) continue;
      const files = uncheckedFiles(object);
      const missing = this.missingOf(object);
      object.early = { missing, files };
      effects.push({ type: 'object.judged', object: object.ref });
      if (missing.length === 0) continue;
      const they = files.length === 1 ? `${files[0]} is` : `${files.join(', ')} are`;
      effects.push({
        type: 'alarm',
        barcode: object.barcode,
        message: `Object ${object.barcode} is incomplete: ${missing.join('; ')}. ${they} still not checked ${this.rules.settleWaitSec} s after the object closed and counted as missing; the station says so if this changes when checking ends.`,
        object: object.ref,
        missing,
      });
    }
    return effects;
  }

  /** The completeness alarm of a closed object, judged with what it has now (none for one scanned by mistake). */
  private judge(object: SessionObject): SessionEffect[] {
    if (scannedByMistake(object)) return [];
    const missing = this.missingOf(object);
    return missing.length > 0 ? [{ type: 'alarm', barcode: object.barcode, message: `Object ${object.barcode} is incomplete: ${missing.join('; ')}.`, object: object.ref, missing }] : [];
  }

  private missingOf(object: SessionObject): string[] {
    if (object.closed === 'rejected') return [];
    const counted = object.shots.filter(counts);
    return missingOf(this.rules, presentSeqs(object, counts), counted.map((s) => ({ seq: s.seq, stem: s.stem, files: s.files.filter((f) => f.state === 'linked') })));
  }

  private expireIdle(now: number): SessionEffect[] {
    const timeout = this.rules.idleTimeoutSec * 1000;
    if (timeout <= 0) return [];
    if (this.rules.mode === 'scan-after-capture') {
      if (this.pending.length === 0 || now - this.pendingSince < timeout) return [];
      const shots = this.pending.filter(live);
      this.pending = [];
      for (const shot of shots) for (const f of shot.files) if (f.state === 'waiting') Object.assign(this.places.get(f.file)!, { shot: null, why: 'no barcode scanned in time' });
      if (shots.length === 0) return [];
      const files = shots.flatMap((s) => s.files.filter((f) => f.state !== 'gone' && f.state !== 'failed').map((f) => f.file));
      // Recorded ones are given up on now (and for good: they do not wait again after a restart); ones still being checked when they are recorded.
      const given: SessionEffect[] = shots.flatMap((s) => s.files.flatMap((f) => (f.state === 'linked' ? [{ type: 'capture.unlinked-none' as const, captureId: f.captureId!, reason: 'no barcode scanned in time' as const }] : [])));
      const captureIds = shots.flatMap((s) => s.files.flatMap((f) => (f.state === 'linked' && f.captureId !== null ? [f.captureId] : [])));
      const unchecked = shots.flatMap((s) => s.files.flatMap((f) => (f.state === 'waiting' ? [f.file] : [])));
      const message = `No barcode was scanned within ${this.rules.idleTimeoutSec} s of the last shot: ${files.join(', ')} ${files.length === 1 ? 'is' : 'are'} not linked; link them with a relink, or shoot them again and scan.`;
      return [...given, { type: 'alarm', barcode: null, message, captureIds, ...(unchecked.length > 0 ? { unchecked } : {}) }];
    }
    if (!this.open || now - this.open.lastActivity < timeout) return [];
    return this.close('idle', now);
  }
}

/** Why a late image cannot follow into object `to` (see `follow`), or null when it can. */
function cannotJoin(to: SessionObject): string | null {
  if (to.closed === 'rejected') return `${to.openedAs} was rejected`;
  return to.barcode === to.openedAs ? null : `${to.openedAs} was renamed ${to.barcode} by an edit`;
}

/**
 * The number a new shot of `object` takes: after its last shot, and never before its first number
 * (after a linking edit that is the barcode's next number in the database, which a shot relinked in
 * may have raised above the object's own shots).
 */
function nextSeq(object: { shots: readonly Shot[]; firstSeq: number }): number {
  return Math.max(object.shots.at(-1)?.seq ?? 0, object.firstSeq - 1) + 1;
}

/**
 * The sequence numbers the object's barcode has shots at: its own shots that pass `test`, those of
 * its objects still being checked when it opened, and its real earlier shots in the database.
 */
function presentSeqs(object: SessionObject, test: (shot: Shot) => boolean): Set<number> {
  const seqs = new Set(object.earlier);
  for (const o of [...object.before, object]) for (const s of o.shots) if (test(s)) seqs.add(s.seq);
  return seqs;
}

/**
 * The object took no shot, and its barcode has none elsewhere either: scanned by mistake, as a rule
 * (the right barcode scanned next), so "0 of N views" would only be noise. A barcode scanned again
 * that has shots is still judged: what its specimen lacks is news even when nothing was added.
 */
function scannedByMistake(object: SessionObject): boolean {
  return !object.tookShot && presentSeqs(object, counts).size === 0;
}

/** The files of the object's shots (not undone) still being checked. */
function uncheckedFiles(object: SessionObject): string[] {
  return object.shots.flatMap((s) => (s.undone ? [] : s.files.filter((f) => f.state === 'waiting').map((f) => f.file)));
}

/** One shot as the completeness check sees it: its linked files. */
export interface JudgedShot {
  seq: number;
  stem: string;
  files: readonly { isRaw: boolean }[];
}

/**
 * What the profile expected of a closed object and did not get, in words for the technician.
 * `present`: the sequence numbers its barcode has real shots at (views follow them); `shots`: its
 * own shots with a linked capture (pairs are judged on these).
 */
export function missingOf(rules: Pick<SessionRules, 'expectedShots' | 'views' | 'expectPairs'>, present: ReadonlySet<number>, shots: readonly JudgedShot[]): string[] {
  const { expectedShots, views, expectPairs } = rules;
  const out: string[] = [];
  if (expectedShots > 0) {
    const missingViews = views.slice(0, expectedShots).filter((_, i) => !present.has(i + 1));
    if (present.size < expectedShots) out.push(`${present.size} of ${expectedShots} views${missingViews.length > 0 ? ` (missing ${missingViews.join(', ')})` : ''}`);
    // Enough shots, yet a view's number is a gap (a failed or undone shot before the last).
    else if (missingViews.length > 0) out.push(`${present.size} shots but no ${missingViews.join(', ')} view`);
  }
  if (expectPairs) {
    for (const s of shots) {
      const hasRaw = s.files.some((f) => f.isRaw);
      if (!hasRaw || !s.files.some((f) => !f.isRaw)) out.push(`shot ${s.seq} (${s.stem}) has no ${hasRaw ? 'TIFF/JPEG' : 'RAW'} file`);
    }
  }
  return out;
}
