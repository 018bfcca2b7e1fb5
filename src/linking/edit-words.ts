/**
 * Linking edits in words for the technician: what an edit did ("rename ZZ1 → BR1 (3 captures)"),
 * so an undo button can say what it will undo, and where its captures are after an undo. Captures
 * are named by their hot-folder file names, as the technician shot them.
 */
import path from 'node:path';
import type { CaptureStore } from '../store/captures.js';
import type { EditData, EditKind, Renumbered } from './edits.js';
import { rejectedFolder, unlinkedFolder } from './naming.js';
import type { LinkStore, ShotCounts } from './store.js';

/** An edit as its `link.edit` event logged it. */
export interface LoggedEdit {
  kind: EditKind;
  data: EditData;
  captureIds: readonly number[];
}

const listed = 3;

export class EditWords {
  constructor(
    private readonly links: LinkStore,
    private readonly captures: CaptureStore,
    private readonly reshoot: (captureId: number) => boolean,
    /** Set aside in _unlinked/ (it could not go back where it was found): its alarm says why. */
    private readonly setAsideUnlinked: (captureId: number) => boolean,
  ) {}

  /** What the edit did, read while its links are still as it left them (it is the newest edit). */
  summary(edit: LoggedEdit): string {
    const { data } = edit;
    if (data.kind === 'barcode') return `rename ${data.before} → ${data.after} (${this.count(edit.captureIds)})`;
    if (data.kind === 'reshoot') return data.before ? `clear the re-shoot flag of ${this.names(flaggedOf(edit))}` : `flag ${this.names(flaggedOf(edit))} for re-shoot`;
    const from = [...new Set(data.before.map((p) => (p.objectId === null ? null : (this.links.object(p.objectId)?.barcode ?? null))))];
    const fromWords = from.map((b) => b ?? 'no object').join(' and ');
    const to = edit.captureIds.map((id) => this.links.linkOf(id)?.barcode).find((b) => b !== undefined) ?? '?';
    const names = this.names(edit.captureIds);
    switch (edit.kind) {
      case 'link':
        return `link ${names} → ${to}`;
      case 'split':
        return `split ${names} off ${fromWords} → ${to}`;
      case 'merge':
        return `merge ${fromWords} (${names}) → ${to}`;
      default:
        return `relink ${names}: ${fromWords} → ${to}`;
    }
  }

  /** Where the captures are now (after an undo), one clause per barcode and shot. */
  whereNow(edit: LoggedEdit, captureIds: readonly number[]): string {
    const { data } = edit;
    if (data.kind === 'reshoot') {
      const ids = flaggedOf(edit);
      return `${this.names(ids)} ${ids.length === 1 ? 'is' : 'are'} ${data.before ? 'flagged for re-shoot again' : 'no longer flagged for re-shoot'}`;
    }
    if (data.kind === 'barcode') return `object ${data.before} has its barcode back (${this.count(captureIds)} named under it again)`;
    const groups = new Map<string, number[]>();
    for (const id of captureIds) {
      const link = this.links.linkOf(id);
      // A rejected object's shots are set aside under their own names: their numbers name nothing.
      const rejected = link !== null && this.links.object(link.objectId)?.state === 'rejected';
      const key = !link
        ? this.setAsideUnlinked(id)
          ? `not linked, set aside in ${unlinkedFolder} as it could not go back where it was found (its alarm says why)`
          : 'not linked, back where it was found'
        : rejected
          ? `back in rejected object ${link.barcode}, set aside in ${rejectedFolder}/${link.barcode}`
          : `shot ${link.seq} of ${link.barcode}`;
      groups.set(key, [...(groups.get(key) ?? []), id]);
    }
    return [...groups].map(([where, ids]) => `${this.names(ids)} ${ids.length === 1 ? 'is' : 'are'} ${where}${ids.some((id) => this.reshoot(id)) ? ' (flagged for re-shoot)' : ''}`).join('; ');
  }

  /**
   * The shots an undo (of `undone`) put back under another number, each with who holds the old one:
   * an exposure shot since, or a shot this same undo put back first. A rejected object's are left
   * out: its numbers name no file (see whereNow).
   */
  renumberings(renumbered: readonly Renumbered[], undone: readonly number[]): string[] {
    return renumbered
      .filter((r) => this.links.object(r.objectId)?.state !== 'rejected')
      .map((r) => {
        const ours = r.takenBy.filter((id) => undone.includes(id));
        const since = r.takenBy.filter((id) => !undone.includes(id));
        const held = [...(since.length > 0 ? [`has been taken by ${this.names(since)} since`] : []), ...(ours.length > 0 ? [`went to ${this.names(ours)} in this undo`] : [])];
        return `${this.names(r.captureIds)} came back as shot ${r.seq} of ${r.barcode}: shot ${r.was} ${held.join(' and ')}`;
      });
  }

  /** The captures by their file names (the first few, then how many more). */
  names(ids: readonly number[]): string {
    const names = ids.map((id) => {
      const c = this.captures.get(id);
      return c ? path.basename(c.relPath) : `capture ${id}`;
    });
    return names.length <= listed ? names.join(', ') : `${names.slice(0, listed).join(', ')} and ${names.length - listed} more`;
  }

  private count(ids: readonly number[]): string {
    return `${ids.length} capture${ids.length === 1 ? '' : 's'}`;
  }
}

/** Shots in words, the flagged ones apart: ['2 shots', '1 flagged for re-shoot'], ['no shots']. */
export function shotWords({ shots, flagged }: ShotCounts): [string, ...string[]] {
  const count = shots === 0 ? 'no shots' : `${shots} shot${shots === 1 ? '' : 's'}`;
  return flagged > 0 ? [count, `${flagged} flagged for re-shoot`] : [count];
}

/** The captures a re-shoot edit flagged or cleared: the whole shot, or (logged before shots were flagged whole) the one named. */
function flaggedOf(edit: LoggedEdit): readonly number[] {
  return edit.data.kind === 'reshoot' && edit.data.flaggedBefore === undefined ? [edit.data.captureId] : edit.captureIds;
}
