/** Where a linked capture belongs in the library: the template filled in for it, made unique. */
import fs from 'node:fs';
import path from 'node:path';
import type { LinkingConfig, SourceConfig } from '../config/schema.js';
import { freeName } from '../filing/move.js';
import { sha256OfFile } from '../hashing/file.js';
import { collisionSuffixBytes, defaultNamePolicy, sanitizeSegment } from '../filing/sanitize.js';
import { parseTemplate, renderTemplate, resolveInside, type NamingTemplate, type TemplateValues } from '../filing/template.js';
import type { CaptureRecord } from '../store/captures.js';
import type { SessionStore } from '../store/sessions.js';
import type { CaptureLink, LinkStore, NamedFor } from './store.js';

export class LibraryNaming {
  private readonly template: NamingTemplate;

  constructor(
    private readonly config: LinkingConfig,
    readonly library: string,
    private readonly stationId: string,
    private readonly links: LinkStore,
    private readonly sessions: SessionStore,
  ) {
    this.template = parseTemplate(config.template);
  }

  /**
   * A free absolute path for `capture` as `link` names it. Free means: no file there and no other
   * move promised it; `keep` is a path the caller already owns (its own current name), which is
   * returned unchanged when the template gives it again.
   *
   * A shot's files (a RAW and its TIFF) share one stem: the first to be named takes a stem no file
   * of any extension has, and its siblings take that same stem, so a collision never splits a pair
   * across `_001` and `_001_2`. `{date}` and `{time}` are the shot's first file's, so a JPEG written
   * seconds after its RAW (or after midnight) is not named apart from it either.
   */
  async destination(capture: CaptureRecord, link: Pick<CaptureLink, 'objectId' | 'barcode' | 'seq' | 'view'> & Partial<Pick<CaptureLink, 'project' | 'operator'>>, keep?: string): Promise<string> {
    const policy = { ...defaultNamePolicy, allowSpaces: this.config.allowSpaces, charset: this.config.charset };
    const render = (at: string) => resolveInside(this.library, renderTemplate(this.template, this.values(capture, link, at), policy));
    // Earliest first. A sibling named before an earlier file of its shot was linked (its RAW still
    // being checked) was named by its own time: a stem of any of these times is the shot's.
    const times = [...new Set([capture.detectedAt, ...this.links.shotDetectedAt(link.objectId, link.seq)])].sort();
    const wanted = render(times[0]!);
    if (keep !== undefined && wanted === keep) return keep;
    const isTaken = (f: string) => f !== keep && (fs.existsSync(f) || this.links.isPlannedDestination(f));
    const ext = path.extname(wanted);
    const shotStem = this.siblingStem(capture.id, link, new Set(times.map((at) => stemOf(render(at)))));
    if (shotStem !== null && !isTaken(shotStem + ext)) return shotStem + ext;
    const stems = await stemsIn(path.dirname(wanted), keep);
    return freeName(wanted, async (f) => isTaken(f) || stems.has(stemOf(f)) || this.links.isPlannedStem(stemOf(f), keep));
  }

  /**
   * Where an undone shot or a rejected object's capture is set aside: <library>/<folder>/<barcode>/<its
   * original file name>, free. An undone shot must leave the object's names so the re-shoot takes
   * them, and a rejected object's files must not look like an accepted object's; back in the hot
   * folder the watcher would take them for new shots and link them again, so they stay in the
   * library, out of the way, and not uploaded. `keep`: the capture's own current path, returned
   * when it is already set aside there (under the same barcode).
   */
  async setAside(capture: CaptureRecord, folder: string, barcode: string | null, keep?: string): Promise<string> {
    // The project's charset here too (a library on an ASCII-only share holds these as well); spaces stay replaced.
    const policy = { ...defaultNamePolicy, charset: this.config.charset };
    const name = sanitizeSegment(path.posix.basename(capture.relPath), { ...policy, maxSegmentBytes: defaultNamePolicy.maxSegmentBytes - collisionSuffixBytes });
    const wanted = resolveInside(this.library, path.join(folder, sanitizeSegment(barcode ?? '_', policy), name));
    if (keep !== undefined && path.dirname(keep) === path.dirname(wanted)) return keep;
    return freeName(wanted, async (f) => fs.existsSync(f) || this.links.isPlannedDestination(f));
  }

  /**
   * Where a filed capture that lost its link goes (linker.ts refile, the undo of its first link):
   * `back` (see putBackPath; null: its source is no longer configured), unless a different file has
   * its name there now (a new shot under the same name), which is never replaced: then, as back under
   * another name the watcher would take it for a new shot, it is set aside in _unlinked/. With what
   * putBackNotice says of it.
   */
  async putBack(capture: CaptureRecord, back: string | null): Promise<{ to: string; unfiled: string; alarm: string | null }> {
    const taken = back === null || (await sha256OfFile(back).then((sha) => sha !== capture.sha256, () => false));
    const to = taken ? await this.setAside(capture, unlinkedFolder, capture.sourceId) : back;
    return { to, ...this.putBackNotice(capture, back, to) };
  }

