/**
 * Barcode linking inside the running station: scans, files the watcher first sees (arrivals, which
 * take each shot's place), removed files and recorded captures go through one LinkSession per
 * source; its effects become rows (links in the capture's own recording transaction, through a
 * capture hook), events, and moves into the library.
 *
 * Invariants: a capture's link commits with the capture itself, so a crash never leaves a
 * recorded capture whose link was decided but not written; filing runs one move at a time, each
 * journaled before it starts and finished on the next start if it was cut short; a link change
 * marks the filed captures it touches in the same transaction, so a rename that never ran after it
 * is made on the next start (reconcile.ts).
 */
import fs from 'node:fs';
import path from 'node:path';
import { firstCode, type SearchGoal } from '../barcode/image/index.js';
import { classifyScan, quotedScan } from '../barcode/validate.js';
import type { LinkingConfig, SourceConfig } from '../config/schema.js';
import { StationError } from '../errors.js';
import { libraryProblem, libraryUnmounted, removeEmptiedFolders } from '../filing/library.js';
import { moveVerified } from '../filing/move.js';
import { sha256OfFile } from '../hashing/file.js';
import { createLogger } from '../log/logger.js';
import type { Profile } from '../quality/profile.js';
import type { CheckResult } from '../quality/types.js';
import { describeCapture, problemsOf, verdictLevel } from '../station/describe.js';
import { pairRole } from '../station/pairs.js';
import type { CaptureChange, CaptureRecord, CaptureStore } from '../store/captures.js';
import type { Db } from '../store/database.js';
import { appendEvent } from '../store/events.js';
import { SessionStore } from '../store/sessions.js';
import { backoffDelay, type BackoffSettings } from '../upload/backoff.js';
import { LinkEditor } from './edits.js';
import { MismatchRecheck, type SearchAgain } from './mismatch-recheck.js';
import { FiledReconciler } from './reconcile.js';
import { expectationsOf } from './expected.js';
import { LibraryNaming, putBackPath, rejectedFolder, reshootFolder, stemOf, unlinkedFolder } from './naming.js';
import { LinkSession, missingOf, type BarcodeHistory, type NotLinkedReason, type SessionEffect, type SessionInput, type StoredShot } from './session.js';
import { LinkStore, type ObjectRecord } from './store.js';

const log = createLogger('linking');

export interface LinkerOptions {
  db: Db;
  captures: CaptureStore;
  config: LinkingConfig;
  sources: readonly SourceConfig[];
  profiles: Readonly<Record<string, Profile>>;
  stationId: string;
  library: string;
  /** Every effect, after it is written (for the station's events). */
  onEffect: (sourceId: string, effect: SessionEffect) => void;
  /** A capture whose barcode-mismatch result changed because its link did (after the change is written). */
  onRechecked?: (capture: CaptureRecord) => void;
  /** Filed captures a linking edit renamed in the library (their upload copies carry the old names). */
  onRenamed?: (captureIds: readonly number[]) => void;
  /** Captures a linking edit, its undo or its rollback moved, once their files are where their links say. */
  onEdited?: (captureIds: readonly number[]) => void;
  /** Reads a capture's image again when a link is checked against a barcode its first search may not have reached (MismatchRecheck.contradictionRead); absent: the stored codes are all there is. */
  searchAgain?: SearchAgain;
  now?: () => number;
}

/** What a scan did, for the technician: the object now open, and any alarm. */
export interface ScanOutcome {
  kind: 'object' | 'control';
  code: string;
  sourceId: string;
  current: { barcode: string; shots: number } | null;
  /** The object this scan closed (END, REJECT, or the next object's barcode), so the operator sees it went. */
  closed: { barcode: string; shots: number; reason: string } | null;
  /**
   * The shot UNDO took off (barcode null: it was still waiting for one), flagged for re-shoot.
   * `alreadyOff`: QC had taken it off already (it failed), so UNDO only acknowledged it: the
   * sentence saying so and naming the shot another UNDO takes.
   */
  undone: { barcode: string | null; seq: number | null; stem: string; alreadyOff?: string } | null;
  alarms: string[];
  /** False when the scan changed nothing (END with no object open, a barcode with no shot waiting for it…): an alarm says why. */
  changed: boolean;
}

export class Linker {
  readonly links: LinkStore;
  private readonly sessions = new Map<string, LinkSession>();
  /** Per source, the database id of each session object (by its number) that is open or still has files being checked. */
  private readonly objectIds = new Map<string, Map<number, number>>();
  readonly naming: LibraryNaming;
  /** Relink, split, merge, re-shoot and undo, serialised with filing. */
  readonly editor: LinkEditor;
  private filing: Promise<void> = Promise.resolve();
  /** Closes idle objects; runs only while linking is on, started, and some source has an object open. */
  private idleTimer: NodeJS.Timeout | null = null;
  private started = false;
  private readonly removeHook: () => void;
  private readonly now: () => number;
  private readonly mismatch: MismatchRecheck;
  /** Failed attempts so far of captures whose filing is being retried, and their next attempt. */
  private readonly filingFailures = new Map<number, { attempts: number; timer: NodeJS.Timeout | null }>();
  private readonly sessionStore: SessionStore;
  /**
   * scan-after-capture: per source, files whose wait expired while they were being checked, and when
   * (see LinkStore.expiredUncheckedFiles); read from the event log at the first file a start finds.
   */
  private expiredUnchecked: Map<string, number> | null = null;
  /** Per source, the barcode of the object the idle timeout closed, until another object opens: why a shot then joins none. */
  private readonly idleClosed = new Map<string, string>();
  private readonly reconciler: FiledReconciler;
  /** When the last scan came (this.now() time), from any input, refused or not; null: none since the start. */
  private lastScan: number | null = null;

  constructor(private readonly opts: LinkerOptions) {
    this.links = new LinkStore(opts.db);
    this.sessionStore = new SessionStore(opts.db);
    this.naming = new LibraryNaming(opts.config, opts.library, opts.stationId, this.links, this.sessionStore);
    this.mismatch = new MismatchRecheck(opts.captures, this.links, (sourceId) => opts.profiles[opts.sources.find((s) => s.id === sourceId)?.profile ?? ''], opts.searchAgain ?? null);
    this.editor = new LinkEditor(opts.db, this.links, opts.captures, this.naming, opts.config, (work) => this.serialize(work), (ids, earlier) => this.relinked(ids, true, true, earlier), () => this.restoreSessions(), (ids) => opts.onRenamed?.(ids), (ids) => opts.onEdited?.(ids), (id, barcode) => this.mismatch.contradiction(id, barcode), (id, barcode) => this.mismatch.readAgain(id, barcode), opts.sources, (id, message) => this.editAlarm(id, message));
    this.now = opts.now ?? Date.now;
    this.reconciler = new FiledReconciler({
      ...opts,
      links: this.links,
      naming: this.naming,
      libraryMountCheck: opts.config.libraryMountCheck,
      onRenamed: (ids) => opts.onRenamed?.(ids),
      onAlarm: (sourceId, barcode, message) => opts.onEffect(sourceId, { type: 'alarm', barcode, message }),
    });
    for (const source of opts.sources) {
      const profile = opts.profiles[source.profile];
      this.sessions.set(
        source.id,
        new LinkSession({
          mode: source.scanMode ?? opts.config.mode,
          idleTimeoutSec: opts.config.idleTimeoutSec,
          ...expectationsOf(source, opts.config),
          expectPairs: profile?.pairs.required ?? false,
          settleWaitSec: opts.config.completenessWaitSec,
        }, (barcode) => this.history(barcode), (id, barcode) => this.mismatch.contradiction(id, barcode) !== null),
      );
      this.objectIds.set(source.id, new Map());
    }
    // Registered before the uploader's hook, so the upload rules see the link of a new capture.
    this.removeHook = opts.captures.addHook((_db, capture, change) => this.onCapture(capture, change));
  }

