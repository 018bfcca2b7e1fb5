/**
 * Start-up check of the filed captures whose place changed after their last move. A link change
 * (an edit, its undo or rollback, a shot that moved when an object opened from an image gave way,
 * UNDO, REJECT, a re-shoot flag) commits first and renames the file afterwards; the commit marks the
 * capture's journal row (LinkStore.markRelinked), so a station that stopped in between finds it
 * here. Each marked file is put where its link says now, by a journaled, verified move, logged and
 * recorded as a 'capture.recovered' event; one that cannot be placed safely stays where it is, with
 * an alarm, and is checked again at the next start. Nothing is deleted or overwritten.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { SourceConfig } from '../config/schema.js';
import { libraryUnmounted, removeEmptiedFolders } from '../filing/library.js';
import { moveVerified } from '../filing/move.js';
import { createLogger } from '../log/logger.js';
import type { CaptureRecord, CaptureStore } from '../store/captures.js';
import type { Db } from '../store/database.js';
import { appendEvent } from '../store/events.js';
import type { LibraryNaming } from './naming.js';
import { rejectedFolder, reshootFolder } from './naming.js';
import type { CaptureLink, LinkStore } from './store.js';

const log = createLogger('linking.reconcile');

export interface ReconcileOptions {
  db: Db;
  links: LinkStore;
  captures: CaptureStore;
  naming: LibraryNaming;
  sources: readonly SourceConfig[];
  libraryMountCheck: boolean;
  /** Filed captures renamed (their upload copies carry the old names). */
  onRenamed: (captureIds: readonly number[]) => void;
  /** A capture left where it is, for the technician. */
  onAlarm: (sourceId: string, barcode: string | null, message: string) => void;
}

/** Where a capture belongs, and in words why (for the log and the event). */
interface Place {
  to: string;
  why: string;
  /** Back in the hot folder: not filed any more (its journal row goes, as when a put-back runs live). */
  unfiled?: true;
}

export class FiledReconciler {
  constructor(private readonly opts: ReconcileOptions) {}

  /** Marked captures to check, read once at start. */
  marked(): number[] {
    return this.opts.links.relinkedFiled();
  }

  /**
   * Puts one marked capture where its link says. Runs after the start's interrupted and failed
   * moves (serialised with filing): a move not done yet keeps its mark for the next start.
   */
  async reconcile(captureId: number): Promise<void> {
    const { links, captures } = this.opts;
    const filed = links.move(captureId);
    const capture = captures.get(captureId);
    if (filed?.state !== 'done') return;
    // Retention removed its file (its copies are at the targets): only its link changed.
    if (!capture?.sha256 || captures.localRemoved(captureId)) return links.clearRelinked(captureId);
    const link = links.linkOf(captureId);
    const place = await this.placeOf(capture, link);
    const from = capture.path;
    if (typeof place === 'string') return this.alarm(capture, link, `${from} ${place}: it stays where it is, and is checked again at the next start.`);
    if (place === null || place.to === from) return links.clearRelinked(captureId);
    if (fs.existsSync(place.to)) {
      return this.alarm(capture, link, `${from} should be at ${place.to} (${place.why}), but a file of that name is there already: it stays where it is. Compare the two files and move one away; it is checked again at the next start.`);
    }
    try {
      const unmounted = this.inLibrary(place.to) ? await libraryUnmounted(this.opts.naming.library, this.opts.libraryMountCheck) : null;
      if (unmounted) throw new Error(unmounted);
      links.planMove(captureId, from, place.to);
      try {
        await moveVerified(from, place.to, { sha256: capture.sha256, size: capture.size, mtimeMs: capture.mtimeUs / 1000 });
      } catch (err) {
        // The file is still at its filed name (a failed move leaves its source): the journal says so again.
        links.restoreMove(filed);
        throw err;
      }
    } catch (err) {
      const error = err instanceof Error ? err.message : String(err);
      return this.alarm(capture, link, `${from} could not be moved to ${place.to} (${place.why}): ${error} It stays where it is and is tried again at the next start.`);
    }
    this.opts.db.transaction(() => {
      links.settleMove(captureId, { done: true });
      if (place.unfiled) links.forgetMove(captureId);
      else links.clearRelinked(captureId);
      appendEvent(this.opts.db, { type: 'capture.recovered', captureId, sourceId: capture.sourceId, data: { from, to: place.to, why: place.why } });
      captures.runHooks(captureId);
    })();
    this.opts.onRenamed([captureId]);
    log.warn(`recovered at start: the station stopped after ${capture.relPath}'s link changed and before its file was renamed; it is now where its link says (${place.why})`, { captureId, from, to: place.to });
    if (this.inLibrary(from)) await removeEmptiedFolders(this.opts.naming.library, path.dirname(from));
  }

  /**
   * Where filing would have put the capture after its change: a linked one under its link's name, or
   * set aside (its object rejected, or its shot flagged for re-shoot); one with no link set aside
   * when flagged (UNDO), else back in its hot folder (an image that gave way showing several codes,
   * the undo of its first link). Null: it stays (already set aside, or not in the library); words:
   * why its place cannot be decided.
   */
  private async placeOf(capture: CaptureRecord, link: CaptureLink | null): Promise<Place | string | null> {
    const { naming, links } = this.opts;
    if (link) {
      if (link.objectState === 'rejected') return { to: await naming.setAside(capture, rejectedFolder, link.barcode, capture.path), why: `object ${link.barcode} was rejected` };
      if (links.flaggedForReshoot(capture.id)) return { to: await naming.setAside(capture, reshootFolder, link.barcode, capture.path), why: `shot ${link.seq} of ${link.barcode} is flagged for re-shoot` };
      return { to: await naming.destination(capture, link, capture.path), why: `linked to ${link.barcode} as shot ${link.seq}` };
    }
    if (!this.inLibrary(capture.path) || this.inLibrary(capture.path, reshootFolder) || this.inLibrary(capture.path, rejectedFolder)) return null;
    if (links.flaggedForReshoot(capture.id)) {
      const barcode = links.unlinkedFrom(capture.id);
      return { to: await naming.setAside(capture, reshootFolder, barcode), why: `taken off ${barcode ?? 'its object'} and flagged for re-shoot` };
    }
    const source = this.opts.sources.find((s) => s.id === capture.sourceId);
    if (!source) return `is linked to no object any more and belongs in its hot folder, but its source "${capture.sourceId}" is no longer configured. Move it back by hand, or relink it to its barcode (Relink shot)`;
    return { to: path.join(source.path, ...capture.relPath.split('/')), why: 'linked to no object: back in its hot folder', unfiled: true };
  }

  private alarm(capture: CaptureRecord, link: CaptureLink | null, message: string): void {
    log.error(message, { captureId: capture.id });
    appendEvent(this.opts.db, { type: 'alarm', captureId: capture.id, sourceId: capture.sourceId, data: { barcode: link?.barcode ?? null, message } });
    this.opts.onAlarm(capture.sourceId, link?.barcode ?? null, message);
  }

  private inLibrary(file: string, sub = ''): boolean {
    return file.startsWith(path.join(this.opts.naming.library, sub) + path.sep);
  }
}
