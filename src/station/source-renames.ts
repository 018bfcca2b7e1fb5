/**
 * A hot folder that changed its source id. A capture's identity is (source id, relative path, size,
 * mtime), so every file still in the folder that was recorded under the old id would be taken again
 * as a new capture of the new id, and uploaded again under a new key. The station refuses to start
 * on such a config instead, saying what the folder was and how to go on. A folder that cannot be
 * checked now (unlistable, or missing or empty though captures were recorded from it: a share or disk
 * not mounted) is refused too: its files would be taken again as soon as it is mounted.
 */
import fs from 'node:fs';
import path from 'node:path';
import type Database from 'better-sqlite3';
import { configError, realPathOf, type ConfigProblem } from '../config/load.js';
import { maxFolderDepth } from '../ingest/rescan.js';
import type { SourceConfig } from '../config/schema.js';

/** Error codes of a folder that is not there: its files went with it. */
const goneCodes = new Set(['ENOENT', 'ENOTDIR']);

/**
 * The files under `root` as '/'-separated relative paths; null when `root` is gone. Symbolic links
 * are never followed (a link to `..` or `/` would make the walk endless or cover the whole disk) nor
 * listed: the station never takes a link as a capture. Bounded by the watcher's depth limit; deeper
 * files are never taken either. Throws when any folder cannot be read: what it holds is unknown.
 */
function filesUnder(root: string): string[] | null {
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
        if (folder.depth < maxFolderDepth) folders.push({ abs: path.join(folder.abs, entry.name), rel, depth: folder.depth + 1 });
      } else if (entry.isFile()) {
        files.push(rel);
      }
    }
  }
  return files;
}

/**
 * The files still in the folder that `oldId` recorded, how many files the folder holds (null when it
 * is gone), or why the folder could not be listed.
 */
function recordedFilesIn(
  db: Database.Database,
  root: string,
  oldId: string,
): { count: number; example: string | null; listed: number | null } | { unreadable: string } {
  const recorded = db.prepare('SELECT 1 FROM captures WHERE source_id = ? AND rel_path = ? AND size = ? AND mtime_us = ?');
  let files: string[] | null;
  try {
    files = filesUnder(root);
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
 * Problems, by config field, for each source whose folder was known under another id and still holds
 * that id's files, or cannot be checked now to tell. Folders compare as real paths, like the overlap
 * checks: the same folder reached through a link is the same hot folder.
 */
export function renamedSourceProblems(db: Database.Database, sources: SourceConfig[]): ConfigProblem[] {
  const known = db.prepare('SELECT id, path FROM sources ORDER BY id').all() as { id: string; path: string }[];
  const knownReal = known.map((row) => ({ id: row.id, real: realPathOf(row.path) }));
  const capturesOf = db.prepare('SELECT count(*) AS n FROM captures WHERE source_id = ?');
  const problems: ConfigProblem[] = [];
  sources.forEach((source, i) => {
    const real = realPathOf(source.path);
    // A start under the new id already took this folder as it was then: the rename is behind it.
    const startedHere = knownReal.some((row) => row.real === real && row.id === source.id);
    for (const { id: oldId } of knownReal.filter((row) => row.real === real && row.id !== source.id)) {
      const found = recordedFilesIn(db, source.path, oldId);
      const was = `the hot folder ${source.path} was source "${oldId}" and is now source "${source.id}"`;
      if ('unreadable' in found) {
        problems.push({
          field: `sources.${i}.id`,
          problem: `${was}, and it could not be fully listed to check for files already recorded as "${oldId}" (${found.unreadable}); they would be taken again as new captures. Make the folder readable by the station, or keep the id "${oldId}" for this folder`,
        });
        continue;
      }
      const { count, example, listed } = found;
      const recordedThere = (capturesOf.get(oldId) as { n: number }).n;
      if (listed === null || listed === 0) {
        // A network share or removable disk that is not mounted looks like this: a missing folder or
        // an empty mount point. Taking that for "nothing to take again" would take every file again
        // under the new id once it is mounted.
        if (startedHere || recordedThere === 0) continue;
        problems.push({
          field: `sources.${i}.id`,
          problem:
            `${was}; the folder ${listed === null ? 'does not exist' : 'is empty'} now, while ${recordedThere} capture${recordedThere === 1 ? ' was' : 's were'} recorded as "${oldId}", so it cannot be checked for files already recorded (a network share or removable disk that is not mounted looks like this). ` +
            `Mount it and start again, or keep the id "${oldId}" for this folder. If it is empty on purpose (its recorded files were moved out), save the first new file into it, then start`,
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