  /** Closes what the last run left open and finishes its interrupted moves. */
  async start(): Promise<void> {
    for (const o of this.links.openObjects()) {
      this.links.closeObject(o.id, 'shutdown');
      this.afterObjectClosed(o.id);
      log.warn('object left open by the last run was closed; scan it again to add captures', { barcode: o.barcode, source: o.sourceId });
      this.judgeAtStart(o, 'it was open when the station stopped; scan it again to add shots');
    }
    for (const { object, files } of this.links.unjudgedObjects()) {
      const they = files.length === 1 ? `${files[0]} was` : `${files.join(', ')} were`;
      this.judgeAtStart(object, `${they} still being checked when the station stopped and ${files.length === 1 ? 'is' : 'are'} counted as missing (link ${files.length === 1 ? 'it' : 'them'} with a relink if ${files.length === 1 ? 'it belongs' : 'they belong'} to it)`);
      this.links.setUnjudged(object.id, null);
    }
    this.restoreWaiting();
    this.giveUpUnheld();
    if (this.opts.config.enabled) await this.checkLibrary();
    this.started = true;
    // Interrupted moves are finished, and failed ones tried again (the library may have been fixed).
    for (const move of [...this.links.pendingMoves(), ...this.links.failedMoves()]) this.enqueueFiling(move.captureId);
    for (const captureId of this.links.rejectedNotSetAside(path.join(this.opts.library, rejectedFolder) + path.sep)) this.enqueueFiling(captureId);
    // Linked just before the station stopped, never moved: file() leaves a failed one in place.
    for (const captureId of this.links.unfiledLinked()) this.enqueueFiling(captureId);
    // Then filed files whose link changed before the station stopped and the rename that follows ran.
    for (const captureId of this.reconciler.marked()) {
      void this.serialize(() => this.reconciler.reconcile(captureId)).catch((err: unknown) => log.error('could not check where a relinked capture is filed; it is checked again at the next start', { captureId, error: String(err) }));
    }
    this.syncIdleTimer();
  }

  async stop(): Promise<void> {
    this.started = false;
    this.syncIdleTimer();
    for (const f of this.filingFailures.values()) if (f.timer) clearTimeout(f.timer);
    this.filingFailures.clear();
    await this.filing;
    this.removeHook();
  }

  /** A scan from any input (keyboard wedge, USB, `capture-station scan`). Refusals throw with the reason. */
  scan(code: string, sourceId?: string): ScanOutcome {
    if (!this.opts.config.enabled) throw new StationError('INVALID_ARGUMENT', 'Barcode linking is off: set linking.enabled to true in the station config to link captures to scanned barcodes.');
    // Even a refused code shows a scanner reads: the screens stop asking for a test scan.
    this.lastScan = this.now();
    const source = this.sourceFor(sourceId);
    const scan = classifyScan(code, this.opts.config.barcode);
    if (scan.kind === 'refused') {
      // Refused all the same, but the object open before it may have closed (linking.onRefusedScan): the refusal says so.
      // Nothing with no letter or digit looks like another object's label (a stray key, reader noise): it closes nothing.
      const objectLike = scan.problem !== 'empty' && scan.problem !== 'no-letter-or-digit';
      const input: SessionInput = { type: 'refused', code, why: scan.reason, close: objectLike && this.opts.config.onRefusedScan === 'close', at: this.now() };
      const closing = this.opts.db.transaction(() => this.apply(source, input))().find((e): e is SessionEffect & { type: 'alarm' } => e.type === 'alarm' && e.message.startsWith(`Barcode ${quotedScan(code)} was refused`));
      throw new StationError('INVALID_ARGUMENT', closing?.message ?? `Barcode ${quotedScan(code)} was refused: it ${scan.reason}. Scan it again, or check the label.`);
    }
    const input: SessionInput = scan.kind === 'control' ? { type: 'control', action: upper(scan.action), at: this.now() } : { type: 'scan', barcode: scan.code, at: this.now() };
    const effects = this.opts.db.transaction(() => this.apply(source, input))();
    const session = this.sessions.get(source)!;
    const closed = effects.find((e) => e.type === 'object.closed');
    const undone = scan.kind === 'control' ? effects.find((e) => e.type === 'capture.unlinked' || e.type === 'shot.already-off') : undefined;
    return {
      kind: scan.kind,
      code: scan.code,
      sourceId: source,
      current: session.current,
      closed: closed ? { barcode: closed.barcode, shots: closed.shots, reason: closed.reason } : null,
      undone: undone ? { barcode: undone.barcode, seq: undone.seq, stem: undone.stem, ...(undone.type === 'shot.already-off' ? { alreadyOff: alreadyOffWords(undone) } : {}) } : null,
      alarms: alarmsOf(effects),
      // An object scan opens (or keeps open) its object, or names the waiting shots; a control closes
      // an object or takes a shot off. What time did at this moment (an idle object closing) is not the scan's.
      changed:
        scan.kind === 'object'
          ? session.current?.barcode === scan.code || effects.some((e) => e.type === 'object.opened')
          : effects.some((e) => (e.type === 'object.closed' && e.reason !== 'idle') || e.type === 'capture.unlinked' || e.type === 'shot.already-off'),
    };
  }

  /**
   * The watcher saw a new file version first (before its stability window and QC): its shot takes
   * its place now. `found`: by the start-up scan, so it was written while the station was down.
   * `mtimeUs`: the version's modification time, the order its shot keeps among shots still being
   * checked; a found file last modified no later than an expired wait's alarm that named it while
   * it was being checked is that same file, already alarmed about (the event log is the record), so
   * it is not alarmed about again.
   */
  arrival(sourceId: string, relPath: string, found: boolean, mtimeUs: number): void {
    const expiredAt = found && this.scansAfterCapture(sourceId) ? this.expiredWaits().get(fileKey(sourceId, relPath)) : undefined;
    const expired = expiredAt !== undefined && Math.floor(mtimeUs / 1000) <= expiredAt;
    this.fromWatcher(sourceId, { type: 'arrival', file: relPath, stem: stemOf(relPath), isRaw: pairRole(relPath) === 'raw', mtimeUs, found, ...(expired ? { expired } : {}), at: this.now() });
  }

  private scansAfterCapture(sourceId: string): boolean {
    return this.opts.config.enabled && (this.opts.sources.find((s) => s.id === sourceId)?.scanMode ?? this.opts.config.mode) === 'scan-after-capture';
  }

  private expiredWaits(): Map<string, number> {
    return (this.expiredUnchecked ??= new Map(this.links.expiredUncheckedFiles().map((f) => [fileKey(f.sourceId, f.relPath), Date.parse(f.at)])));
  }

  /** A file left the hot folder; if it was never recorded, its place is given up. */
  gone(sourceId: string, relPath: string): void {
    this.fromWatcher(sourceId, { type: 'gone', file: relPath, at: this.now() });
  }

  /** The watcher's reports must not throw (a throw would make it drop the file): a failure is logged; the file is still checked, and linked as if it arrived with no object open. */
  private fromWatcher(sourceId: string, input: SessionInput & { file: string }): void {
    if (!this.opts.config.enabled || !this.sessions.has(sourceId)) return;
    try {
      this.opts.db.transaction(() => this.apply(sourceId, input))();
    } catch (err) {
      log.error(`could not take note that ${input.file} ${input.type === 'gone' ? 'left' : 'arrived in'} the hot folder`, { source: sourceId, error: String(err) });
    }
  }

