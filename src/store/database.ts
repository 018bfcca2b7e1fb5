/**
 * Opens the station database. Invariants, checked on every open (not just on creation, because
 * better-sqlite3 is built with SQLITE_DEFAULT_WAL_SYNCHRONOUS=1 and reopens WAL databases at NORMAL,
 * which can lose the last transactions on power loss):
 *   journal_mode = wal, synchronous = FULL (2), foreign_keys = ON, and the schema fully migrated.
 */
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { StationError } from '../errors.js';
import { createLogger } from '../log/logger.js';
import { migrations, type Migration } from './migrations.js';
import { networkFileSystemOf } from './network-fs.js';

const log = createLogger('store.database');

export type Db = Database.Database;

export interface OpenOptions {
  /** Open a database on a network file system anyway (with a loud warning). */
  allowNetworkFs?: boolean;
  /** Used by the tests of migrations. */
  migrations?: Migration[];
  /**
   * Look, never change (doctor): the file must exist, nothing is created or migrated, and no pragma
   * is set, so the durability invariants above are not applied to this handle.
   */
  readonly?: boolean;
}

/** SQLite's codes for a file that is not a database, or one whose pages are damaged. */
const damagedCodes = new Set(['SQLITE_NOTADB', 'SQLITE_CORRUPT']);

/** What to do about a damaged database file: it may be all that records which capture is which, so it is never deleted. */
function damagedDatabaseAdvice(file: string): string {
  return (
    `The station database ${file} is not a station database or is damaged. Stop the station, move the file aside (never delete it: it may still be recovered), ` +
    `then put back a backup of it or let the station start a new one in its place. The images in the library and in the hot folders are untouched.`
  );
}

/** The technician's error for SQLite's report of a damaged file (at open, or later at a read); null for any other error. */
export function damagedDatabaseError(err: unknown, file: string): StationError | null {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && damagedCodes.has(code) ? new StationError('DB_OPEN_FAILED', `${damagedDatabaseAdvice(file)} (SQLite: ${(err as Error).message})`) : null;
}

/**
 * A database that cannot even be read (a read-only open fails at its first read): most often a WAL
 * database where SQLite may not create its -shm file (a read-only disk, folder or mount).
 */
function unreadableError(err: unknown, file: string): unknown {
  if (err instanceof StationError || !(err instanceof Error)) return err;
  return new StationError(
    'DB_OPEN_FAILED',
    `Cannot read the station database ${file} (SQLite: ${err.message}). A station database is read where SQLite can create ${path.basename(file)}-shm beside it: ` +
      `if it is on a read-only disk, folder or mount, copy it (with its -wal file, if there is one) to a writable folder and pass that folder as --home (or set paths.database); ` +
      'a copy made by `capture-station backup` is a single file and can be read from read-only media.',
  );
}

export function openDatabase(file: string, opts: OpenOptions = {}): Db {
  const networkFs = file === ':memory:' ? null : networkFileSystemOf(file);
  if (networkFs) {
    const message = `The station database ${file} is on a network file system (${networkFs}). SQLite's WAL journal is not safe there and records can be lost. Put the database on a local disk (config field paths.database).`;
    if (!opts.allowNetworkFs) throw new StationError('DB_NETWORK_FS', message);
    log.warn(message);
  }
  let db: Db;
  try {
    if (opts.readonly) {
      db = new Database(file, { readonly: true, fileMustExist: true });
    } else {
      if (file !== ':memory:') fs.mkdirSync(path.dirname(file), { recursive: true });
      db = new Database(file);
    }
  } catch (err) {
    throw damagedDatabaseError(err, file) ?? new StationError('DB_OPEN_FAILED', `Cannot open the station database ${file}: ${(err as Error).message}. Check that the folder exists, is writable and the disk is not full.`);
  }
  try {
    // Reading the schema version is the first read of the file's pages: a damaged file fails here.
    if (opts.readonly) schemaVersion(db);
    else {
      applyPragmas(db, file);
      migrate(db, opts.migrations ?? migrations);
    }
  } catch (err) {
    db.close();
    throw damagedDatabaseError(err, file) ?? (opts.readonly ? unreadableError(err, file) : err);
  }
  return db;
}

function applyPragmas(db: Db, file: string): void {
  const journal = db.pragma('journal_mode = WAL', { simple: true });
  if (journal !== 'wal' && file !== ':memory:') {
    throw new StationError('DB_PRAGMA', `The station database ${file} refused WAL journaling (got "${String(journal)}"). Put it on a local disk.`);
  }
  db.pragma('synchronous = FULL');
  db.pragma('foreign_keys = ON');
  db.pragma('busy_timeout = 5000');
  const synchronous = db.pragma('synchronous', { simple: true });
  const foreignKeys = db.pragma('foreign_keys', { simple: true });
  if (synchronous !== 2 || foreignKeys !== 1) {
    throw new StationError('DB_PRAGMA', `The station database ${file} did not accept synchronous=FULL and foreign_keys=ON (got ${String(synchronous)}, ${String(foreignKeys)}).`);
  }
}

export function schemaVersion(db: Db): number {
  return db.pragma('user_version', { simple: true }) as number;
}

function migrate(db: Db, list: Migration[]): void {
  const current = schemaVersion(db);
  const latest = list.at(-1)?.version ?? 0;
  if (current > latest) {
    throw new StationError('DB_MIGRATION', `The station database has schema version ${current}, newer than this version of Capture Station knows (${latest}). Update Capture Station; do not open this database with an older one.`);
  }
  for (const m of list) {
    if (m.version <= current) continue;
    try {
      db.transaction(() => {
        db.exec(m.sql);
        db.pragma(`user_version = ${m.version}`);
      })();
      log.info('applied migration', { version: m.version, name: m.name });
    } catch (err) {
      throw new StationError('DB_MIGRATION', `Migration ${m.version} (${m.name}) failed: ${(err as Error).message}. The database was left at version ${schemaVersion(db)}.`);
    }
  }
}
