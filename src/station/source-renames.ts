/**
 * A hot folder that changed its source id. A capture's identity is (source id, relative path, size,
 * mtime), so every file still in the folder that was recorded under the old id would be taken again
 * as a new capture of the new id, and uploaded again under a new key. The station refuses to start
 * on such a config instead, saying what the folder was and how to go on. A folder that cannot be
 * checked now (unlistable, or missing or holding no file the source takes while files recorded from it
 * should still be there: a share or disk not mounted) is refused too: its files would be taken again
 * as soon as it is mounted.
 */
import fs from 'node:fs';
import path from 'node:path';
import type Database from 'better-sqlite3';
import { configError, realPathOf, type ConfigProblem } from '../config/load.js';
import { createSourceMatcher, type SourceMatcher } from '../ingest/patterns.js';
import { maxFolderDepth } from '../ingest/rescan.js';
import type { SourceConfig } from '../config/schema.js';

/** Error codes of a folder that is not there: its files went with it. */
const goneCodes = new Set(['ENOENT', 'ENOTDIR']);

/**
 * The files under `root` that `matcher` lets the station take, as '/'-separated relative paths; null
 * when `root` is gone. Symbolic links are never followed (a link to `..` or `/` would make the walk
 * endless or cover the whole disk) nor listed: the station never takes a link as a capture. Bounded
 * by the watcher's depth limit and its patterns, like the watcher: what it never takes (a stray
 * .DS_Store or Thumbs.db on a bare mount point) cannot be taken again either. Throws when any folder
 * it would enter cannot be read: what it holds is unknown.
 */
function filesUnder(root: string, matcher: SourceMatcher): string[] | null {
  const files: string[] = [];
  const folders = [{ abs: root, rel: '', depth: 0 }];
  for (let folder = folders.pop(); folder; folder = folders.pop()) {
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(folder.abs, { withFileTypes: true });
    } catch (err) {
      if (folder.depth === 0 && goneCodes.has((err as NodeJS.ErrnoException).code ?? '')) return null;
      throw err;
    }
    for (const entry of entries) {
      const rel = folder.rel ? `${folder.rel}/${entry.name}` : entry.name;
      if (entry.isDirectory()) {
        if (folder.depth < maxFolderDepth && !matcher.excludes(rel, false)) folders.push({ abs: path.join(folder.abs, entry.name), rel, depth: folder.depth + 1 });
      } else if (entry.isFile() && !matcher.excludes(rel, true)) {
        files.push(rel);
      }
    }
  }
  return files;
}

/**
 * The files in `source`'s folder that `oldId` recorded, how many files there `source` would take
 * (null when the folder is gone), or why the folder could not be listed.
 */
function recordedFilesIn(
  db: Database.Database,
  source: SourceConfig,
  oldId: string,
): { count: number; example: string | null; listed: number | null } | { unreadable: string } {
  const root = source.path;
  const recorded = db.prepare('SELECT 1 FROM captures WHERE source_id = ? AND rel_path = ? AND size = ? AND mtime_us = ?');
  let files: string[] | null;
  try {
    files = filesUnder(root, createSourceMatcher(source));
  } catch (err) {
    return { unreadable: String(err) };
  }
  let count = 0;
  let example: string | null = null;
  for (const relPath of files ?? []) {
    const st = fs.lstatSync(path.join(root, relPath), { bigint: true, throwIfNoEntry: false });
    if (!st?.isFile()) continue;
    if (recorded.get(oldId, relPath, Number(st.size), Number(st.mtimeNs / 1000n)) === undefined) continue;
    count++;
    example ??= relPath;
  }
  return { count, example, listed: files?.length ?? null };
}

/**
 * Captures `c` of source ? whose file the station believes is still in its hot folder: the newest
 * version of each relative path (an older version's file was overwritten by it), neither filed into
 * the library (a done filing move; a pending one may not have moved it yet, a failed one left it, and
 * a filing undone deletes the row) nor removed by retention.
 */