  /** The barcode a file being checked will be linked to (its barcodeMismatch check compares with it). */
  barcodeFor(sourceId: string, relPath: string): string | null {
    return this.sessions.get(sourceId)?.barcodeOf(relPath) ?? null;
  }

  /**
   * What the barcode search of a file being checked must read before it stops (SearchGoal), from
   * what will be decided from its image: its object's own code when one was scanned for it, or
   * opened from an image; a second label when the image may open an object (linkFromImage: one
   * valid code, and only one, opens an object); else the first label will do. A shot waiting for its scan
   * (scan-after-capture) stops at its first label too, though any label may be the one scanned:
   * reading every region costs 0.7–1.5 s a sheet against 0.3 s, on every sheet of such a source.
   * The scan reads the image again when it names a code not read (rereadForScan).
   */
  searchGoal(sourceId: string, relPath: string): SearchGoal {
    const session = this.sessions.get(sourceId);
    if (!this.opts.config.enabled || !session) return firstCode;
    const scanned = session.barcodeOf(relPath);
    if (scanned !== null) return { code: scanned, distinct: Infinity };
    const source = this.opts.sources.find((s) => s.id === sourceId);
    if ((source?.scanMode ?? this.opts.config.mode) === 'scan-after-capture' || !this.opts.config.linkFromImage) return firstCode;
    // In an object opened from an image, only its own code settles that the shot stays: a sheet
    // showing two other labels first may show its code too.
    const imageObject = session.imageObjectOf(relPath);
    return imageObject === null ? { code: null, distinct: 2 } : { code: imageObject, distinct: Infinity };
  }

  /**
   * Captures the database says wait for their barcode that no session took back at this start
   * (linking is off now, their source no longer scans after capture, or restoreWaiting does not
   * take them): they join no scan any more, so they are given up on, and their upload jobs queued
   * (see held.ts), instead of being held back for ever.
   */
  private giveUpUnheld(): void {
    const unheld = this.links.awaitingBarcodeCaptures().filter((c) => !this.sessions.get(c.sourceId)?.waitsForBarcode(c.id));
    if (unheld.length === 0) return;
    this.opts.db.transaction(() => {
      for (const c of unheld) {
        appendEvent(this.opts.db, { type: 'capture.not-linked', captureId: c.id, sourceId: c.sourceId, data: { reason: 'no longer waiting for a barcode after a restart' } });
        this.opts.captures.runHooks(c.id);
      }
    })();
    log.warn('shots that waited for their barcode when the station stopped no longer wait and stay unlinked (linking is off, or their source no longer scans after capture): link them with a relink', { files: unheld.map((c) => `${c.sourceId}/${c.relPath}`) });
  }

  /**
   * scan-after-capture: the captures the last run recorded that still wait for their barcode (not
   * linked, not flagged, not failed, recorded after the source's last object closed) wait again, as
   * of when they were detected, so those that waited too long expire at once, with their alarm. A
   * source with no object yet takes those of the last idleTimeoutSec only (older ones predate
   * linking), and none when shots never expire.
   */
  private restoreWaiting(): void {
    if (!this.opts.config.enabled) return;
    const timeout = this.opts.config.idleTimeoutSec;
    const notBefore = timeout > 0 ? new Date(this.now() - timeout * 1000).toISOString() : null;
    for (const source of this.opts.sources) {
      if ((source.scanMode ?? this.opts.config.mode) !== 'scan-after-capture') continue;
      const waiting = this.links.waitingCaptures(source.id, notBefore);
      if (waiting.length === 0) continue;
      this.opts.db.transaction(() => {
        for (const c of waiting) {
          this.apply(source.id, { type: 'waiting', captureId: c.id, file: c.relPath, stem: stemOf(c.relPath), isRaw: pairRole(c.relPath) === 'raw', mtimeUs: c.mtimeUs, at: Date.parse(c.detectedAt) });
          // One recorded before waits were written down: held from now on, like the others.
          if (!this.links.isAwaitingBarcode(c.id)) this.links.markAwaitingBarcode(c.id, source.id);
        }
      })();
      log.info('shots recorded before the restart still wait for their barcode', { source: source.id, files: waiting.map((c) => c.relPath) });
    }
  }

  /**
   * The completeness alarm of an object the last run never judged (closed at this start, or closed
   * with files still being checked when it stopped), from what the database has; `note` says why.
   */
  private judgeAtStart(object: ObjectRecord, note: string): void {
    const source = this.opts.sources.find((s) => s.id === object.sourceId);
    if (!this.opts.config.enabled || !source || object.state === 'rejected') return;
    const present = new Set(this.links.shotSeqsOfBarcode(object.barcode, this.project(), this.opts.config.project, object.id + 1));
    const shots = this.shotsOf(object.id);
    const rules = { ...expectationsOf(source, this.opts.config), expectPairs: this.opts.profiles[source.profile]?.pairs.required ?? false };
    const missing = missingOf(rules, present, shots);
    if (missing.length === 0) return;
    const message = `Object ${object.barcode} is incomplete: ${missing.join('; ')}; ${note}.`;
    log.warn(message, { source: object.sourceId });
    this.opts.onEffect(object.sourceId, { type: 'alarm', barcode: object.barcode, message });
  }

  /** When the station last took a scan from any input (ISO time); null: none since the start. */
  lastScanAt(): string | null {
    return this.lastScan === null ? null : new Date(this.lastScan).toISOString();
  }

  /** Which object each source has open now. */
  current(): Record<string, { barcode: string; shots: number } | null> {
    return Object.fromEntries([...this.sessions].map(([id, s]) => [id, s.current]));
  }

  /** scan-after-capture: the shots each source has waiting for a barcode (sources with none are left out). */
  waitingShots(): Record<string, LinkSession['waitingShots']> {
    return Object.fromEntries([...this.sessions].map(([id, s]) => [id, s.waitingShots] as const).filter(([, shots]) => shots.length > 0));
  }

  /** Resolves when every queued move has finished (tests, shutdown). */
  settled(): Promise<void> {
    return this.filing;
  }

  private onCapture(capture: CaptureRecord, change: CaptureChange): void {
    if (!this.opts.config.enabled || change !== 'recorded' || !this.sessions.has(capture.sourceId)) return;
    const opened = this.openFromImage(capture);
    this.apply(capture.sourceId, { type: 'capture', captureId: capture.id, file: capture.relPath, failed: capture.verdict === 'fail', at: this.now() });
    if (opened) this.keepExposureWhole(capture);
  }

