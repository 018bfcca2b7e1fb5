/**
 * A consistent copy of the station database, made while the station may be running: SQLite's online
 * backup through a read-only connection copies the database as one transaction sees it, with what
 * is still in the WAL (a plain file copy of station.db misses that). The copy is written next to its
 * destination under a temporary name, made one self-contained file (rollback journal, no -wal/-shm
 * to copy along), checked (integrity_check) and counted, and only then given its name, so a backup
 * that failed half way never stands where a good one is expected.
 */
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { StationError } from '../errors.js';
import { openDatabase, schemaVersion } from './database.js';

/** The records counted in a backup, as a technician checks it against the station's own view. */
const countedTables = ['captures', 'upload_jobs', 'objects', 'sessions', 'events'] as const;

export interface BackupResult {
  source: string;
  file: string;
  bytes: number;
  schema: number;
  /** Rows per table in the copy; a table the copy's schema does not have yet is left out. */
  counts: Partial<Record<(typeof countedTables)[number], number>>;
}

/**
 * Copies `source` to `dest`. An existing `dest` is refused unless `force`; the database itself (or
 * its -wal/-shm) is never a destination. `cannotWrite` turns an error writing `dest` into the
 * technician's message.
 */
export async function backupDatabase(source: string, dest: string, opts: { force: boolean; cannotWrite: (err: unknown) => StationError }): Promise<BackupResult> {
  const file = path.resolve(dest);
  const db = path.resolve(source);
  if (!fs.existsSync(db)) throw new StationError('NOT_FOUND', `No station database at ${db} yet: nothing to back up (run the station first, or pass the right --home).`);
  if (isDatabaseFile(file, db)) throw new StationError('INVALID_ARGUMENT', `${dest} is the station database itself (or one of its -wal/-shm/-journal files): give the backup another name. --force never replaces it.`);
  const existing = fs.statSync(file, { throwIfNoEntry: false });
  if (existing?.isDirectory()) throw new StationError('INVALID_ARGUMENT', `${dest} is a folder: give the name of the backup file to write, e.g. ${path.join(dest, 'station-backup.db')}.`);
  if (existing && !opts.force) throw new StationError('INVALID_ARGUMENT', `${dest} already exists: give a new name, or pass --force to replace it.`);

  const partial = `${file}.partial-${process.pid}`;
  try {
    fs.closeSync(fs.openSync(partial, 'wx'));
  } catch (err) {
    throw opts.cannotWrite(err);
  }
  try {
    const from = openDatabase(db, { readonly: true });
    try {
      await from.backup(partial);
    } catch (err) {
      const code = (err as { code?: string }).code;
      throw code === 'SQLITE_FULL' ? opts.cannotWrite(Object.assign(new Error(String(err)), { code: 'ENOSPC' })) : err;
    } finally {
      from.close();
    }
    const result = verify(partial, db);
    const bytes = fs.statSync(partial).size;
    fs.renameSync(partial, file);
    return { ...result, file, bytes };
  } finally {
    fs.rmSync(partial, { force: true });
    fs.rmSync(`${partial}-journal`, { force: true });
  }
}

/**
 * Whether `file` is the database or one of its companion files, by name through any link (the real
 * path of its folder) and, when it exists, by identity (a hard link): renaming a backup over the
 * live database would leave the running station writing to a deleted file.
 */
function isDatabaseFile(file: string, db: string): boolean {
  const realDir = (p: string): string => {
    try {
      return fs.realpathSync(path.dirname(p));
    } catch {
      return path.dirname(p);
    }
  };
  const companions = ['', '-wal', '-shm', '-journal'].map((suffix) => `${db}${suffix}`);
  const name = path.join(realDir(file), path.basename(file));
  if (companions.some((c) => path.join(realDir(c), path.basename(c)) === name)) return true;
  const there = fs.statSync(file, { throwIfNoEntry: false });
  if (!there) return false;
  return companions.some((c) => {
    const st = fs.statSync(c, { throwIfNoEntry: false });
    return st !== undefined && st.dev === there.dev && st.ino === there.ino;
  });
}

/** Opens the copy as a database of its own, makes it one file, checks every page and counts its records. */
function verify(copy: string, source: string): Omit<BackupResult, 'file' | 'bytes'> {
  const db = new Database(copy, { fileMustExist: true });
  try {
    db.pragma('journal_mode = DELETE');
    const check = db.pragma('integrity_check', { simple: true });
    if (check !== 'ok') throw new StationError('INTERNAL', `The backup copy of ${source} does not pass SQLite's integrity check (${String(check)}); it was not kept. Run \`capture-station doctor\` on the station, then try again.`);
    const tables = new Set(db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").pluck().all() as string[]);
    const counts = Object.fromEntries(countedTables.filter((t) => tables.has(t)).map((t) => [t, db.prepare(`SELECT count(*) FROM ${t}`).pluck().get() as number]));
    return { source, schema: schemaVersion(db), counts };
  } finally {
    db.close();
  }
}
