/** One handle over the station database and the repositories that share it. */
import { CaptureStore } from './captures.js';
import { StationError } from '../errors.js';
import { openDatabase, schemaVersion, type Db, type OpenOptions } from './database.js';
import { migrations } from './migrations.js';

export interface StationStore {
  db: Db;
  captures: CaptureStore;
  close(): void;
}

export function openStore(file: string, opts: OpenOptions = {}): StationStore {
  const db = openDatabase(file, opts);
  return { db, captures: new CaptureStore(db), close: () => db.close() };
}

/**
 * The database for a command that only reads (export, queue): opened read-only, so it never
 * migrates a database behind a running station's back nor needs to write where the file is. A
 * database of another schema than this Capture Station's is refused, saying what to do.
 */
export function openStoreForReading(file: string): StationStore {
  const store = openStore(file, { readonly: true });
  const version = schemaVersion(store.db);
  const latest = migrations.at(-1)?.version ?? 0;
  if (version === latest) return store;
  store.close();
  throw new StationError(
    'DB_MIGRATION',
    version < latest
      ? `The station database ${file} has schema ${version}, older than this Capture Station's (${latest}): run the station once (capture-station run, with no other station running on it) to upgrade it, then try again.`
      : `The station database ${file} has schema ${version}, newer than this Capture Station knows (${latest}): update Capture Station; do not open this database with an older one.`,
  );
}