  /**
   * linkFromImage: `capture` opened an object from its image with none open, as after a restart,
   * when the last run's memory of a give-way is gone. Its exposure's other files (a RAW, same stem)
   * linked before the restart to an object opened from an image that gave way to this code are this
   * sheet's: they join its shot, as a live follow would take them. Any other of them linked apart
   * from it is an alarm naming both files, so one exposure is never filed under two objects unseen.
   */
  private keepExposureWhole(capture: CaptureRecord): void {
    const link = this.links.linkOf(capture.id);
    if (!link) return;
    const stem = stemOf(capture.relPath);
    const rejoin = new Map<string, { file: string; isRaw: boolean; captureId: number }[]>();
    for (const sibling of this.links.linkedSiblings(capture.id, stem)) {
      const theirs = this.links.linkOf(sibling.id)!;
      if (theirs.objectId === link.objectId && theirs.seq === link.seq) continue;
      if (theirs.objectId !== link.objectId && this.links.gaveWayTo(theirs.objectId) === link.barcode) {
        log.info(`${sibling.relPath} follows ${capture.relPath} to object ${link.barcode}: the station restarted after object ${theirs.barcode}, opened from an image, gave way to ${link.barcode} and before ${capture.relPath}, which shows ${link.barcode}, was checked`, { captureId: sibling.id, source: capture.sourceId });
        rejoin.set(theirs.barcode, [...(rejoin.get(theirs.barcode) ?? []), { file: sibling.relPath, isRaw: pairRole(sibling.relPath) === 'raw', captureId: sibling.id }]);
        continue;
      }
      const message = `${capture.relPath} and ${sibling.relPath} are one exposure (same name) but linked apart: ${capture.relPath} to ${link.barcode} as shot ${link.seq}, ${sibling.relPath} to ${theirs.barcode} as shot ${theirs.seq}. Relink the one on the wrong object (Relink shot) so that both are one shot of the same object.`;
      const alarm: SessionEffect & { type: 'alarm' } = { type: 'alarm', barcode: link.barcode, message, captureIds: [capture.id, sibling.id] };
      log.warn(message, { source: capture.sourceId });
      this.recordAlarm(capture.sourceId, alarm, link.objectId);
      queueMicrotask(() => this.opts.onEffect(capture.sourceId, alarm));
    }
    for (const [from, files] of rejoin) this.apply(capture.sourceId, { type: 'rejoin', stem, from, files, at: this.now() });
  }

  /**
   * linking.linkFromImage: a capture that arrived with no object open, while none is open still,
   * whose image shows exactly one barcode the project accepts opens that object, as if it had been
   * scanned, as its first shot (its barcodes were stored in the same transaction, just before this
   * hook). Two or more valid codes are ambiguous and link nothing. An object so opened gives way to
   * a later capture whose image shows valid codes, none its own (the next sheet on a rig with no
   * scanner): it closes, and that capture opens its code's object the same way (or, showing several,
   * joins none) instead of failing as a barcode mismatch. A capture showing no valid code (a sheet's
   * back) stays with it; a scanned object never gives way. True when it opened an object with none open.
   */
  private openFromImage(capture: CaptureRecord): boolean {
    const source = this.opts.sources.find((s) => s.id === capture.sourceId);
    const session = this.sessions.get(capture.sourceId)!;
    if (!this.opts.config.linkFromImage || (source?.scanMode ?? this.opts.config.mode) !== 'scan-before-capture') return false;
    const imageObject = session.imageObjectOf(capture.relPath);
    const gaveWay = session.gaveWayOf(capture.relPath);
    if (imageObject === null && gaveWay === null && (session.current || !session.arrivedWithoutObject(capture.relPath))) return false;
    const read = [...new Set(this.opts.captures.barcodes(capture.id).filter((b) => b.valid).map((b) => b.text))];
    // One code from a search that neither read every region nor was stopped by a second label
    // (searchGoal) was cut short (time limit, decoder crash): another label may be on the sheet, so
    // it opens, moves and follows nothing, as a capture showing no code.
    const valid = read.length === 1 && !this.opts.captures.barcodesComplete(capture.id) && read[0] !== imageObject ? [] : read;
    if (valid !== read) log.warn(`the barcode search of ${capture.relPath} was cut short after it read ${read[0]}: another label may be on the sheet, so the station does not link it from its image; relink it by hand if ${read[0]} is its object`, { captureId: capture.id, source: capture.sourceId });
    if (gaveWay !== null) {
      // Checked after a later image of the same sheet made its object give way: it is that sheet's
      // too. Showing another code still, it fails as a mismatch (the relinked check). One that
      // cannot follow is taken off for re-shoot, and the session's alarm says why.
      if (valid.length !== 1 || valid[0] !== gaveWay.to) return false;
      if (gaveWay.cannot === null) {
        const closed = gaveWay.closed === null ? '' : `, though ${gaveWay.to} has closed (${gaveWay.closed}): it joins it late`;
        log.info(`${capture.relPath} follows to object ${gaveWay.to} with its whole shot: object ${gaveWay.from}, opened from an image, gave way to ${gaveWay.to} while ${capture.relPath} was being checked, and its image shows ${gaveWay.to}; it is numbered after the shots ${gaveWay.to} already has${closed}`, { captureId: capture.id, source: capture.sourceId });
        if (gaveWay.closed !== null) appendEvent(this.opts.db, { type: 'capture.joined-late', captureId: capture.id, sourceId: capture.sourceId, data: { from: gaveWay.from, barcode: gaveWay.to, closed: gaveWay.closed } });
      }
      this.apply(capture.sourceId, { type: 'follow', file: capture.relPath, at: this.now() });
      return false;
    }
    if (imageObject !== null && (valid.length === 0 || valid.includes(imageObject))) return false;
    if (valid.length !== 1) {
      if (imageObject === null) return false;
      log.info(`object ${imageObject}, opened from an image, was closed: the image of ${capture.relPath} shows ${valid.join(' and ')}, none of them ${imageObject}, so it is another object, and with several codes it joins none (relink it to its barcode)`, { captureId: capture.id, source: capture.sourceId });
      this.apply(capture.sourceId, { type: 'image-shows-others', file: capture.relPath, at: this.now() });
      return false;
    }
    log.info(imageObject === null ? 'object opened from the barcode in the image' : `object opened from the barcode in the image; object ${imageObject}, opened from an earlier image, was closed`, { captureId: capture.id, barcode: valid[0], source: capture.sourceId });
    this.apply(capture.sourceId, { type: 'scan', barcode: valid[0]!, at: this.now(), adopt: capture.relPath });
    return imageObject === null;
  }

  private tick(): void {
    try {
      for (const [sourceId, session] of this.sessions) {
        if (session.expires) this.opts.db.transaction(() => this.apply(sourceId, { type: 'tick', at: this.now() }))();
      }
    } catch (err) {
      log.error('could not close idle objects', { error: String(err) });
    }
  }

  /** Ticks once a second while an object or waiting shots could time out, and not at all otherwise (a station idles for days). */
  private syncIdleTimer(): void {
    const wanted = this.started && this.opts.config.enabled && [...this.sessions.values()].some((s) => s.expires);
    if (wanted && !this.idleTimer) {
      this.idleTimer = setInterval(() => this.tick(), 1000);
      this.idleTimer.unref();
    } else if (!wanted && this.idleTimer) {
      clearInterval(this.idleTimer);
      this.idleTimer = null;
    }
  }

