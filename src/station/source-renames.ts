/**
 * A hot folder that changed its source id. A capture's identity is (source id, relative path, size,
 * mtime), so every file still in the folder that was recorded under the old id would be taken again
 * as a new capture of the new id, and uploaded again under a new key. The station refuses to start
 * on such a config instead, saying what the folder was and how to go on.
 */
import fs from 'node:fs';
import path from 'node:path';
import type Database from 'better-sqlite3';
import { configError, type ConfigProblem } from '../config/load.js';
import type { SourceConfig } from '../config/schema.js';

/** The files still in the folder that `oldId` recorded; 0 when the folder is gone or holds none. */
function recordedFilesIn(db: Database.Database, root: string, oldId: string): { count: number; example: string | null } {
  const recorded = db.prepare('SELECT 1 FROM captures WHERE source_id = ? AND rel_path = ? AND size = ? AND mtime_us = ?');
  let entries: string[];
  try {
    // Recursive listing reports a link to a folder as itself and never descends into it.
    entries = fs.readdirSync(root, { recursive: true, encoding: 'utf8' });
  } catch {
    return { count: 0, example: null };
  }
  let count = 0;
  let example: string | null = null;
  for (const entry of entries) {
    const st = fs.lstatSync(path.join(root, entry), { bigint: true, throwIfNoEntry: false });
    if (!st?.isFile()) continue;
    const relPath = entry.split(path.sep).join('/');
    if (recorded.get(oldId, relPath, Number(st.size), Number(st.mtimeNs / 1000n)) === undefined) continue;
    count++;
    example ??= relPath;
  }
  return { count, example };
}

/** Problems, by config field, for each source whose folder was known under another id and still holds that id's files. */
export function renamedSourceProblems(db: Database.Database, sources: SourceConfig[]): ConfigProblem[] {
  const formerIds = db.prepare('SELECT id FROM sources WHERE path = ? AND id <> ? ORDER BY id').pluck();
  const problems: ConfigProblem[] = [];
  sources.forEach((source, i) => {
    for (const oldId of formerIds.all(source.path, source.id) as string[]) {
      const { count, example } = recordedFilesIn(db, source.path, oldId);
      if (count === 0) continue;
      problems.push({
        field: `sources.${i}.id`,
        problem:
          `the hot folder ${source.path} was source "${oldId}" and is now source "${source.id}"; its ${count} file${count === 1 ? '' : 's'} already recorded as "${oldId}" (e.g. ${example}) would be taken again as new captures and uploaded again. ` +
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
