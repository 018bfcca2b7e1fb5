/**
 * Start-up check of the filed captures whose place changed after their last move. A link change
 * (an edit, its undo or rollback, a shot that moved when an object opened from an image gave way,
 * UNDO, REJECT, a re-shoot flag) commits first and renames the file afterwards; the commit marks the
 * capture's journal row (LinkStore.markRelinked), so a station that stopped in between finds it
 * here. Each marked file is put where its link says now, by a journaled, verified move, logged and
 * recorded as a 'capture.recovered' event; one with no link that cannot go back where it was found
 * is set aside in _unlinked/ with an alarm, as the running station does; a linked one that cannot be
 * placed safely stays where it is, with an alarm, and is checked again at the next start. Nothing
 * is deleted or overwritten. A live rename that puts the file where its link says clears the mark.
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
import { putBackPath, putBackWords, rejectedFolder, reshootFolder, unlinkedFolder } from './naming.js';
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
  /** Null: back where it was found, but its source is no longer configured (set aside in _unlinked/). */
  to: string | null;
  why: string;
  /** Back where it was found (putBackPath): not filed any more (its journal row goes, as when a put-back runs live). */
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
    if (place === null || place.to === from) return links.clearRelinked(captureId);
    // Where it goes; one that cannot go back where it was found is set aside in _unlinked/ instead, as
    // the running station does (linker.ts refile): never over a different file, nor back under
    // another name (the watcher would take it for a new shot).
    let to: string;
    let setAside: string | null = null;
    if (place.to !== null && !fs.existsSync(place.to)) to = place.to;
    else if (place.unfiled) {
      to = await this.opts.naming.setAside(capture, unlinkedFolder, capture.sourceId);
      const reason = place.to === null ? `its source "${capture.sourceId}" is no longer configured` : `a different file has its name at ${place.to}`;
      setAside = `${from} is linked to no object and could not go back where it was found, as ${reason}: it was set aside at ${to}, not linked. Relink it (with its shot's image) to its barcode, or remove it.`;
    } else {
      return this.alarm(capture, link, `${from} should be at ${place.to} (${place.why}), but a file of that name is there already: it stays where it is. Compare the two files and move one away; it is checked again at the next start.`);
    }
    try {
      const unmounted = this.inLibrary(to) ? await libraryUnmounted(this.opts.naming.library, this.opts.libraryMountCheck) : null;
      if (unmounted) throw new Error(unmounted);
      links.planMove(captureId, from, to);
      try {
        await moveVerified(from, to, { sha256: capture.sha256, size: capture.size, mtimeMs: capture.mtimeUs / 1000 });
      } catch (err) {
        // The file is still at its filed name (a failed move leaves its source): the journal says so again.
        links.restoreMove(filed);
        throw err;
      }
    } catch (err) {
      const error = err instanceof Error ? err.message : String(err);
      return this.alarm(capture, link, `${from} could not be moved to ${to} (${place.why}): ${error} It stays where it is and is tried again at the next start.`);
    }
    this.opts.db.transaction(() => {
      // Not filed any more once it left its filed name with no link: its journal row goes (settleMove).
      if (place.unfiled) links.settleMove(captureId, { done: true, unfiled: this.inLibrary(to, unlinkedFolder) ? `set aside in ${unlinkedFolder}; not linked` : putBackWords });
      else {
        links.settleMove(captureId, { done: true });
        links.clearRelinked(captureId);
      }
      appendEvent(this.opts.db, { type: 'capture.recovered', captureId, sourceId: capture.sourceId, data: { from, to, why: place.why } });
      captures.runHooks(captureId);
    })();
    this.opts.onRenamed([captureId]);
    log.warn(`recovered at start: the station stopped after ${capture.relPath}'s link changed and before its file was renamed; it is now where its link says (${place.why})`, { captureId, from, to });
    if (setAside) this.alarm(capture, link, setAside);
    if (this.inLibrary(from)) await removeEmptiedFolders(this.opts.naming.library, path.dirname(from));
  }

  /**
   * Where filing would have put the capture after its change: a linked one under its link's name, or
   * set aside (its object rejected, or its shot flagged for re-shoot); one with no link set aside
   * when flagged (UNDO), else back in its hot folder (an image that gave way showing several codes,
   * the undo of its first link; putBackPath). Null: it stays (already set aside, in _unlinked/ too, or not in the library).
   */
  private async placeOf(capture: CaptureRecord, link: CaptureLink | null): Promise<Place | null> {
    const { naming, links } = this.opts;
    if (link) {
      if (link.objectState === 'rejected') return { to: await naming.setAside(capture, rejectedFolder, link.barcode, capture.path), why: `object ${link.barcode} was rejected` };
      if (links.flaggedForReshoot(capture.id)) return { to: await naming.setAside(capture, reshootFolder, link.barcode, capture.path), why: `shot ${link.seq} of ${link.barcode} is flagged for re-shoot` };
      return { to: await naming.destination(capture, link, capture.path), why: `linked to ${link.barcode} as shot ${link.seq}` };
    }
    // Already set aside in _unlinked/ it stays (put back there, its name there is its own).
    if (!this.inLibrary(capture.path) || [reshootFolder, rejectedFolder, unlinkedFolder].some((folder) => this.inLibrary(capture.path, folder))) return null;
    if (links.flaggedForReshoot(capture.id)) {
      const barcode = links.unlinkedFrom(capture.id);
      return { to: await naming.setAside(capture, reshootFolder, barcode), why: `taken off ${barcode ?? 'its object'} and flagged for re-shoot` };
    }
    return { to: putBackPath(capture, links.lastUnfiledTo(capture.id), naming.library, this.opts.sources), why: 'linked to no object: back where it was found', unfiled: true };
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