  /** Runs inside the caller's transaction: every row an input causes commits together. */
  private apply(sourceId: string, input: SessionInput): SessionEffect[] {
    const session = this.sessions.get(sourceId)!;
    const effects = session.apply(input);
    const ids = this.objectIds.get(sourceId)!;
    const toFile: number[] = [];
    /** Captures whose shot an object opened from an image gave up: filed again under their new link, or put back where they were found. */
    const refile: number[] = [];
    /** Captures whose link this input changed: their mismatch check is judged again. */
    const relinked: number[] = [];
    /** Waiting shots' captures the scan did not link, as their image shows another barcode (judged against it). */
    const contradicted: { capture: CaptureRecord; barcode: string; partners: string[]; unread: boolean }[] = [];
    /** Of those, shots whose search stopped before reading every label: read again for the barcode (rereadForScan). */
    const reread: { captureIds: number[]; barcode: string }[] = [];
    /** Objects this input closed: their captures' upload hooks run once every link it changes is written. */
    const closed: number[] = [];
    for (const effect of effects) {
      switch (effect.type) {
        case 'object.opened':
          ids.set(effect.object, this.links.openObject(effect.barcode, sourceId, effect.fromImage === true).id);
          this.idleClosed.delete(sourceId);
          break;
        case 'object.closed': {
          if (effect.reason === 'idle') {
            log.warn(`object ${effect.barcode} was closed after ${this.opts.config.idleTimeoutSec} s without activity (linking.idleTimeoutSec); scan it again to add shots`, { barcode: effect.barcode, shots: effect.shots, source: sourceId });
            this.idleClosed.set(sourceId, effect.barcode);
          }
          if (effect.empty) log.info(`object ${effect.barcode} was closed with no shots (scanned by mistake?): no completeness alarm for it`, { barcode: effect.barcode, reason: effect.reason, source: sourceId });
          const id = ids.get(effect.object);
          if (id !== undefined) {
            this.links.closeObject(id, effect.reason);
            closed.push(id);
            // A rejected object's captures are set aside (see file), filed ones too.
            if (effect.reason === 'rejected') toFile.push(...this.links.capturesOf(id));
          }
          break;
        }
        case 'object.unchecked':
          this.links.setUnjudged(ids.get(effect.object)!, effect.files);
          break;
        case 'object.judged':
          this.links.setUnjudged(ids.get(effect.object)!, null);
          break;
        case 'capture.linked':
          this.links.link(effect.captureId, ids.get(effect.object)!, effect.seq, effect.view, this.naming.namedFor(effect.captureId));
          toFile.push(effect.captureId);
          relinked.push(effect.captureId);
          break;
        case 'capture.unlinked':
          // Judged against the scanned barcode before the flag's upload hooks run, so they see the FAIL.
          if (effect.contradicted) {
            const barcode = effect.barcode!;
            const failing = this.relinked(effect.captureIds.filter((id) => this.mismatch.contradiction(id, barcode)), false, true, undefined, barcode);
            const partners = (c: CaptureRecord) => effect.captureIds.filter((id) => id !== c.id).map((id) => this.opts.captures.get(id)!.relPath);
            const unread = (c: CaptureRecord) => this.opts.searchAgain !== undefined && !this.opts.captures.barcodesComplete(c.id);
            contradicted.push(...failing.map((capture) => ({ capture, barcode, partners: partners(capture), unread: unread(capture) })));
            if (failing.some(unread)) reread.push({ captureIds: effect.captureIds, barcode });
          }
          // A capture flagged as it is recorded (failed, or its shot undone) was never linked: its
          // QC result, judged against the object it arrived for, stands.
          relinked.push(...effect.captureIds.filter((id) => this.links.linkOf(id)));
          this.links.unlink(effect.captureIds, effect.reshoot);
          // Filed ones are set aside by filing; a job queued for one (a waiting shot) is withdrawn.
          toFile.push(...effect.captureIds);
          for (const id of effect.captureIds) this.opts.captures.runHooks(id);
          break;
        case 'shot.already-off':
          // No event: nothing changed in the database, but the log says what the scan did.
          log.info(`UNDO: ${alreadyOffWords(effect)}`, { barcode: effect.barcode, source: sourceId });
          break;
        case 'capture.moved':
          if (effect.object === null) {
            const reason = effect.why ?? 'its image shows several codes';
            this.links.removeLink(effect.captureId);
            log.warn(`capture not linked: ${notLinkedAdvice(effect.captureId)[reason]}; it left object ${effect.from}`, { captureId: effect.captureId, source: sourceId });
            appendEvent(this.opts.db, { type: 'capture.not-linked', captureId: effect.captureId, sourceId, data: { reason, from: effect.from } });
          } else {
            this.links.setLink(effect.captureId, ids.get(effect.object)!, effect.seq!, effect.view);
            // Its file keeps the old object's name until refile renames it: not filed under its link
            // any more, so held back from upload (held.ts) from this same transaction on.
            if (this.links.move(effect.captureId)?.state === 'done' && !this.opts.captures.localRemoved(effect.captureId)) this.links.forgetMove(effect.captureId);
            const closed = effect.closed ? `, and joins it late: it had closed (${effect.closed})` : '';
            const after = effect.numberedAfter ? `; its image was checked after theirs, so it is numbered after the shots ${effect.barcode} already has (shot ${effect.seq})${closed}` : '';
            log.info(`capture moved with its shot to object ${effect.barcode}: object ${effect.from}, opened from an image, gave way to the one its shot's image shows${after}`, { captureId: effect.captureId, source: sourceId });
            appendEvent(this.opts.db, { type: 'capture.relinked', captureId: effect.captureId, sourceId, data: { why: 'image gave way', from: effect.from, barcode: effect.barcode, seq: effect.seq, view: effect.view, ...(effect.numberedAfter ? { numberedAfter: true } : {}), ...(effect.closed ? { closed: effect.closed } : {}) } });
            relinked.push(effect.captureId);
          }
          refile.push(effect.captureId);
          break;
        case 'capture.unlinked-none': {
          // Kept in the event log too: the capture waits there until someone links it (relinkCaptures),
          // and (scan-after-capture) no longer waits for a barcode after a restart.
          const idle = effect.reason === 'no object open' ? this.idleClosed.get(sourceId) : undefined;
          const advice = idle === undefined ? notLinkedAdvice(effect.captureId)[effect.reason] : `object ${idle} was closed after ${this.opts.config.idleTimeoutSec} s without activity; scan it again before shooting, and link this capture ${relinkHint(effect.captureId)}`;
          log.warn(`capture not linked: ${advice}`, { captureId: effect.captureId, source: sourceId });
          appendEvent(this.opts.db, { type: 'capture.not-linked', captureId: effect.captureId, sourceId, data: { reason: effect.reason } });
          break;
        }
        case 'alarm':
          log.warn(effect.message, { source: sourceId });
          this.recordAlarm(sourceId, effect, effect.object === undefined ? null : (ids.get(effect.object) ?? null));
          break;
      }
    }
    // Not before: a shot an object opened from an image gave way with (capture.moved, after its
    // object.closed) would be queued for upload under the closed object's name.
    for (const id of closed) this.afterObjectClosed(id);
    // scan-after-capture: a capture recorded into the shots waiting for a barcode is held back from
    // upload and retention until its wait ends (held.ts), in its own recording transaction.
    if (input.type === 'capture' && session.waitsForBarcode(input.captureId)) this.links.markAwaitingBarcode(input.captureId, sourceId);
    // A waiting shot given up on (its wait expired) may now be uploaded; the capture being recorded has its hooks run next.
    for (const e of effects) if (e.type === 'capture.unlinked-none' && !(input.type === 'capture' && input.captureId === e.captureId)) this.opts.captures.runHooks(e.captureId);
    for (const ref of ids.keys()) if (!session.holds(ref)) ids.delete(ref);
    this.syncIdleTimer();
    // Events and moves once the caller's transaction has finished: a move must not start before
    // the link it files is committed.
    queueMicrotask(() => {
      for (const effect of effects) this.opts.onEffect(sourceId, effect);
      for (const id of toFile) this.enqueueFiling(id);
      for (const id of refile) this.refile(id);
      for (const r of reread) void this.rereadForScan(r.captureIds, r.barcode);
    });
    // Judged now, inside the transaction (a capture that fails as a mismatch is not filed), and
    // announced after the link's own events. A capture linked while it is being recorded is
    // announced by its own 'capture.recorded' event.
    if (relinked.length === 0 && contradicted.length === 0) return effects;
    const failed = (relinked.length === 0 ? [] : this.relinked(relinked, false, input.type !== 'capture')).filter((c) => c.verdict === 'fail');
    // A scan (scan-after-capture) fails a waiting shot its image contradicts as a barcode mismatch,
    // and leaves it unlinked: the technician must hear it with the scan, not only find it in the history.
    const problems = (c: CaptureRecord) => problemsOf(this.opts.captures.results(c.id).filter((r) => r.status === 'fail')).replace(/\.$/, '');
    const alarms = [
      ...failed.map((c): SessionEffect & { type: 'alarm' } => ({
        type: 'alarm',
        captureIds: [c.id],
        barcode: this.links.linkOf(c.id)?.barcode ?? null,
        message: `${c.relPath} now FAILS QC: ${problems(c)}. It is not filed: relink it to the right barcode, or re-shoot it.`,
      })),
      ...contradicted.map(({ capture: c, barcode, partners, unread }): SessionEffect & { type: 'alarm' } => {
        const also = partners.length > 0 ? ` (and so is ${partners.join(', ')}, of the same shot)` : '';
        const next = unread
          ? `its barcode search stopped at the first label, so the rest of the image is being read for ${barcode}: if it is there, the shot will be linked to ${barcode}; if not, relink it to the barcode it shows, or re-shoot it.`
          : 'relink it to the barcode it shows, or re-shoot it.';
        const message = `${c.relPath} now FAILS QC: ${problems(c)}. It is not linked to ${barcode}, takes no number or view and is flagged for re-shoot${also}: ${next}`;
        return { type: 'alarm', captureIds: [c.id], barcode, message };
      }),
    ];
    for (const alarm of alarms) {
      log.warn(alarm.message, { source: sourceId });
      this.recordAlarm(sourceId, alarm, this.links.linkOf(alarm.captureIds![0]!)?.objectId ?? null);
    }
    if (alarms.length > 0) queueMicrotask(() => alarms.forEach((a) => this.opts.onEffect(sourceId, a)));
    return [...effects, ...alarms];
  }