const stillInFolder = `c.source_id = ? AND c.local_deleted_at IS NULL
  AND c.version = (SELECT max(v.version) FROM captures v WHERE v.source_id = c.source_id AND v.rel_path = c.rel_path)
  AND NOT EXISTS (SELECT 1 FROM filing_moves f WHERE f.capture_id = c.id AND f.state = 'done')`;

/**
 * Problems, by config field, for each source whose folder was known under another id and still holds
 * that id's files, or cannot be checked now to tell. Folders compare as real paths, like the overlap
 * checks: the same folder reached through a link is the same hot folder.
 */
export function renamedSourceProblems(db: Database.Database, sources: SourceConfig[]): ConfigProblem[] {
  const known = db.prepare('SELECT id, path FROM sources ORDER BY id').all() as { id: string; path: string }[];
  const knownReal = known.map((row) => ({ id: row.id, real: realPathOf(row.path) }));
  const leftThere = db.prepare(`SELECT count(*) AS n, max(c.checked_at) AS last FROM captures c WHERE ${stillInFolder}`);
  // The last time `id` was seen running on the folder its row names: the row's updated_at is when it
  // last changed folder, kind or profile (a start that changes none of them leaves it), and every
  // capture of the id since was taken from that folder.
  const lastRunOf = db.prepare('SELECT max(t) FROM (SELECT updated_at AS t FROM sources WHERE id = ? UNION ALL SELECT max(checked_at) FROM captures WHERE source_id = ?)').pluck();
  const problems: ConfigProblem[] = [];
  sources.forEach((source, i) => {
    const real = realPathOf(source.path);
    const newIdRanHere = knownReal.some((row) => row.real === real && row.id === source.id);
    for (const { id: oldId } of knownReal.filter((row) => row.real === real && row.id !== source.id)) {
      const found = recordedFilesIn(db, source, oldId);
      const was = `the hot folder ${source.path} was source "${oldId}" and is now source "${source.id}"`;
      if ('unreadable' in found) {
        problems.push({
          field: `sources.${i}.id`,
          problem: `${was}, and it could not be fully listed to check for files already recorded as "${oldId}" (${found.unreadable}); they would be taken again as new captures. Make the folder readable by the station, or keep the id "${oldId}" for this folder`,
        });
        continue;
      }
      const { count, example, listed } = found;
      if (listed === null || listed === 0) {
        // A network share or removable disk that is not mounted looks like this: a missing folder or
        // a bare mount point. Taking that for "nothing to take again" would take every file again
        // under the new id once it is mounted — unless none should be there (the station filed or
        // removed them all), or the new id already ran on this folder after the old id's last
        // recorded file there, and so took the folder as it was then.
        const left = leftThere.get(oldId) as { n: number; last: string | null };
        if (left.n === 0) continue;
        if (newIdRanHere && (lastRunOf.get(source.id, source.id) as string) > left.last!) continue;
        const them = left.n === 1 ? 'it' : 'them';
        problems.push({
          field: `sources.${i}.id`,
          problem:
            `${was}; the folder ${listed === null ? 'does not exist' : 'holds no file this source takes'} now, while ${left.n} file${left.n === 1 ? '' : 's'} recorded as "${oldId}" should still be in it (the station neither filed nor removed ${them}), so it cannot be checked for ${them} (a network share or removable disk that is not mounted looks like this). ` +
            `Mount it and start again, or keep the id "${oldId}" for this folder. If ${left.n === 1 ? 'that file was' : 'those files were'} moved out on purpose, save the first new file into it, then start`,
        });
        continue;
      }
      if (count === 0) continue;
      problems.push({
        field: `sources.${i}.id`,
        problem:
          `${was}; its ${count} file${count === 1 ? '' : 's'} already recorded as "${oldId}" (e.g. ${example}) would be taken again as new captures and uploaded again. ` +
          `Keep the id "${oldId}" for this folder. To start a new source here on purpose, first move the files already recorded out of the folder`,
      });
    }
  });
  return problems;
}

/** Throws CONFIG_INVALID, naming every renamed source, before the station records anything under the new ids. */
export function refuseRenamedSources(db: Database.Database, sources: SourceConfig[], configFile: string | null): void {
  const problems = renamedSourceProblems(db, sources);
  if (problems.length > 0) throw configError(configFile, problems);
}