  /**
   * Of a capture put back to `to` where `back` was wanted (see putBack), also one whose put-back a
   * crash cut short and the next start finished: what its 'capture.filed' event says (`unfiled`),
   * and, set aside in _unlinked/ instead, the alarm saying why and what to do.
   */
  putBackNotice(capture: Pick<CaptureRecord, 'sourceId' | 'relPath'>, back: string | null, to: string): { unfiled: string; alarm: string | null } {
    const inUnlinked = (file: string) => file.startsWith(path.join(this.library, unlinkedFolder) + path.sep);
    const place = back !== null && inUnlinked(back) ? `its place in ${unlinkedFolder}` : 'the hot folder';
    const why = back === null ? `its source "${capture.sourceId}" is no longer configured` : `a different file has its name in ${place}`;
    const alarm =
      to !== back && inUnlinked(to)
        ? `${capture.relPath} could not go back to ${place}, as ${back === null ? why : 'a different file has its name there now'}: it was set aside in the library at ${path.relative(this.library, to)}, not linked. Relink it (with its shot's image) while no newer version of ${capture.relPath} is recorded; after that, copy it into the hot folder under a name of its own to have it checked as a new shot, or remove it.`
        : null;
    return { unfiled: inUnlinked(to) ? `set aside in ${unlinkedFolder}${alarm ? `: ${why}` : ''}; not linked` : putBackWords, alarm };
  }

  /**
   * The stem a sibling of the same shot was already given, when it is one of `wanted` or a
   * `wanted_N` made unique (a sibling still under a name an edit's old link gave it is not).
   */
  private siblingStem(captureId: number, link: Pick<CaptureLink, 'objectId' | 'seq'>, wanted: ReadonlySet<string>): string | null {
    for (const id of this.links.capturesOf(link.objectId)) {
      if (id === captureId || this.links.linkOf(id)?.seq !== link.seq) continue;
      const move = this.links.move(id);
      if (!move || move.state === 'failed') continue;
      const stem = stemOf(move.toPath);
      const unique = /^(.*)_\d+$/.exec(stem)?.[1];
      if (wanted.has(stem) || (unique !== undefined && wanted.has(unique))) return stem;
    }
    return null;
  }

  /** Who shot the capture for which project, as it was then: its session's; the config's for a capture shot outside a session. */
  namedFor(captureId: number): NamedFor {
    const session = this.sessions.ofCapture(captureId);
    return { project: session?.project || this.config.project, operator: session?.operator ?? this.config.operator };
  }

  /** The template's values for `capture` as `link` names it, `{date}` and `{time}` of the instant `detectedAt`. */
  private values(capture: CaptureRecord, link: { barcode: string; seq: number; view: string | null; project?: string | null; operator?: string | null }, detectedAt: string): TemplateValues {
    const at = new Date(detectedAt);
    const pad = (n: number) => String(n).padStart(2, '0');
    const base = path.posix.basename(capture.relPath);
    const ext = path.posix.extname(base);
    // As recorded on the link; a link made before they were recorded takes them as they are now.
    const named = typeof link.project === 'string' && typeof link.operator === 'string' ? { project: link.project, operator: link.operator } : this.namedFor(capture.id);
    return {
      barcode: link.barcode,
      seq: link.seq,
      view: link.view ?? '',
      date: `${at.getFullYear()}-${pad(at.getMonth() + 1)}-${pad(at.getDate())}`,
      time: `${pad(at.getHours())}${pad(at.getMinutes())}${pad(at.getSeconds())}`,
      station: this.stationId,
      operator: named.operator,
      project: named.project,
      source: capture.sourceId,
      original: base.slice(0, base.length - ext.length),
      ext,
    };
  }
}

/** The library folders undone shots and rejected objects' captures are set aside in (see LibraryNaming.setAside). */
export const reshootFolder = '_reshoot';
export const rejectedFolder = '_rejected';
/**
 * The library folder a capture that lost its link is set aside in, per source, when it cannot go
 * back to the hot folder it was found in: a different file has its name there now, and under
 * another name the watcher would take it for a new shot of whatever object is open.
 */
export const unlinkedFolder = '_unlinked';

/** What a `capture.filed` event's `unfiled` says of a capture that lost its link and went back where it was found. */
export const putBackWords = 'put back in the hot folder, not linked';

/** A path (a library path, or a capture's hot-folder relPath) without its extension: the files of one shot share it. */
export function stemOf(file: string): string {
  return file.slice(0, file.length - path.extname(file).length);
}

/** The stems of the files in `dir` (none when it does not exist yet), leaving out `except`. */
async function stemsIn(dir: string, except: string | undefined): Promise<Set<string>> {
  const names = await fs.promises.readdir(dir).catch((err: NodeJS.ErrnoException) => {
    // No folder yet, or a file where it should be: no names taken there (the move itself then
    // fails, journaled and retried, if the folder cannot be made).
    if (err.code === 'ENOENT' || err.code === 'ENOTDIR') return [];
    throw err;
  });
  return new Set(names.map((n) => path.join(dir, n)).filter((f) => f !== except).map(stemOf));
}

/**
 * Where a filed capture that lost its link goes back (linker.ts refile, reconcile.ts): into
 * `_unlinked/` when that is where it went the last time it lost its link (LinkStore.lastUnfiledTo),
 * else to its hot-folder place (its source's folder and its relPath), wherever its last move began
 * (a rename inside the library does not count). Null: its source is no longer configured.
 */
export function putBackPath(capture: Pick<CaptureRecord, 'sourceId' | 'relPath'>, lastUnfiledTo: string | null, library: string, sources: readonly Pick<SourceConfig, 'id' | 'path'>[]): string | null {
  if (lastUnfiledTo?.startsWith(path.join(library, unlinkedFolder) + path.sep)) return lastUnfiledTo;
  const source = sources.find((s) => s.id === capture.sourceId);
  return source ? path.join(source.path, ...capture.relPath.split('/')) : null;
}