  /**
   * scan-after-capture: a waiting shot the scan contradicted only as far as its image was read (its
   * search stopped at another label, as on a sheet of several specimens) is relinked to the scanned
   * barcode, as an edit, which reads the image again for that barcode first
   * (MismatchRecheck.readAgain): found, the shot joins the object (numbered after its last
   * shot) and its re-shoot flag goes; not found, the edit is refused and the shot stays flagged.
   */
  private async rereadForScan(captureIds: number[], barcode: string): Promise<void> {
    const files = captureIds.map((id) => this.opts.captures.get(id)?.relPath ?? `capture ${id}`).join(', ');
    try {
      const edit = await this.editor.relinkCaptures(captureIds, barcode);
      const seq = this.links.linkOf(edit.captureIds[0]!)?.seq;
      this.editAlarm(captureIds[0]!, `${files}: read again, the image shows ${barcode} after all; linked to ${barcode} as shot ${seq}, no longer flagged for re-shoot.`);
    } catch (err) {
      this.editAlarm(captureIds[0]!, `${files} stays flagged for re-shoot, not linked to ${barcode}: ${(err as Error).message}`);
    }
  }

  /**
   * Writes an alarm to the event log (in the caller's transaction): an incomplete object as
   * 'object.incomplete' on the object, any other as 'alarm', once per capture it is about (so each
   * capture's timeline shows it), and once on the object or the source when it names no capture or
   * names files still being checked (`unchecked`, kept in it so a restart does not alarm again).
   */
  private recordAlarm(sourceId: string, alarm: SessionEffect & { type: 'alarm' }, objectId: number | null): void {
    const data = { barcode: alarm.barcode, message: alarm.message, ...(objectId === null ? {} : { objectId }), ...(alarm.missing ? { missing: alarm.missing } : {}) };
    const type = alarm.missing ? 'object.incomplete' : 'alarm';
    const captures = alarm.captureIds?.length ? alarm.captureIds : [];
    for (const captureId of captures) appendEvent(this.opts.db, { type, captureId, sourceId, objectId, data });
    // Files it names that have no capture yet have it on the source, with their names for the next start.
    if (captures.length === 0 || alarm.unchecked) {
      const event = appendEvent(this.opts.db, { type, captureId: null, sourceId, objectId, data: { ...data, ...(alarm.unchecked ? { unchecked: alarm.unchecked } : {}) } });
      // Already read this run (a share that comes back is found again): it learns of this one too.
      for (const file of alarm.unchecked ?? []) this.expiredUnchecked?.set(fileKey(sourceId, file), Date.parse(event.at));
    }
  }

  /**
   * Runs in the transaction that changed the links of `captureIds`: their mismatch check follows
   * the new barcode. After an edit the captures are also offered to filing again: one that failed
   * as a mismatch stayed in the hot folder, and relinked to the barcode it shows it now passes.
   */
  private relinked(captureIds: readonly number[], edited: boolean, announce = true, earlier?: ReadonlyMap<number, CheckResult>, against?: string): CaptureRecord[] {
    const updated = this.mismatch.run(captureIds, earlier, against);
    queueMicrotask(() => {
      for (const capture of announce ? updated : []) {
        // The same line as a recorded capture's, so a headless station's log shows the new verdict.
        log[verdictLevel(capture.verdict)](`checked again after its link changed: ${describeCapture(capture, this.opts.captures.results(capture.id))}`);
        this.opts.onRechecked?.(capture);
      }
      if (edited) for (const id of captureIds) this.enqueueFiling(id);
    });
    return updated;
  }

  /**
   * A newly scanned object continues its barcode's numbering in the current project, so a barcode
   * scanned again (closed earlier, or before a restart) adds shots after its last one; its real
   * earlier shots (not the numbers failed, undone or relinked shots left empty) count toward it.
   * `objectId`: real shots of its objects older than that one only (that object's own are its links).
   */
  private history(barcode: string, objectId?: number): BarcodeHistory {
    const project = this.project();
    return { firstSeq: this.links.maxSeqOfBarcode(barcode, project, this.opts.config.project) + 1, seqs: this.links.shotSeqsOfBarcode(barcode, project, this.opts.config.project, objectId) };
  }

  /** The project shots are taken for now: the operator session's, else the configured one. */
  private project(): string {
    return this.sessionStore.current()?.project || this.opts.config.project;
  }

  /** After a linking edit (or its undo) commits: each object a session holds is as the database now has it. */
  private restoreSessions(): void {
    for (const [sourceId, session] of this.sessions) {
      const ids = this.objectIds.get(sourceId)!;
      session.restore(
        (ref) => {
          const object = ids.has(ref) ? this.links.object(ids.get(ref)!) : null;
          return object && { barcode: object.barcode, shots: this.shotsOf(object.id), history: this.history(object.barcode, object.id) };
        },
        (id) => this.links.linkOf(id) !== null,
      );
    }
  }

  /** An object's shots from its links: the captures sharing a sequence number are one shot. */
  private shotsOf(objectId: number): StoredShot[] {
    const shots = new Map<number, StoredShot>();
    for (const captureId of this.links.capturesOf(objectId)) {
      const { relPath } = this.opts.captures.get(captureId)!;
      const seq = this.links.linkOf(captureId)!.seq;
      const shot = shots.get(seq) ?? { stem: stemOf(relPath), seq, files: [] };
      shots.set(seq, shot);
      shot.files.push({ file: relPath, isRaw: pairRole(relPath) === 'raw', captureId });
    }
    return [...shots.values()];
  }

  /** Captures of a closed object may now be uploaded (see upload/eligibility.ts). */
  private afterObjectClosed(objectId: number): void {
    for (const captureId of this.links.capturesOf(objectId)) this.opts.captures.runHooks(captureId);
  }

  private enqueueFiling(captureId: number): void {
    void this.serialize(() => this.file(captureId)).catch((err: unknown) => this.filingFailed(captureId, err));
  }

  /**
   * A capture whose link changed outside an edit (its shot moved when an object opened from an image
   * gave way), once every move queued before it has finished: filed again under its new link; with
   * none, one flagged for re-shoot stays set aside in _reshoot/ (journaled, as the start-up check
   * keeps it), any other is put back where it was found (putBackPath, as undoing its first link
   * would), for a relink to file.
   */
  private refile(captureId: number): void {
    void this.serialize(async () => {
      const capture = this.opts.captures.get(captureId);
      const filed = this.links.move(captureId);
      const mark = this.links.relinkedAt(captureId) ?? undefined;
      if (filed?.state !== 'done' || !capture?.sha256 || this.opts.captures.localRemoved(captureId)) return this.file(captureId);
      const from = capture.path;
      if (this.links.linkOf(captureId)) {
        this.links.forgetMove(captureId);
        return this.file(captureId);
      }
      if (this.links.flaggedForReshoot(captureId)) {
        if (!this.inLibraryFolder(from, reshootFolder)) return this.file(captureId);
        if (mark !== undefined) this.links.clearRelinked(captureId, mark);
        return log.info('stays set aside for re-shoot: its shot joins no object', { captureId, at: path.relative(this.opts.library, from) });
      }
      const { to, unfiled, alarm: message } = await this.naming.putBack(capture, putBackPath(capture, this.links.lastUnfiledTo(captureId), this.opts.library, this.opts.sources));
      this.links.planMove(captureId, from, to);
      try {
        await moveVerified(from, to, { sha256: capture.sha256, size: capture.size, mtimeMs: capture.mtimeUs / 1000 });
      } catch (err) {
        this.links.restoreMove(filed);
        throw err;
      }
      const alarm: (SessionEffect & { type: 'alarm' }) | null = message === null ? null : { type: 'alarm', barcode: null, captureIds: [captureId], message };
      this.opts.db.transaction(() => {
        this.links.settleMove(captureId, { done: true, unfiled });
        if (alarm) this.recordAlarm(capture.sourceId, alarm, null);
        this.opts.captures.runHooks(captureId);
      })();
      this.opts.onRenamed?.([captureId]);
      if (alarm) {
        log.warn(alarm.message, { captureId, source: capture.sourceId });
        this.opts.onEffect(capture.sourceId, alarm);
      } else log.info('put back where it was found: its shot joins no object', { captureId, to });
      await removeEmptiedFolders(this.opts.library, path.dirname(from));
    }).catch((err: unknown) => this.filingFailed(captureId, err, () => this.refile(captureId)));
  }

  /** An alarm an edit or its undo raised about capture `captureId`: written in its transaction, announced after it. */
  private editAlarm(captureId: number, message: string): void {
    const sourceId = this.opts.captures.get(captureId)!.sourceId;
    const alarm: SessionEffect & { type: 'alarm' } = { type: 'alarm', barcode: this.links.linkOf(captureId)?.barcode ?? null, captureIds: [captureId], message };
    log.warn(message, { captureId, source: sourceId });
    this.recordAlarm(sourceId, alarm, null);
    queueMicrotask(() => this.opts.onEffect(sourceId, alarm));
  }

  /** An unwritable library at start is an alarm, not a refusal: captures wait in the hot folder and filing is retried. */
  private async checkLibrary(): Promise<void> {
    const problem = await libraryProblem(this.opts.library, this.opts.config.libraryMountCheck);
    if (!problem) return;
    const message = `Captures cannot be filed: ${problem}`;
    log.warn(message, { library: this.opts.library });
    appendEvent(this.opts.db, { type: 'library.unavailable', data: { library: this.opts.library, problem, message } });
    for (const source of this.opts.sources) this.opts.onEffect(source.id, { type: 'alarm', barcode: null, message });
  }

  /**
   * A move that failed is tried again after a growing wait (the library full, unwritable or
   * unmounted for a while), unless the file is gone or changed, which no retry can fix: a changed
   * file is checked again as a new version by ingest. `retry`: what tries it again (filing, unless
   * the move was a put-back, which filing does not redo).
   */
  private filingFailed(captureId: number, err: unknown, retry = () => this.enqueueFiling(captureId)): void {
    const error = err instanceof Error ? err.message : String(err);
    const capture = this.opts.captures.get(captureId);
    const failure = this.filingFailures.get(captureId) ?? { attempts: 0, timer: null };
    failure.attempts++;
    const hopeless = !capture || (err instanceof StationError && err.code === 'NOT_FOUND') || !unchanged(capture);
    if (hopeless || !this.started) {
      this.filingFailures.delete(captureId);
      log.error('filing failed; the capture stays where it is', { captureId, attempts: failure.attempts, error });
      return;
    }
    const delayMs = backoffDelay(failure.attempts, filingRetry);
    log.warn('filing failed; the capture stays where it is and is tried again', { captureId, attempts: failure.attempts, retryInSec: Math.ceil(delayMs / 1000), error });
    if (failure.attempts === 1) {
      const barcode = this.links.linkOf(captureId)?.barcode ?? null;
      this.opts.onEffect(capture.sourceId, { type: 'alarm', barcode, message: `${capture.relPath} could not be filed (${error}); it stays where it is and filing is retried by itself.` });
    }
    if (failure.timer) clearTimeout(failure.timer);
    failure.timer = setTimeout(() => {
      failure.timer = null;
      retry();
    }, delayMs);
    failure.timer.unref();
    this.filingFailures.set(captureId, failure);
  }

  /** Runs `work` after every move and edit queued before it; one at a time, so names never race. */
  private serialize<T>(work: () => Promise<T>): Promise<T> {
    const run = this.filing.then(work);
    this.filing = run.then(
      () => undefined,
      () => undefined,
    );
    return run;
  }

  /** Puts a capture where its link says: its name in the library, or (undone) set aside. */
  private async file(captureId: number): Promise<void> {
    const capture = this.opts.captures.get(captureId);
    const link = this.links.linkOf(captureId);
    const planned = this.links.move(captureId);
    // The start-up mark this filing settles (see LinkStore.clearRelinked); read before any wait.
    const mark = this.links.relinkedAt(captureId) ?? undefined;
    // A pending move was cut short and is finished as journaled; a failed one is planned afresh
    // from the capture's link now (an edit may have changed it, another capture taken its name).
    const resume = planned?.state === 'pending' ? planned : null;
    // Retention removed its file (uploaded while it was unlinked, then relinked): only its link changed.
    if (!capture?.sha256 || this.opts.captures.localRemoved(captureId)) return;
    let to = resume?.toPath;
    if (!to && !link) {
      if (!this.filedUnderObjectName(capture)) return;
      to = await this.naming.setAside(capture, reshootFolder, this.links.unlinkedFrom(capture.id));
      this.links.planMove(captureId, capture.path, to);
    }
    const rejected = link !== null && this.links.object(link.objectId)?.state === 'rejected';
    // A rejected object's captures, and linked shots flagged for re-shoot (setReshoot), are set aside.
    const aside = rejected ? rejectedFolder : link !== null && this.links.flaggedForReshoot(captureId) ? reshootFolder : null;
    if (!to && aside !== null) {
      // Already set aside stays, unless under another barcode (its shot moved when an object opened from an image gave way).
      const asideNow = this.inLibraryFolder(capture.path, aside) ? capture.path : undefined;
      if (!asideNow && capture.verdict === 'fail' && !this.opts.config.fileFailed && planned?.state !== 'done') return;
      to = await this.naming.setAside(capture, aside, link!.barcode, asideNow);
      if (to === asideNow) {
        if (mark !== undefined) this.links.clearRelinked(captureId, mark);
        return;
      }
      this.links.planMove(captureId, capture.path, to);
    }
    if (!to) {
      if (planned?.state === 'done') return;
      if (capture.verdict === 'fail' && !this.opts.config.fileFailed) return;
      // The failed attempt may have got as far as the name it promised (same bytes): keep it.
      const keep = planned && (await sha256OfFile(planned.toPath).catch(() => null)) === capture.sha256 ? planned.toPath : undefined;
      to = await this.naming.destination(capture, link!, keep);
      this.links.planMove(captureId, capture.path, to);
    }
    // A put-back (refile, an undo: its link gone) cut short by a crash is finished as the put-back it
    // was, not as a filing (a move for re-shoot, or one made before the link went, goes into the library).
    const putBack = resume && !link && (!this.inLibraryFolder(to) || this.inLibraryFolder(to, unlinkedFolder)) ? this.naming.putBackNotice(capture, putBackPath(capture, this.links.lastUnfiledTo(captureId), this.opts.library, this.opts.sources), to) : null;
    const alarm: (SessionEffect & { type: 'alarm' }) | null = putBack?.alarm ? { type: 'alarm', barcode: null, captureIds: [captureId], message: putBack.alarm } : null;
    try {
      // Checked before every move: moving into an unmounted share's mount point would fill the local disk.
      const unmounted = await libraryUnmounted(this.opts.library, this.opts.config.libraryMountCheck);
      if (unmounted) throw new Error(`Not filed: ${unmounted}`);
      const from = resume?.fromPath ?? capture.path;
      await moveVerified(from, to, { sha256: capture.sha256, size: capture.size, mtimeMs: capture.mtimeUs / 1000 });
      this.opts.db.transaction(() => {
        this.links.settleMove(captureId, putBack ? { done: true, unfiled: putBack.unfiled } : { done: true });
        if (alarm) this.recordAlarm(capture.sourceId, alarm, null);
        // A cut-short move went where its journal said, maybe not where the link says now: the start-up check decides.
        if (mark !== undefined && !resume) this.links.clearRelinked(captureId, mark);
        this.opts.captures.runHooks(captureId);
      })();
      if (alarm) {
        log.warn(alarm.message, { captureId, source: capture.sourceId });
        this.opts.onEffect(capture.sourceId, alarm);
      }
      // A capture uploaded while it was unlinked (a shot waiting for its barcode, or taken with no
      // object open) has a copy under its hot-folder name: it goes again under its filed one.
      this.opts.onRenamed?.([captureId]);
      const failed = this.filingFailures.get(captureId);
      this.filingFailures.delete(captureId);
      const what = putBack ? putBack.unfiled : this.inLibraryFolder(to, rejectedFolder) ? 'set aside: its object was rejected' : this.inLibraryFolder(to, reshootFolder) ? 'set aside for re-shoot' : 'filed';
      if (failed) log.info(`${what} (after failed attempts)`, { captureId, failedAttempts: failed.attempts, to: path.relative(this.opts.library, to) });
      else log.info(what, { captureId, to: path.relative(this.opts.library, to) });
      if (this.inLibraryFolder(from)) await removeEmptiedFolders(this.opts.library, path.dirname(from));
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      this.links.settleMove(captureId, { done: false, error: message });
      throw err;
    }
    // A move finished after a crash may have filed a capture UNDO took off its object, or whose object was rejected, meanwhile.
    if (resume && (!link || aside !== null)) await this.file(captureId);
  }

  /** An unlinked capture flagged for re-shoot that still has a name in the library (it was filed before UNDO). */
  private filedUnderObjectName(capture: CaptureRecord): boolean {
    return this.inLibraryFolder(capture.path) && !this.inLibraryFolder(capture.path, reshootFolder) && this.opts.captures.detail(capture.id)?.reshoot === true;
  }

  /** Whether `file` is inside the library (or its folder `sub`). */
  private inLibraryFolder(file: string, sub = ''): boolean {
    return file.startsWith(path.join(this.opts.library, sub) + path.sep);
  }

  private sourceFor(sourceId: string | undefined): string {
    if (sourceId !== undefined) {
      if (!this.sessions.has(sourceId)) throw new StationError('INVALID_ARGUMENT', `There is no source "${sourceId}"; the sources are ${[...this.sessions.keys()].join(', ')}.`);
      return sourceId;
    }
    if (this.sessions.size === 1) return [...this.sessions.keys()][0]!;
    throw new StationError('INVALID_ARGUMENT', `This station has ${this.sessions.size} sources: say which one the scan is for (${[...this.sessions.keys()].join(', ')}).`);
  }
}

/** Both ways to link capture `captureId`: the UI's, and the shell's for a headless rig. */
const relinkHint = (captureId: number): string => `from the history (Relink shot), or \`capture-station relink capture:${captureId} --to BARCODE\``;

/** What the technician can do about capture `captureId`, which joins no object, by why it does not. */
const notLinkedAdvice = (captureId: number): Record<NotLinkedReason, string> => ({
  'no object open': `no object was open; scan the barcode before shooting, and link this capture ${relinkHint(captureId)}`,
  'written while the station was not watching': `it was written while the station was not watching, so no scan links it; link it to its barcode ${relinkHint(captureId)}`,
  'no barcode scanned in time': `no barcode was scanned within linking.idleTimeoutSec after it; link it to its barcode ${relinkHint(captureId)}, or shoot it again and scan`,
  'its image shows several codes':
    `its shot's image shows several valid barcodes, so it opens no object (linkFromImage) and the object opened from the image before was closed; link it to the barcode of its object ${relinkHint(captureId)}`,
  'it followed a shot whose image shows several codes':
    `it was shot after a shot whose image shows several valid barcodes (linkFromImage), so it is taken for that sheet's and joins no object, and the object opened from the image before was closed; link it to the barcode of its object ${relinkHint(captureId)}`,
});

const fileKey = (sourceId: string, relPath: string) => `${sourceId}\u0000${relPath}`;


/** Waits between attempts to file a capture whose move failed: up to 2 s, doubling to at most 5 min (jittered). */
const filingRetry: BackoffSettings = { baseMs: 2000, maxMs: 300_000 };

/** The capture's file is still the version QC checked (or gone from the hot folder, which the move tells). */
function unchanged(capture: CaptureRecord): boolean {
  try {
    const st = fs.statSync(capture.path);
    return st.size === capture.size && Math.abs(st.mtimeMs - capture.mtimeUs / 1000) <= 1;
  } catch {
    return true;
  }
}

function upper(action: 'end' | 'undo' | 'reject'): 'END' | 'UNDO' | 'REJECT' {
  return action.toUpperCase() as 'END' | 'UNDO' | 'REJECT';
}

function alarmsOf(effects: SessionEffect[]): string[] {
  return effects.flatMap((e) => (e.type === 'alarm' ? [e.message] : []));
}

/** What UNDO did with a shot QC had already taken off, and what another UNDO would do. */
function alreadyOffWords(e: SessionEffect & { type: 'shot.already-off' }): string {
  const next = !e.next ? 'no shot of it is left to take off' : e.next.failed ? `another UNDO acknowledges shot ${e.next.seq} (${e.next.stem}), which failed QC too` : `another UNDO takes shot ${e.next.seq} (${e.next.stem}) off`;
  return `shot ${e.seq} (${e.stem}) of ${e.barcode} was already off (it failed QC), so nothing more was taken off; ${next}`;
}
